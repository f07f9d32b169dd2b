// Activation modules around the STEs of train/autograd/ste.h, and the learnable shifts of ReActNet/FracBNN.
//
//   SignActivation  y = sign(x) with SignSte(clip)                 (engine: sign_quant)
//   QuantSign2      y = 3 * x_q in {-3, -1, +1, +3}, the 2-bit fractional code in integer units
//                   (engine: quant2bit -> msb/lsb planes); see ste.h for the exact rounding.
//   LearnableBias   y = x + b[c]
//   RSign           y = sign(x + b[c]) with SignSte(clip)           (engine: sign_quant with threshold -b:
//                   round(x + b) >= 0 <=> x >= -b exactly, since a float sum keeps its sign)
//   RPReLU          t = x - gamma[c];  u = t >= 0 ? t : t * slope[c];  y = u + zeta[c]   (float32, this
//   order;
//                   slope initialised to 0.25 like nn.PReLU)
//   PReLU           RPReLU without the shifts (u only).
// Per-channel parameters broadcast over dim 1 ([N, C] or [N, C, H, W]).
#pragma once

#include <torch/torch.h>

namespace bnnkit::train {

struct SignActivationOptions {
  /// SignSte clip: 1.0 (classic) or 1.3 (FracBNN FastSign).
  TORCH_ARG(double, clip) = 1.0;
};

class SignActivationImpl : public torch::nn::Module {
 public:
  explicit SignActivationImpl(const SignActivationOptions& options = {}) : options(options) {}
  torch::Tensor forward(const torch::Tensor& x);
  SignActivationOptions options;
};
TORCH_MODULE(SignActivation);

class QuantSign2Impl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(QuantSign2);

class LearnableBiasImpl : public torch::nn::Module {
 public:
  explicit LearnableBiasImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor bias;
};
TORCH_MODULE(LearnableBias);

struct RSignOptions {
  RSignOptions(int64_t channels) : channels_(channels) {}
  TORCH_ARG(int64_t, channels);
  TORCH_ARG(double, clip) = 1.0;
};

class RSignImpl : public torch::nn::Module {
 public:
  explicit RSignImpl(const RSignOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  RSignOptions options;
  torch::Tensor bias;
};
TORCH_MODULE(RSign);

struct RPReLUOptions {
  RPReLUOptions(int64_t channels) : channels_(channels) {}
  TORCH_ARG(int64_t, channels);
  /// Initial negative slope.
  TORCH_ARG(double, init) = 0.25;
  /// false: plain PReLU (no shift parameters registered).
  TORCH_ARG(bool, shifts) = true;
};

class RPReLUImpl : public torch::nn::Module {
 public:
  explicit RPReLUImpl(const RPReLUOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  RPReLUOptions options;
  torch::Tensor shift_in, slope, shift_out;  // gamma, a, zeta; shifts undefined for plain PReLU
};
TORCH_MODULE(RPReLU);

// Broadcast view of a [C] parameter against x ([N, C] or [N, C, H, W]).
torch::Tensor per_channel(const torch::Tensor& p, const torch::Tensor& x);

}  // namespace bnnkit::train
