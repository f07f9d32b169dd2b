// In-memory image-classification datasets for the trainer: IDX pairs (gzipped or plain, any image size, any
// number of classes; Fashion-MNIST is the default) and CIFAR-10's binary format. Images are kept as uint8
// NCHW; the model decides how to encode them (thermometer, or x/255 normalised).
//
// A data directory holds either an IDX pair per split, named train-images*/train-labels* and
// t10k-images*/t10k-labels* (".gz" or not), or CIFAR-10 binary batches data_batch_{1..5}.bin and
// test_batch.bin (optionally with batches.meta.txt naming the classes).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace bnnkit::train {

struct Dataset {
  torch::Tensor images;  // uint8 [N, C, H, W]
  torch::Tensor labels;  // int64 [N]
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // may be empty

  int64_t size() const { return images.defined() ? images.size(0) : 0; }
  // The first n examples (all when n <= 0 or n >= size()).
  Dataset head(int64_t n) const;
};

// Reads an IDX image file (magic 0x0803 [N,H,W] or 0x0804 [N,H,W,C], unsigned bytes) and its label file
// (0x0801 [N]). Either may be gzipped. Throws std::runtime_error naming the file and the problem.
Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path);

// Reads CIFAR-10 binary batch files (1 label byte + 3*32*32 CHW bytes per record).
Dataset load_cifar10_batches(const std::vector<std::string>& paths);

// Loads the train (train = true) or test split from a data directory (see the header comment).
Dataset load_split(const std::string& dir, bool train);

// Reads a whole file, transparently gunzipping it (zlib's gzread reads plain files as they are).
std::vector<uint8_t> read_maybe_gz(const std::string& path);

struct AugmentOptions {
  /// Random crop after zero-padding each side by this many pixels (0 disables).
  TORCH_ARG(int64_t, crop_pad) = 0;
  /// Random horizontal flip with probability 1/2.
  TORCH_ARG(bool, flip) = false;
};

// Applies random crop/flip to a uint8 [N, C, H, W] batch with the given generator (deterministic per seed).
torch::Tensor augment(const torch::Tensor& batch, const AugmentOptions& options, std::mt19937_64& rng);

// A shuffled (or sequential) order of [0, n) from a deterministic generator.
std::vector<int64_t> epoch_order(int64_t n, bool shuffle, std::mt19937_64& rng);

}  // namespace bnnkit::train
