#include "train/autograd/ste.h"

namespace bnnkit::train {

torch::Tensor sign_pm1(const torch::Tensor& x) {
  return torch::where(x >= 0, torch::ones_like(x), -torch::ones_like(x));
}

torch::Tensor SignSte::forward(ag::AutogradContext* ctx, torch::Tensor x, double clip) {
  ctx->save_for_backward({x});
  ctx->saved_data["clip"] = clip;
  return sign_pm1(x);
}

ag::tensor_list SignSte::backward(ag::AutogradContext* ctx, ag::tensor_list grad_out) {
  const auto x = ctx->get_saved_variables()[0];
  const double clip = ctx->saved_data["clip"].toDouble();
  auto g = grad_out[0] * (x.abs() <= clip).to(grad_out[0].dtype());
  return {g, torch::Tensor()};
}

torch::Tensor sign_ste(const torch::Tensor& x, double clip) {
  return SignSte::apply(x, clip);
}

torch::Tensor quant2_code(const torch::Tensor& x) {
  // Same float32 operations, in the same order, as kernels/bitpack quant2bit_code().
  auto t = torch::clamp(x, -1.0, 1.0);
  t = t + 1.0;
  t = t * 1.5;
  t = t + 0.5;
  return torch::clamp(torch::floor(t), 0.0, 3.0).to(torch::kLong);
}

torch::Tensor QuantSign2Ste::forward(ag::AutogradContext* ctx, torch::Tensor x) {
  ctx->save_for_backward({x});
  return (quant2_code(x) * 2 - 3).to(x.dtype());
}

ag::tensor_list QuantSign2Ste::backward(ag::AutogradContext* ctx, ag::tensor_list grad_out) {
  const auto x = ctx->get_saved_variables()[0];
  auto pass = ((x > -1.0) & (x < 1.0)).to(grad_out[0].dtype());
  return {grad_out[0] * pass * 3.0};
}

torch::Tensor quant_sign2(const torch::Tensor& x) {
  return QuantSign2Ste::apply(x);
}

torch::Tensor GateSte::forward(ag::AutogradContext* ctx, torch::Tensor o, torch::Tensor theta, double alpha,
                               bool sparse) {
  ctx->save_for_backward({o, theta});
  ctx->saved_data["alpha"] = alpha;
  ctx->saved_data["sparse"] = sparse;
  return (o > theta).to(o.dtype());
}

ag::tensor_list GateSte::backward(ag::AutogradContext* ctx, ag::tensor_list grad_out) {
  const auto saved = ctx->get_saved_variables();
  const auto& o = saved[0];
  const auto& theta = saved[1];
  const double alpha = ctx->saved_data["alpha"].toDouble();
  const bool sparse = ctx->saved_data["sparse"].toBool();
  const auto s = torch::sigmoid(alpha * (o - theta));
  auto g = grad_out[0] * (alpha * s * (1.0 - s));
  if (sparse) g = g * (s >= 0.5).to(g.dtype());
  return {g, sum_to_shape(-g, theta.sizes()), torch::Tensor(), torch::Tensor()};
}

torch::Tensor gate_ste(const torch::Tensor& o, const torch::Tensor& theta, double alpha, bool sparse) {
  return GateSte::apply(o, theta, alpha, sparse);
}

torch::Tensor RoundSte::forward(ag::AutogradContext* ctx, torch::Tensor x) {
  return torch::floor(x + 0.5);
}

ag::tensor_list RoundSte::backward(ag::AutogradContext* ctx, ag::tensor_list grad_out) {
  return {grad_out[0]};
}

torch::Tensor round_ste(const torch::Tensor& x) {
  return RoundSte::apply(x);
}

torch::Tensor sum_to_shape(const torch::Tensor& g, c10::IntArrayRef shape) {
  auto r = g;
  const int64_t lead = r.dim() - static_cast<int64_t>(shape.size());
  for (int64_t i = 0; i < lead; ++i) r = r.sum(0);
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (shape[d] == 1 && r.size(d) != 1) r = r.sum(d, /*keepdim=*/true);
  }
  return r;
}

}  // namespace bnnkit::train
