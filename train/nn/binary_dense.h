// Binary fully-connected layer: y = x . sign(W)^T (exact integers for a +-1 input), optional alpha scale.
// Same options and conventions as BinaryConv2d (binary_conv2d.h).
#pragma once

#include <torch/torch.h>

#include "train/nn/binary_conv2d.h"

namespace bnnkit::train {

struct BinaryDenseOptions {
  BinaryDenseOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, binary_weights) = true;
  TORCH_ARG(double, weight_clip) = 1.3;
  TORCH_ARG(WeightScale, scale) = WeightScale::kNone;
  TORCH_ARG(double, latent_clip) = 0.0;
};

class BinaryDenseImpl : public torch::nn::Module {
 public:
  explicit BinaryDenseImpl(const BinaryDenseOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor forward_acc(const torch::Tensor& x);
  torch::Tensor alpha() const;
  torch::Tensor effective_weight() const;
  void clip_latent();

  BinaryDenseOptions options;
  torch::Tensor weight;  // [out, in]
};
TORCH_MODULE(BinaryDense);

}  // namespace bnnkit::train
