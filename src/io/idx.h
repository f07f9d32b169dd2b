// Readers for image datasets: IDX files (MNIST/Fashion-MNIST format, gzipped or plain) and CIFAR-10's binary
// batches. No network access: files come from disk (Debian's dataset-fashion-mnist package puts Fashion-MNIST
// in /usr/share/datasets/fashion-mnist). Every malformed input is a bnnkit::Error naming the file and the
// problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bnnkit::io {

inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// One IDX file of unsigned bytes (type 0x08): dims as stored, data row-major.
struct IdxArray {
  std::vector<int> dims;
  std::vector<uint8_t> data;
};
// Reads a whole file, transparently gunzipping it if it starts with the gzip magic.
std::vector<uint8_t> read_maybe_gzip(const std::string& path);
// The same for bytes in memory: gunzipped if they start with the gzip magic, else returned as they are.
// `origin` names them in errors (corrupt or truncated gzip data, more than 4 GiB decompressed).
std::vector<uint8_t> maybe_gunzip(std::vector<uint8_t> bytes, const std::string& origin);
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& origin);
// gzip-compresses bytes (the inverse of maybe_gunzip): for writing .gz datasets and test fixtures.
std::vector<uint8_t> gzip(const std::vector<uint8_t>& bytes);
IdxArray read_idx(const std::string& path);

// Labelled images, NHWC uint8.
struct Dataset {
  int n = 0, h = 0, w = 0, c = 0;
  int classes = 0;              // 1 + the largest label
  std::vector<uint8_t> images;  // [n][h][w][c]
  std::vector<uint8_t> labels;  // [n]
  size_t image_bytes() const { return static_cast<size_t>(h) * w * c; }
};

// An IDX image file ([n][h][w] or [n][h][w][c]) with its label file ([n]).
Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path);
// The split "train" or "t10k" of a folder holding `<split>-images-idx3-ubyte[.gz]` and
// `<split>-labels-idx1-ubyte[.gz]` (any file starting with `<split>-images` / `<split>-labels` also works).
Dataset load_idx_dir(const std::string& dir, const std::string& split);
// CIFAR-10 binary batches (`data_batch_*.bin` or `test_batch.bin`: 1 label byte + 3072 CHW bytes per record),
// converted to NHWC.
Dataset load_cifar10_bin(const std::vector<std::string>& files);

}  // namespace bnnkit::io
