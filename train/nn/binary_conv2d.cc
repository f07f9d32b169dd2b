#include "train/nn/binary_conv2d.h"

#include <cmath>

#include "train/autograd/ste.h"

namespace bnnkit::train {

torch::Tensor padded_conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride, int64_t padding,
                            PadMode mode, double one_value) {
  namespace F = torch::nn::functional;
  if (mode == PadMode::kOne && padding > 0) {
    const auto xp = F::pad(x, F::PadFuncOptions({padding, padding, padding, padding}).value(one_value));
    return F::conv2d(xp, w, F::Conv2dFuncOptions().stride(stride));
  }
  return F::conv2d(x, w, F::Conv2dFuncOptions().stride(stride).padding(padding));
}

BinaryConv2dImpl::BinaryConv2dImpl(const BinaryConv2dOptions& o) : options(o) {
  auto w = torch::empty({o.out_channels(), o.in_channels(), o.kernel_size(), o.kernel_size()});
  torch::nn::init::kaiming_normal_(w, 0.0, torch::kFanIn, torch::kReLU);
  weight = register_parameter("weight", w);
}

torch::Tensor BinaryConv2dImpl::effective_weight() const {
  return options.binary_weights() ? sign_ste(weight, options.weight_clip()) : weight;
}

torch::Tensor BinaryConv2dImpl::alpha() const {
  if (options.scale() == WeightScale::kNone) return {};
  return weight.abs().mean({1, 2, 3});
}

torch::Tensor BinaryConv2dImpl::forward_acc(const torch::Tensor& x, double one_value) {
  return padded_conv2d(x, effective_weight(), options.stride(), options.padding(), options.padding_mode(),
                       one_value);
}

torch::Tensor BinaryConv2dImpl::forward(const torch::Tensor& x, double one_value) {
  auto d = forward_acc(x, one_value);
  if (options.scale() == WeightScale::kMeanAbs) d = d * alpha().view({1, -1, 1, 1});
  return d;
}

void BinaryConv2dImpl::clip_latent() {
  if (options.latent_clip() <= 0.0) return;
  torch::NoGradGuard no_grad;
  weight.clamp_(-options.latent_clip(), options.latent_clip());
}

}  // namespace bnnkit::train
