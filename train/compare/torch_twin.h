// The LibTorch fp32 twin of an engine graph (issue 7): the same architecture with float convolutions, built
// op by op from a bnnkit::Graph so that every conv and dense layer has the engine's shapes (and so its MACs).
//
// Mapping (engine op -> LibTorch, on float NCHW-indexed tensors):
//   BConv2d / FracConv2d / PGConv2d / Conv2d -> conv2d (groups as the engine's), with the engine's weights as
//       floats (±1 bits, PG codes × step) times the float output stage's scale, and its bias: the stage is
//       folded into the conv as batch norm is in a float deployment. Bits / int32 stages: weights scaled by
//       1/sqrt(fan-in), bias -threshold/sqrt(fan-in) (no sign: a float net passes floats on).
//   BDense / Dense -> linear;  Affine -> addcmul;  PReLU -> prelu;  RPReLU -> prelu(x - gamma) + zeta;
//   DPReLU -> where(t >= 0, t·eta_pos, t·eta_neg) - gamma;  Activation -> relu / hardtanh(0, 6) /
//   hardsigmoid; Add, ScaleChannels (SE), Concat, ChannelDup (cat), ChannelPad (cat zeros), ChannelAvg (mean
//   of groups), AvgPool / MaxPool (explicit pad where asymmetric), GlobalAvgPool (mean), Flatten (in the
//   engine's HWC order), Softmax, ArgMax -> their LibTorch equivalents. SignQuant / Quant2Bit / QuantUniform
//   -> the float input itself: a float network does not quantise, and
//       FracConv2d's two bit planes are one float conv. Thermometer -> one broadcast subtract that makes the
//       same C×levels channels (pixel/255 - level threshold), so the stem conv keeps its 96 input channels.
// Padding::kOne convs pad with zeros here (same shapes and MACs).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::train {

// Memory format of the twin's (and MobileNetV2's) feature maps and conv weights. Channels-last lets oneDNN
// run every conv without reordering activations; NCHW is PyTorch's default.
enum class TorchLayout { kNchw, kChannelsLast };
TorchLayout parse_torch_layout(const std::string& s);  // "nchw" or "nhwc"; throws bnnkit::Error otherwise
const char* torch_layout_name(TorchLayout layout);
torch::MemoryFormat memory_format(TorchLayout layout);

class TorchTwin {
 public:
  // Throws bnnkit::Error for a graph with more than one input.
  explicit TorchTwin(const Graph& graph, TorchLayout layout = TorchLayout::kChannelsLast);

  // A random input for `batch` images: [N, C, H, W] floats in [0, 1) for image inputs (thermometer-encoded
  // uint8 inputs become pixel / 255), N(0, 1) otherwise, in the twin's memory format.
  torch::Tensor example_input(int batch, uint64_t seed = 42) const;
  // Runs the twin; outputs in the engine's graph order (feature maps NCHW-indexed). Call under
  // torch::NoGradGuard or c10::InferenceMode. With `macs`, adds the conv/linear multiply-accumulates of this
  // forward, counted from LibTorch's own output and weight shapes (per batch, not per image).
  std::vector<torch::Tensor> forward(const torch::Tensor& input, int64_t* macs = nullptr) const;
  // Multiply-accumulates per image (one forward at batch 1 with counting).
  int64_t macs_per_image() const;
  // Ops whose rank-4 output is not in the twin's memory format, after one forward at batch 1: a LibTorch op
  // that silently changes the layout makes the next conv reorder. Empty when the layout holds throughout.
  std::vector<std::string> layout_changes() const;

  const std::vector<int>& input_shape_nhwc() const { return input_shape_; }

 private:
  // One graph op: reads and writes the tensor table (indexed like Graph::tensors).
  using Step = std::function<void(std::vector<torch::Tensor>&, int64_t* macs)>;
  std::vector<Step> steps_;
  std::vector<std::vector<int>> release_after_;  // per step: tensors whose last reader it was (memory)
  std::vector<std::string> step_names_;          // per step: the op's name
  std::vector<int> step_outputs_;                // per step: its first output tensor
  int num_tensors_ = 0, input_ = -1;
  std::vector<int> outputs_, input_shape_;
  bool image_input_ = false;  // uint8 input (thermometer): example_input gives pixels / 255
  TorchLayout layout_;
};

}  // namespace bnnkit::train
