// Precision Gating convolution (PGConv2d, papers.md §1.2-§1.4): B-bit activations split into hb high bits and
// lb = B - hb low bits; the low part is added only where the high-part output exceeds a per-channel
// threshold.
//
//   s    = max|x| + 1e-7 over the whole tensor (detached)
//   q    = round(clamp(|x|/s, 0, 1) * (2^B - 1))           (RoundSte: floor(v + 0.5), identity gradient)
//   q_hb = floor(q / 2^lb) * 2^lb                            (identity STE)
//   x_hb = sgn(x) * s * q_hb / (2^B - 1),  x_lb = sgn(x) * s * q / (2^B - 1) - x_hb
//   W_q  = W (wbits >= 32) | sign(W) * sqrt(1/(k*k*ic)) (wbits == 1) | RoundToBits(W, wbits) (per-tensor max)
//   O_hb = conv(x_hb, W_q);  G = 1{O_hb > delta[o]} (GateSte, alpha, sparse_bp);  O = O_hb + G * conv(x_lb,
//   W_q) penalty = ||delta - target||_2   (PG's L2 norm, not squared; the loss adds sigma * sum over layers)
// Trainer-only: the engine has no general PG op (the FracBNN special case is FracConv2d).
#pragma once

#include <torch/torch.h>

namespace bnnkit::train {

struct PGConv2dOptions {
  PGConv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  /// Total activation bits B.
  TORCH_ARG(int64_t, abits) = 3;
  /// Prediction (high) bits hb.
  TORCH_ARG(int64_t, hbits) = 2;
  /// Weight bits: 1 (sign), 2..31 (uniform), >= 32 (full precision).
  TORCH_ARG(int64_t, wbits) = 8;
  TORCH_ARG(double, alpha) = 5.0;
  TORCH_ARG(bool, sparse_bp) = true;
  TORCH_ARG(double, threshold_init) = 0.0;
};

class PGConv2dImpl : public torch::nn::Module {
 public:
  explicit PGConv2dImpl(const PGConv2dOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor quantized_weight() const;
  torch::Tensor penalty(double target) const;
  double last_density = 0.0;

  PGConv2dOptions options;
  torch::Tensor weight, delta;
};
TORCH_MODULE(PGConv2d);

}  // namespace bnnkit::train
