#include "train/nn/binary_dense.h"

#include "train/autograd/ste.h"

namespace bnnkit::train {

BinaryDenseImpl::BinaryDenseImpl(const BinaryDenseOptions& o) : options(o) {
  auto w = torch::empty({o.out_features(), o.in_features()});
  torch::nn::init::kaiming_normal_(w, 0.0, torch::kFanIn, torch::kReLU);
  weight = register_parameter("weight", w);
}

torch::Tensor BinaryDenseImpl::effective_weight() const {
  return options.binary_weights() ? sign_ste(weight, options.weight_clip()) : weight;
}

torch::Tensor BinaryDenseImpl::alpha() const {
  if (options.scale() == WeightScale::kNone) return {};
  return weight.abs().mean({1});
}

torch::Tensor BinaryDenseImpl::forward_acc(const torch::Tensor& x) {
  return torch::nn::functional::linear(x, effective_weight());
}

torch::Tensor BinaryDenseImpl::forward(const torch::Tensor& x) {
  auto d = forward_acc(x);
  if (options.scale() == WeightScale::kMeanAbs) d = d * alpha().view({1, -1});
  return d;
}

void BinaryDenseImpl::clip_latent() {
  if (options.latent_clip() <= 0.0) return;
  torch::NoGradGuard no_grad;
  weight.clamp_(-options.latent_clip(), options.latent_clip());
}

}  // namespace bnnkit::train
