#include "train/nn/pool.h"

#include <algorithm>

namespace bnnkit::train {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

torch::Tensor avg_pool2(const torch::Tensor& x) {
  const int64_t h = x.size(2) / 2 * 2, w = x.size(3) / 2 * 2;
  const auto a = x.index({Slice(), Slice(), Slice(0, h, 2), Slice(0, w, 2)});
  const auto b = x.index({Slice(), Slice(), Slice(0, h, 2), Slice(1, w, 2)});
  const auto c = x.index({Slice(), Slice(), Slice(1, h, 2), Slice(0, w, 2)});
  const auto d = x.index({Slice(), Slice(), Slice(1, h, 2), Slice(1, w, 2)});
  return (((a + b) + c) + d) * 0.25f;
}

torch::Tensor global_avg_pool(const torch::Tensor& x, bool exact_order) {
  if (!exact_order) return x.mean({2, 3});
  const int64_t h = x.size(2), w = x.size(3);
  auto sum = torch::zeros({x.size(0), x.size(1)}, x.options());
  for (int64_t i = 0; i < h; ++i) {
    for (int64_t j = 0; j < w; ++j) sum = sum + x.select(3, j).select(2, i);
  }
  return sum / static_cast<float>(h * w);
}

SamePadding same_padding(int64_t in, int64_t k, int64_t stride) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + k - in, 0);
  return {out, total / 2, total - total / 2};
}

torch::Tensor avg_pool3_s2_same(const torch::Tensor& x) {
  const auto ph = same_padding(x.size(2), 3, 2), pw = same_padding(x.size(3), 3, 2);
  const auto xp = F::pad(x, F::PadFuncOptions({pw.before, pw.after, ph.before, ph.after}));
  // Zero taps added where the engine skips padding: x + 0 == x, and the sum starts at +0.
  auto sum = torch::zeros({x.size(0), x.size(1), ph.out, pw.out}, x.options());
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j)
      sum = sum + xp.index({Slice(), Slice(), Slice(i, i + 2 * (ph.out - 1) + 1, 2),
                            Slice(j, j + 2 * (pw.out - 1) + 1, 2)});
  return sum / 9.0f;
}

}  // namespace bnnkit::train
