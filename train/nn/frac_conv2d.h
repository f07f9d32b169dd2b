// FracBNN fractional convolution (PGBinaryConv2d, papers.md §2.2), in the engine's integer units.
//
// Input: x3 = 3 * x_q in {-3, -1, +1, +3} (QuantSign2's output). Its planes: msb = sign(x3), lsb = x3 -
// 2*msb, so x3 = 2*msb + lsb and x_q = (2/3)*msb + (1/3)*lsb. With wb = sign(W) (SignSte, clip 1.3):
//   D_msb = conv(msb, wb)                          always computed; exact integer
//   o_msb = D_msb * float(2/3)                     float32, one rounding: the gate's operand
//   G     = 1{o_msb > theta[o]}                    GateSte: sigmoid(alpha*(o_msb - theta)) surrogate,
//                                                  SparseGreaterThan when sparse_bp
//   acc   = 2*D_msb + G*D_lsb,  D_lsb = conv(x3, wb) - 2*D_msb = conv(lsb, wb)
// which is 3 * [(1-G)*O_msb + G*O_full] of the reference code, and exactly the engine's fracconv accumulator.
// Padding kZero: both planes 0 at padded taps; kOne: both +1 (x3 = +3).
// Gradients equal the reference's (times 3): the msb path carries d msb / d x_q = 1 (FastSign on [-1, 1]).
// The exporter turns theta into an integer gate threshold t with D_msb > t <=> o_msb > theta (same float32).
#pragma once

#include <torch/torch.h>

#include "train/nn/binary_conv2d.h"

namespace bnnkit::train {

struct FracConv2dOptions {
  FracConv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  TORCH_ARG(PadMode, padding_mode) = PadMode::kZero;
  /// Initial per-channel gate threshold theta (FracBNN: -1.0).
  TORCH_ARG(double, theta_init) = -1.0;
  /// Sigmoid slope of the gate's surrogate gradient.
  TORCH_ARG(double, alpha) = 5.0;
  /// SparseGreaterThan: gate gradient only where the gate is open.
  TORCH_ARG(bool, sparse_bp) = true;
  TORCH_ARG(double, weight_clip) = 1.3;
  TORCH_ARG(double, latent_clip) = 0.0;
};

class FracConv2dImpl : public torch::nn::Module {
 public:
  explicit FracConv2dImpl(const FracConv2dOptions& options);
  torch::Tensor forward(const torch::Tensor& x3);
  // The three integer tensors of the last forward (for tests): D_msb, G, acc. Filled only when record_ is
  // set.
  void set_record(bool on) { record_ = on; }
  torch::Tensor last_d_msb, last_gate;
  // Mean gate density of the last training/eval forward (fraction of outputs that ran the LSB plane).
  double last_density = 0.0;
  void clip_latent();
  // FracBNN gating penalty term 0.5 * ||theta - target||^2.
  torch::Tensor penalty(double target) const;

  FracConv2dOptions options;
  torch::Tensor weight;  // [oc, ic, k, k]
  torch::Tensor theta;   // [oc]

 private:
  bool record_ = false;
};
TORCH_MODULE(FracConv2d);

// The gate operand's constant, float(2/3).
inline constexpr float kTwoThirds = 2.0f / 3.0f;

}  // namespace bnnkit::train
