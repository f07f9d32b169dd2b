// Uniform k-bit quantisers and the quantised float convolution of PokeBNN's PokeInit, SE gates and head
// (papers.md §3.4: 8-bit and 4-bit weights and activations).
//
// Activations (engine: QuantUniform). Training fakes the quantiser: y = lo + q * step with q the nearest
// level of clamp(x, lo, hi), gradient 1 inside [lo, hi] and 0 outside (the clipped STE). Eval computes the
// engine's integer codes c = 2q - (2^bits - 1) (QuantUniform codes = true), with the exact float32 formula of
// kernels/elementwise/elementwise.h, so trainer and engine agree bit for bit.
//
// Weights: per output channel, symmetric, s_o = max|W_o| / (2^(bits-1) - 1), codes k = floor(W / s_o + 0.5)
// in [-(2^(bits-1) - 1), 2^(bits-1) - 1]; training uses k * s_o with the identity STE (aqt's weight
// quantiser).
//
// QuantConv2d in eval mode runs on codes: acc = conv(c, k) is a sum of integer products, exact in float32
// while |acc| < 2^24 (8-bit codes: |c k| <= 255 * 127, so up to ~500 taps per output in the worst case), and
// computed here in float64 so no summation order or algorithm can round it. The real-valued conv is then
//     conv(x_q, W_q) = acc * (step / 2) * s_o  +  mid * s_o * sum(k_o)          (mid = (lo + hi) / 2)
// which eval_scale() / eval_shift() give as float32 tensors: the exporter writes exactly these into the
// Affine (or the BatchNorm fold) after the engine's Conv2d, so both sides compute the same floats. A padded
// conv needs mid = 0 (zero padding is then the code 0); the constructor and eval check this.
#pragma once

#include <torch/torch.h>

namespace bnnkit::train {

struct UniformQuant {
  int bits = 8;
  float lo = -1.0f, hi = 1.0f;
  float levels() const { return static_cast<float>((1 << bits) - 1); }
  float step() const { return (hi - lo) / levels(); }
  float mid() const { return (lo + hi) / 2.0f; }
};

// Integer codes 2q - levels as float32 (no autograd), the engine's QuantUniform codes formula.
torch::Tensor quant_codes(const torch::Tensor& x, const UniformQuant& q);
// Fake-quantised value lo + q * step (float32) with the clipped STE.
torch::Tensor fake_quant(const torch::Tensor& x, const UniformQuant& q);

struct WeightCodes {
  torch::Tensor codes;  // integers as float32, the weight's shape
  torch::Tensor scale;  // s_o, float32 [OC]
};
// Per-output-channel symmetric codes of w ([OC, ...]); no autograd.
WeightCodes weight_codes(const torch::Tensor& w, int bits);
// codes * scale with the identity STE (gradient flows to w unchanged).
torch::Tensor fake_quant_weight(const torch::Tensor& w, int bits);

struct QuantConv2dOptions {
  QuantConv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  TORCH_ARG(int64_t, groups) = 1;
  /// Weight bits (activation bits come from the UniformQuant passed to forward).
  TORCH_ARG(int, bits) = 8;
  TORCH_ARG(bool, bias) = false;
};

class QuantConv2dImpl : public torch::nn::Module {
 public:
  explicit QuantConv2dImpl(const QuantConv2dOptions& options);
  // Training arithmetic: conv(fake_quant(x), fake_quant_weight(W)) + bias.
  torch::Tensor forward_fake(const torch::Tensor& x, const UniformQuant& act);
  // Eval arithmetic, from one computation of the weight codes: the integer accumulator over quant_codes(x)
  // and the scale and shift (float32 [OC]) that make acc * scale + shift the real conv output.
  struct Exact {
    torch::Tensor acc, scale, shift;
  };
  Exact forward_exact(const torch::Tensor& x, const UniformQuant& act) const;
  // The scale and shift alone (the exporter's constants; see the header comment).
  torch::Tensor eval_scale(const UniformQuant& act) const;
  torch::Tensor eval_shift(const UniformQuant& act) const;  // mid * s_o * sum(k_o) (+ bias)
  // Either arithmetic by mode (in eval, acc * scale + shift): the layer's real output.
  torch::Tensor forward(const torch::Tensor& x, const UniformQuant& act);

  QuantConv2dOptions options;
  torch::Tensor weight, bias;  // bias undefined unless options.bias()

 private:
  torch::Tensor acc(const torch::Tensor& codes, const WeightCodes& w) const;
  torch::Tensor shift(const WeightCodes& w, const UniformQuant& act) const;
};
TORCH_MODULE(QuantConv2d);

}  // namespace bnnkit::train
