// PokeBNN's building blocks (papers.md §3.3-3.4, google/aqt pokebnn.py), trained here and exported to the
// engine graph of src/zoo/pokebnn.cc op for op.
//
//   DPReLU      t = x - beta;  y = (t >= 0 ? eta_pos : eta_neg) * t - gamma   (init 0, 1, 0.25, 0), float32
//   in
//               this order (engine: DPReLU)
//   SeGate      s = hard_sigmoid(fc2(relu(fc1(mean_HW(x)))))  from the PokeConv's INPUT, one gate per output
//               channel; fc1: C -> C/8 and fc2 with bias, 4-bit weights and activations (quant.h)
//   PokeConv    y = BN1(BConv(sign(x)))  + local(x)  [+ long(r1)];  y = DPReLU(y) * SE(x);  y = BN2(y)
//               local: channel average in consecutive groups when shrinking, zero channels when expanding,
//               AvgPool 3x3/2 SAME when the conv strides; long (the bottleneck's third conv): channels tiled,
//               AvgPool 3x3/2 SAME. The sign is the clipped 1-bit quantiser: forward x >= 0 ? +1 : -1, STE
//               gradient where |x| <= act_clip (PokeBNN's tuned clipping bound B, 3.0 by default). BN1's
//               gamma starts at 0 on a bottleneck's third conv, so a fresh block is its shortcuts.
// Every parameter-free op evaluates the engine's float32 formula in its order (pools and channel averages
// sum taps in row-major order from 0, then divide), in training and eval alike, so eval mode is the engine's
// arithmetic.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "train/nn/batch_norm.h"
#include "train/nn/binary_conv2d.h"
#include "train/nn/pool.h"
#include "train/nn/quant.h"

namespace bnnkit::train {

using Taps = std::vector<std::pair<std::string, torch::Tensor>>;

class DPReLUImpl : public torch::nn::Module {
 public:
  explicit DPReLUImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor beta, eta_pos, eta_neg, gamma;
};
TORCH_MODULE(DPReLU);

// Mean of consecutive groups of C / out channels (trailing channels that fill no group ignored).
torch::Tensor channel_group_avg(const torch::Tensor& x, int64_t out);
// x followed by zero channels up to `out`.
torch::Tensor channel_zero_pad(const torch::Tensor& x, int64_t out);
// x repeated along channels out / C times (jnp.tile); out must be a multiple of C.
torch::Tensor channel_tile(const torch::Tensor& x, int64_t out);
// min(max(x + 3, 0), 6) / 6 in float32, the engine's kHardSigmoid.
torch::Tensor hard_sigmoid(const torch::Tensor& x);

// The quantiser ranges of a PokeBNN (fixed bounds; aqt calibrates them during training).
struct PokeQuant {
  UniformQuant image{8, -3.0f, 3.0f};  // normalised pixels into PokeInit's first conv
  UniformQuant act{8, -4.0f, 4.0f};    // into the grouped PokeInit conv and the head
  UniformQuant se_in{4, -2.0f, 2.0f};  // SE pooled input
  UniformQuant se_mid{4, 0.0f, 4.0f};  // SE hidden, after its ReLU
};

class SeGateImpl : public torch::nn::Module {
 public:
  SeGateImpl(int64_t in, int64_t out, int bits);
  // x [N, C, H, W] -> gates [N, out].
  torch::Tensor forward(const torch::Tensor& x, const PokeQuant& q);
  QuantConv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SeGate);

struct PokeConvOptions {
  int64_t in = 0, out = 0, kernel = 1, stride = 1;
  double act_clip = 3.0;
  bool third = false;  // a bottleneck's third conv: long shortcut, BN1 gamma 0
};

class PokeConvImpl : public torch::nn::Module {
 public:
  explicit PokeConvImpl(const PokeConvOptions& o);
  // r1: the bottleneck's input for its third conv (undefined otherwise). taps receives (name + ".conv", D).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& r1, const PokeQuant& q, Taps* taps,
                        const std::string& name);
  // The local (tile = false) or long (tile = true) shortcut of r shaped like the conv's output.
  static torch::Tensor shortcut(const torch::Tensor& r, const std::vector<int64_t>& target, bool tile);

  PokeConvOptions opt;
  BinaryConv2d conv{nullptr};
  BatchNorm bn1{nullptr}, bn2{nullptr};
  DPReLU act{nullptr};
  SeGate se{nullptr};
};
TORCH_MODULE(PokeConv);

}  // namespace bnnkit::train
