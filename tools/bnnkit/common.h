// Helpers shared by the engine commands: feeding uint8 images to a model's first input, and reading logits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"

namespace bnnkit::cli {

// A model file, or (when no such file exists) a zoo architecture of that name with random weights, so
// `bnnkit info pokebnn-1.0x-imagenet` and `bnnkit bench fracbnn-tiny` work without a file.
Model load_model_or_arch(const std::string& path_or_arch);

// The first input's expected image geometry (NHWC without the batch) and dtype; throws if the model's first
// input is not an image tensor.
struct ImageInput {
  int h = 0, w = 0, c = 0;
  DType dtype = DType::kUInt8;
};
ImageInput image_input(const Model& model);

// Copies `count` images (uint8 NHWC, h*w*c bytes each) into input 0 of a session whose batch >= count; unused
// batch slots are zero. Float inputs are normalised with the model's metadata.
void feed_images(Session& session, const ImageInput& in, const uint8_t* images, int count);

// Index of the largest value in each row of the first float output ([N, classes]).
std::vector<int> argmax_rows(const Session& session, int count);

// Name of class k from the model's metadata, or its number.
std::string class_name(const Model& model, int k);

// Images for the model's first input from an IDX file (gzipped or not; [n][h][w] or [n][h][w][c]) or a PNG:
// uint8 NHWC, `count` images (at most max_count of an IDX file). Errors name the file and the geometry.
std::vector<uint8_t> load_images(const Model& model, const std::string& path, int max_count, int* count);

// The gated layers (fractional and PG convs) of a profile: density = outputs that took the LSB pass /
// outputs, effective activation bits = hb + density * lb (FracConv2d: hb = lb = 1), mean time per run (< 0 if
// the session was not profiling).
struct GateRow {
  std::string name, op;
  double density = 0, mean_ms = -1;
  int hbits = 1, lbits = 1;
  double effective_bits() const { return hbits + density * lbits; }
};
std::vector<GateRow> gate_rows(const Model& model, const std::vector<OpProfile>& profile);
// A table under a title line; nothing if there are no gated layers.
void print_gate_rows(const std::vector<GateRow>& rows);
// [{name, op, density, effective_bits, mean_ms?}, ...]
std::string gate_rows_json(const std::vector<GateRow>& rows, int indent = 2);

// The model's accuracy on a labelled IDX split (dir/split-images-idx3-ubyte[.gz] + labels), with the
// confusion matrix and the session's profile (gate counts always; times with `profile`). limit <= 0: every
// image.
struct EvalResult {
  int total = 0, correct = 0, classes = 0, threads = 0;
  std::vector<std::vector<int>> confusion;  // [true][predicted]
  double seconds = 0;
  std::vector<OpProfile> profile;
  double accuracy() const { return total > 0 ? static_cast<double>(correct) / total : 0.0; }
};
EvalResult evaluate(const Model& model, const std::string& dir, const std::string& split, int limit,
                    int batch, int threads, bool profile);

// The model with every gate forced: "open" (every output takes the LSB pass: the dense 2-bit / B-bit layer),
// "closed" (none does), or "model" (unchanged). For latency comparisons; the outputs change.
Model force_gates(const Model& model, const std::string& mode);

}  // namespace bnnkit::cli
