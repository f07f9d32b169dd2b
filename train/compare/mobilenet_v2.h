// MobileNetV2 (Sandler et al. 2018), width 1.0, in LibTorch C++: the fp32 reference of issue 7 (there is no
// torchvision here). The paper's (t, c, n, s) table of inverted residual blocks, ReLU6, 1280-channel last
// conv, global average pool and a 1000-way classifier. Batch norm is folded into the convs' biases, as a
// deployed fp32 model has it (the eval-mode BN would be one per-channel affine more per conv); dropout is
// the identity in eval and is left out. Weights are random (He-normal on the fan-in, zero biases).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace bnnkit::train {

class InvertedResidualImpl : public torch::nn::Module {
 public:
  // in -> expand × in (1×1, skipped for expand 1) -> depthwise 3×3 stride `stride` -> out (1×1, linear).
  // h, w: input size, updated to the output size; macs accumulates the block's multiply-accumulates.
  InvertedResidualImpl(int in, int out, int stride, int expand, int& h, int& w, int64_t& macs);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Sequential body_;
  bool residual_ = false;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Impl : public torch::nn::Module {
 public:
  explicit MobileNetV2Impl(int classes = 1000, int image_size = 224);
  torch::Tensor forward(const torch::Tensor& x);  // [N, 3, H, W] -> [N, classes]
  // Multiply-accumulates per image of the convs and the classifier, for image_size × image_size inputs.
  int64_t macs_per_image() const { return macs_; }

 private:
  torch::nn::Sequential features_;
  torch::nn::Linear classifier_{nullptr};
  int64_t macs_ = 0;
};
TORCH_MODULE(MobileNetV2);

// Re-stores every rank-4 parameter (the conv weights) in `format`, so that channels-last inputs reach
// oneDNN without per-call weight reorders.
void set_weight_format(torch::nn::Module& module, torch::MemoryFormat format);

}  // namespace bnnkit::train
