// Pools in the engine's float32 order (kernels/pool/reference.cc), used by the models' eval forwards so that
// trainer and engine agree bit for bit.
#pragma once

#include <torch/torch.h>

namespace bnnkit::train {

// 2x2/2 average pool, evaluated as (((a + b) + c) + d) * 0.25 in float32 (row-major window order).
torch::Tensor avg_pool2(const torch::Tensor& x);
// Mean over H, W -> [N, C]. Eval mode sums the pixels in row-major order, then divides by H*W in float32, as
// the engine's GlobalAvgPool; training uses torch's mean.
torch::Tensor global_avg_pool(const torch::Tensor& x, bool exact_order);
// TF/Flax SAME padding along one axis for a k-window with stride s: {out, before, after}.
struct SamePadding {
  int64_t out, before, after;
};
SamePadding same_padding(int64_t in, int64_t k, int64_t stride);
// AvgPool 3x3/2 SAME with the divisor 9 everywhere (count_include_pad), the engine's summation order.
torch::Tensor avg_pool3_s2_same(const torch::Tensor& x);

}  // namespace bnnkit::train
