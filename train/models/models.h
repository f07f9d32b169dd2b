// The trainer's model zoo, built from the "model" object of a JSON config (configs/*.json).
//
//   "resnet20_bnn"  FracBNN-CIFAR topology (papers.md §2.4) for any HxWxC input: thermometer (or real) input,
//                   binary stem conv + BN, 3 stages x `blocks` blocks (widths 16/32/64 by default), each conv
//                   wrapped as  x = BN_b(RPReLU(BN_a(Conv(Q(x)))) + shortcut(x)),  AvgPool2x2 + channel-dup
//                   shortcuts, global average pool + FP linear head. "activation" picks Q and the conv:
//                     "frac"   QuantSign2 -> FracConv2d (gated LSB plane)      FracBNN step 3
//                     "quant2" QuantSign2 -> BinaryConv2d on 3*x_q (both planes) FracBNN steps 1-2
//                     "sign"   SignSte    -> BinaryConv2d                       plain 1-bit activations
//                   "binary_weights": false keeps real weights (FracBNN step 1).
//   "resnet20_fp"   the same topology in full precision: Conv-BN-ReLU blocks, real input, same shortcuts.
//   "pokebnn"       PokeBNN (train/models/pokebnn.h): PokeInit, bottlenecks of PokeConvs, 8-bit head.
//   "mlp_bnn"       FINN LFC-like binary MLP: thermometer input (levels 1 = binarised at 128), hidden binary
//                   dense layers (default 3 x 1024) each followed by BN + sign, a binary output layer + BN.
//
// Every model takes uint8 NCHW images. Eval mode is the exported model's arithmetic: integer accumulators,
// BN folded into y = acc * scale + bias (BatchNorm), the same float order as the engine's ops.
// `taps`, when set, receives (name, tensor) of every binary layer's integer accumulator during forward (the
// parity test compares them with the engine's Int32-stage copy).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "train/config/config.h"
#include "train/nn/activations.h"
#include "train/nn/batch_norm.h"
#include "train/nn/binary_conv2d.h"
#include "train/nn/binary_dense.h"
#include "train/nn/frac_conv2d.h"
#include "train/nn/pg_conv2d.h"
#include "train/nn/pool.h"
#include "train/nn/quant.h"
#include "train/nn/thermometer.h"

namespace bnnkit::train {

using Taps = std::vector<std::pair<std::string, torch::Tensor>>;

class ClassifierImpl : public torch::nn::Module {
 public:
  // images: uint8 [N, C, H, W] -> logits [N, classes].
  virtual torch::Tensor forward(const torch::Tensor& images) = 0;
  // Regulariser added to the loss (undefined tensor: none).
  virtual torch::Tensor penalty() { return {}; }
  // Clamps latent binary weights after an optimizer step.
  virtual void clip_latent() {}
  // Mean fraction of fractional-conv outputs whose gate was open in the last forward; < 0 if none.
  virtual double gate_density() const { return -1.0; }
  // The gated layers (fractional or PG convs) by their exported op name, each with its last forward's gate
  // density (parity compares the open-gate counts with the engine's).
  virtual std::vector<std::pair<std::string, const double*>> gated_layers() { return {}; }
  Taps* taps = nullptr;
  // Normalisation of a real-valued input (normalize_pixels; graph metadata input_mean/input_std); empty for
  // models that take the pixels as they are (thermometer inputs) or as p / 255.
  std::vector<float> mean, std;
};

// Real-valued input: x = (p / 255 - mean[c]) / std[c] in float32 (graph metadata input_mean/input_std).
torch::Tensor normalize_pixels(const torch::Tensor& images, const std::vector<float>& mean,
                               const std::vector<float>& std);
// cat(x, x) along channels.
torch::Tensor channel_dup(const torch::Tensor& x);

enum class ActMode { kFrac, kQuant2, kSign, kReal };

// FracBNN-ImageNet's 4-bit shortcut quantiser (the zoo's fracbnn-imagenet: QuantUniform 4 bits on [-1, 1]).
inline const UniformQuant kShortcutQuant{4, -1.0f, 1.0f};
ActMode parse_act(const std::string& s);

// One "Q -> Conv" of a binary block (either a FracConv2d or a BinaryConv2d is registered as "conv").
struct BlockConvOptions {
  int64_t in = 0, out = 0, stride = 1, kernel = 3;
  ActMode act = ActMode::kFrac;
  bool binary_weights = true;
  PadMode padding = PadMode::kZero;
  double sign_clip = 1.3, weight_clip = 1.3, theta_init = -1.0, gate_alpha = 5.0, latent_clip = 0.0;
  bool sparse_bp = true;
};

class BnnBlockImpl : public torch::nn::Module {
 public:
  BnnBlockImpl(const BlockConvOptions& conv1, const BlockConvOptions& conv2);
  torch::Tensor forward(const torch::Tensor& x, Taps* taps, const std::string& name);
  // One residual unit: BN_b(RPReLU(BN_a(Conv(Q(x)))) + shortcut).
  torch::Tensor unit(int i, const torch::Tensor& x, const torch::Tensor& shortcut, Taps* taps,
                     const std::string& name);
  torch::Tensor quantize(int i, const torch::Tensor& x);  // Q of unit i
  torch::Tensor shortcut1(const torch::Tensor& x) const;

  BlockConvOptions opt[2];
  FracConv2d fconv[2] = {nullptr, nullptr};
  BinaryConv2d bconv[2] = {nullptr, nullptr};
  BatchNorm bn_a[2] = {nullptr, nullptr}, bn_b[2] = {nullptr, nullptr};
  RPReLU act[2] = {nullptr, nullptr};
};
TORCH_MODULE(BnnBlock);

// FracBNN's two topologies (papers.md §2.4), one class: "resnet20_bnn" (above) and "fracbnn_reactnet", the
// ImageNet network: thermometer -> binary 3x3 stem (stride stem_stride) + BN, then per block i (block_widths,
// block_strides) two units
//     y = BN_b(RPReLU(BN_a(FracConv3x3_s(Q2(x)))) + AvgPool2x2_if_s2(Q4(x)))        in -> in
//     z = BN_b(RPReLU(BN_a(FracConv1x1(Q2(y))))   + ChannelDup_if_2x(Q4(y)))        in -> out (= in or 2 in)
// with Q4 the 4-bit shortcut quantiser on [-1, 1] (fake_quant, the engine's QuantUniform values), then
// global average pool + FP linear head. Its default widths are the zoo's fracbnn-imagenet
// (configs/fracbnn_imagenet.json); small widths/strides train on 28x28 inputs.
class ResNet20BnnImpl : public ClassifierImpl {
 public:
  explicit ResNet20BnnImpl(const Json& cfg);
  torch::Tensor forward(const torch::Tensor& images) override;
  torch::Tensor penalty() override;
  void clip_latent() override;
  double gate_density() const override;
  std::vector<std::pair<std::string, const double*>> gated_layers() override;

  bool reactnet = false;  // "fracbnn_reactnet"
  int64_t stem_stride = 1;
  std::vector<int64_t> block_widths, block_strides;  // reactnet: per block
  Json cfg;
  int64_t levels = 32;  // thermometer levels; 0 = real input through a FP stem conv
  double gate_penalty = 0.0, gate_target = 0.0;
  Thermometer thermo{nullptr};
  BinaryConv2d stem{nullptr};
  torch::nn::Conv2d stem_fp{nullptr};
  BatchNorm stem_bn{nullptr};
  std::vector<BnnBlock> blocks;
  std::vector<std::string> block_names;
  torch::nn::Linear fc{nullptr};
};

// "resnet20_fp" and its Precision Gating version "resnet20_pg" (papers.md §1): every conv, the stem included,
// a PGConv2d (abits, hbits, wbits, gate_penalty/gate_target like FracBNN's), so that the whole network below
// the float head is the engine's exact PGConv2d arithmetic in eval mode.
class ResNet20FpImpl : public ClassifierImpl {
 public:
  explicit ResNet20FpImpl(const Json& cfg);
  torch::Tensor forward(const torch::Tensor& images) override;
  torch::Tensor penalty() override;
  double gate_density() const override;
  std::vector<std::pair<std::string, const double*>> gated_layers() override;

  struct Block {
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    PGConv2d pg1{nullptr}, pg2{nullptr};  // resnet20_pg
    BatchNorm bn1{nullptr}, bn2{nullptr};
    int64_t stride = 1, in = 0, out = 0;
  };
  // conv -> BN: the float conv, or the PG conv (training: its fake-quantised forward; eval: the engine's
  // (float(acc) * k) * scale + bias). taps gets the PG conv's integer accumulator as `name`.
  torch::Tensor conv_bn(torch::nn::Conv2d& conv, PGConv2d& pgc, BatchNorm& bn, const torch::Tensor& x,
                        const std::string& name);

  bool pg = false;
  double gate_penalty = 0.0, gate_target = 0.0;
  Json cfg;
  torch::nn::Conv2d stem{nullptr};
  PGConv2d stem_pg{nullptr};
  BatchNorm stem_bn{nullptr};
  std::vector<Block> blocks;
  torch::nn::Linear fc{nullptr};
};

class BinaryMlpImpl : public ClassifierImpl {
 public:
  explicit BinaryMlpImpl(const Json& cfg);
  torch::Tensor forward(const torch::Tensor& images) override;
  void clip_latent() override;

  Json cfg;
  int64_t levels = 1;
  double sign_clip = 1.0;
  Thermometer thermo{nullptr};
  std::vector<BinaryDense> layers;
  std::vector<BatchNorm> bns;
};

// Builds a model from the "model" config object, which must carry "input_shape" [C, H, W] and "num_classes"
// (the trainer fills them from the data). Throws std::invalid_argument on an unknown type or bad field.
std::shared_ptr<ClassifierImpl> build_model(const Json& model_cfg);

}  // namespace bnnkit::train
