// Image input for the CLI: PNG files (libpng), converted to the channel count a model wants, and the model
// input tensor filled from uint8 pixels (raw for uint8 inputs, normalised with the model's metadata for float
// inputs).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::io {

struct Image {
  int h = 0, w = 0, c = 0;
  std::vector<uint8_t> pixels;  // [h][w][c]
};

// Largest PNG side accepted: a corrupt or hostile header cannot make the reader reserve more than
// 16384 x 16384 x 3 bytes.
inline constexpr int kMaxPngSide = 16384;

// Reads a PNG as grayscale (channels = 1) or RGB (channels = 3); alpha is composited on black by libpng.
Image read_png(const std::string& path, int channels);
// The same from PNG bytes in memory; `origin` names them in errors. Images wider or taller than `max_side`
// are refused before any pixel memory is reserved.
Image decode_png(std::span<const uint8_t> bytes, int channels, const std::string& origin,
                 int max_side = kMaxPngSide);

// Converts uint8 NHWC pixels to a float input: x = (p / 255 - mean[c]) / std[c] (mean 0, std 1 when absent).
std::vector<float> normalize(const std::vector<uint8_t>& pixels, int channels, const ModelMetadata& meta);

}  // namespace bnnkit::io
