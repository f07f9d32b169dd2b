// Thermometer input encoder (FracBNN InputEncoder, papers.md §2.3), integer-exact like the engine's kernel.
//
// Input: uint8 pixels p, NCHW. With res = 256 / levels:
//   n = (p + res / 2) / res              (integer division; n in [0, levels])
//   out[c * levels + i] = +1 if i < n else -1,   i = 0 .. levels-1
// Output: float32 [N, C * levels, H, W] of +-1. levels = 32 gives FracBNN's 32 planes per channel; levels = 1
// is a plain binarisation at p >= 128.
#pragma once

#include <torch/torch.h>

namespace bnnkit::train {

struct ThermometerOptions {
  TORCH_ARG(int64_t, levels) = 32;
};

class ThermometerImpl : public torch::nn::Module {
 public:
  explicit ThermometerImpl(const ThermometerOptions& options = {});
  torch::Tensor forward(const torch::Tensor& pixels);  // uint8 (or integer-valued) [N, C, H, W]
  ThermometerOptions options;
};
TORCH_MODULE(Thermometer);

}  // namespace bnnkit::train
