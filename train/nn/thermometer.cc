#include "train/nn/thermometer.h"

#include <stdexcept>
#include <string>

namespace bnnkit::train {

ThermometerImpl::ThermometerImpl(const ThermometerOptions& o) : options(o) {
  const int64_t l = o.levels();
  if (l < 1 || l > 256 || 256 % l != 0) {
    throw std::invalid_argument("thermometer: levels must divide 256, got " + std::to_string(l));
  }
}

torch::Tensor ThermometerImpl::forward(const torch::Tensor& pixels) {
  TORCH_CHECK(pixels.dim() == 4, "thermometer: expected [N, C, H, W] pixels, got ", pixels.sizes());
  const int64_t l = options.levels();
  const int64_t res = 256 / l;
  const auto p = pixels.to(torch::kInt32);
  const auto n = torch::div(p + res / 2, res, "floor");  // p >= 0, so floor == truncation
  const auto i = torch::arange(l, torch::TensorOptions().dtype(torch::kInt32).device(pixels.device()))
                     .view({1, 1, l, 1, 1});
  const auto plus = i < n.unsqueeze(2);  // [N, C, L, H, W]
  const auto out = torch::where(plus, 1.0f, -1.0f).to(torch::kFloat32);
  return out.reshape({pixels.size(0), pixels.size(1) * l, pixels.size(2), pixels.size(3)});
}

}  // namespace bnnkit::train
