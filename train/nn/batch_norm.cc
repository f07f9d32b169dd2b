#include "train/nn/batch_norm.h"

namespace bnnkit::train {

namespace {
std::vector<int64_t> channel_view(const torch::Tensor& x) {
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = -1;
  return shape;
}
}  // namespace

torch::Tensor channel_affine(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& bias) {
  const auto v = channel_view(x);
  const auto prod = x * scale.view(v);
  return prod + bias.view(v);
}

BatchNormImpl::BatchNormImpl(const BatchNormOptions& o) : options(o) {
  const int64_t c = o.num_features();
  weight = register_parameter("weight", torch::ones({c}));
  bias = register_parameter("bias", torch::zeros({c}));
  running_mean = register_buffer("running_mean", torch::zeros({c}));
  running_var = register_buffer("running_var", torch::ones({c}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

std::pair<torch::Tensor, torch::Tensor> BatchNormImpl::folded(const torch::Tensor& pre_scale) const {
  torch::NoGradGuard no_grad;
  const auto denom = (running_var + options.eps()).sqrt();
  const auto inv = weight / denom;
  const auto scale = pre_scale.defined() ? inv * pre_scale : inv.clone();
  const auto shifted = running_mean * inv;
  const auto b = bias - shifted;
  return {scale.detach(), b.detach()};
}

torch::Tensor BatchNormImpl::forward(const torch::Tensor& x) {
  return forward_scaled(x, {});
}

torch::Tensor BatchNormImpl::forward_scaled(const torch::Tensor& x, const torch::Tensor& pre_scale) {
  if (is_training()) {
    const auto xs = pre_scale.defined() ? x * pre_scale.view(channel_view(x)) : x;
    num_batches_tracked += 1;
    return torch::batch_norm(xs, weight, bias, running_mean, running_var, /*training=*/true,
                             options.momentum(), options.eps(), /*cudnn_enabled=*/false);
  }
  auto [scale, b] = folded(pre_scale.defined() ? pre_scale.detach() : pre_scale);
  return channel_affine(x, scale, b);
}

}  // namespace bnnkit::train
