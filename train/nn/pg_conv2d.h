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
//
// Eval (forward_exact): the engine's PGConv2d arithmetic (kernels/pgconv/pgconv.h) — per-image scale
// s_b = max|x| + 1e-7 (training uses the batch's max), integer codes, exact integer accumulators over integer
// weight codes (weight_codes(): wbits 2..8 per-tensor codes with step s / levels, wbits 1 the signs with step
// sqrt(1 / (k k ic))), k_b = (s_b / top) * step, gate = float(acc_hb) * k_b > delta, acc = acc_hb + gate
// acc_lb; the caller applies (float(acc) * k_b) * scale + bias (a folded BN, the engine's float stage).
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
  // Integer weight codes (float32 tensor of W's shape) and the step their value is code * step.
  std::pair<torch::Tensor, float> weight_codes() const;
  struct Exact {
    torch::Tensor acc;  // [N, O, H, W] exact integers (float32)
    torch::Tensor k;    // [N] float32: the per-image scale of acc
  };
  // The engine's arithmetic (see above); sets last_density. No autograd.
  Exact forward_exact(const torch::Tensor& x);
  torch::Tensor penalty(double target) const;
  double last_density = 0.0;

  PGConv2dOptions options;
  torch::Tensor weight, delta;
};
TORCH_MODULE(PGConv2d);

}  // namespace bnnkit::train
