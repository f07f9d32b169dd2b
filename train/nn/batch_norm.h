// Batch norm whose eval forward is the exporter's folded affine, so engine float outputs equal the trainer's.
//
// Training: torch::batch_norm (batch statistics, running stats updated with `momentum`).
// Eval:     y = x * scale + bias, a multiply then an add in float32 (two roundings, no FMA), with
//             inv   = weight / sqrt(running_var + eps)
//             scale = inv * pre_scale         (pre_scale: optional per-channel factor folded in, e.g. a
//                                               binary conv's weight scale alpha; omitted when undefined)
//             bias  = bias - running_mean * inv
//           computed once in float32 by folded(); the exporter writes exactly these tensors
//           (kernels/common/output_stage.h, kFloat).
// Works on [N, C] (dense) and [N, C, H, W] (conv) inputs.
#pragma once

#include <torch/torch.h>

#include <utility>

namespace bnnkit::train {

struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}
  /// Number of channels C.
  TORCH_ARG(int64_t, num_features);
  /// Added to the variance before the square root.
  TORCH_ARG(double, eps) = 1e-5;
  /// Running-statistics momentum (PyTorch convention).
  TORCH_ARG(double, momentum) = 0.1;
};

class BatchNormImpl : public torch::nn::Module {
 public:
  explicit BatchNormImpl(const BatchNormOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  // Eval-mode forward with a per-channel pre-scale folded in (see header comment); training mode multiplies
  // x by pre_scale and normalises.
  torch::Tensor forward_scaled(const torch::Tensor& x, const torch::Tensor& pre_scale);
  // The folded eval affine {scale, bias}, both [C] float32.
  std::pair<torch::Tensor, torch::Tensor> folded(const torch::Tensor& pre_scale = {}) const;

  BatchNormOptions options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};
TORCH_MODULE(BatchNorm);

// y = x * scale + bias with per-channel [C] scale/bias broadcast over dim 1 (two float32 roundings).
torch::Tensor channel_affine(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& bias);

}  // namespace bnnkit::train
