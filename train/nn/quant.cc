#include "train/nn/quant.h"

#include <stdexcept>
#include <string>

#include "train/autograd/ste.h"
#include "train/nn/batch_norm.h"

namespace bnnkit::train {

namespace {

// Forward: the fake-quantised value; backward: g where lo <= x <= hi, else 0.
struct FakeQuantSte : ag::Function<FakeQuantSte> {
  static torch::Tensor forward(ag::AutogradContext* ctx, torch::Tensor x, double bits, double lo, double hi) {
    ctx->save_for_backward({x});
    ctx->saved_data["lo"] = lo;
    ctx->saved_data["hi"] = hi;
    const UniformQuant q{static_cast<int>(bits), static_cast<float>(lo), static_cast<float>(hi)};
    // lo + ((c + levels) / 2) * step: the level index back from the code, exact in float32.
    const auto level = (quant_codes(x, q) + q.levels()) * 0.5f;
    return level * q.step() + q.lo;
  }
  static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grad_out) {
    const auto x = ctx->get_saved_variables()[0];
    const double lo = ctx->saved_data["lo"].toDouble(), hi = ctx->saved_data["hi"].toDouble();
    const auto inside = (x >= lo).logical_and(x <= hi).to(grad_out[0].dtype());
    return {grad_out[0] * inside, {}, {}, {}};
  }
};

// Forward: codes * scale; backward: identity.
struct FakeQuantWeightSte : ag::Function<FakeQuantWeightSte> {
  static torch::Tensor forward(ag::AutogradContext*, torch::Tensor w, double bits) {
    const auto c = weight_codes(w, static_cast<int>(bits));
    std::vector<int64_t> view(static_cast<size_t>(w.dim()), 1);
    view[0] = -1;
    return c.codes * c.scale.view(view);
  }
  static ag::tensor_list backward(ag::AutogradContext*, ag::tensor_list grad_out) {
    return {grad_out[0], {}};
  }
};

}  // namespace

torch::Tensor quant_codes(const torch::Tensor& x, const UniformQuant& q) {
  // The float32 operations of kernels/elementwise quant_uniform_reference, in its order (each a separate
  // rounding; a float op on float operands computed wider and rounded once gives the same float).
  torch::NoGradGuard no_grad;
  const float lo = q.lo, hi = q.hi, range = hi - lo, levels = q.levels();
  const auto xf = x.detach().to(torch::kFloat32);
  const auto xc =
      torch::where(xf < lo, torch::full_like(xf, lo), torch::where(xf > hi, torch::full_like(xf, hi), xf));
  const auto u = (xc - lo) / range;
  const auto v = u * levels;
  const auto level = torch::floor(v + 0.5f);
  return level * 2.0f - levels;
}

torch::Tensor fake_quant(const torch::Tensor& x, const UniformQuant& q) {
  return FakeQuantSte::apply(x, static_cast<double>(q.bits), static_cast<double>(q.lo),
                             static_cast<double>(q.hi));
}

WeightCodes weight_codes(const torch::Tensor& w, int bits) {
  torch::NoGradGuard no_grad;
  const float top = static_cast<float>((1 << (bits - 1)) - 1);
  const auto wf = w.detach().to(torch::kFloat32);
  const auto max_abs = wf.abs().flatten(1).amax(1);
  const auto scale = torch::where(max_abs > 0, max_abs / top, torch::ones_like(max_abs));
  std::vector<int64_t> view(static_cast<size_t>(w.dim()), 1);
  view[0] = -1;
  const auto codes = torch::clamp(torch::floor(wf / scale.view(view) + 0.5f), -top, top);
  return {codes, scale};
}

torch::Tensor fake_quant_weight(const torch::Tensor& w, int bits) {
  return FakeQuantWeightSte::apply(w, static_cast<double>(bits));
}

QuantConv2dImpl::QuantConv2dImpl(const QuantConv2dOptions& o) : options(o) {
  if (o.groups() < 1 || o.in_channels() % o.groups() != 0 || o.out_channels() % o.groups() != 0)
    throw std::invalid_argument("QuantConv2d: " + std::to_string(o.groups()) + " groups do not divide " +
                                std::to_string(o.in_channels()) + " -> " + std::to_string(o.out_channels()));
  if (o.bits() < 2 || o.bits() > 16) throw std::invalid_argument("QuantConv2d: weight bits must be in 2..16");
  auto w = torch::empty({o.out_channels(), o.in_channels() / o.groups(), o.kernel_size(), o.kernel_size()});
  torch::nn::init::kaiming_normal_(w, 0.0, torch::kFanIn, torch::kReLU);
  weight = register_parameter("weight", w);
  if (o.bias()) bias = register_parameter("bias", torch::zeros({o.out_channels()}));
}

torch::Tensor QuantConv2dImpl::forward_fake(const torch::Tensor& x, const UniformQuant& act) {
  namespace F = torch::nn::functional;
  auto y = F::conv2d(
      fake_quant(x, act), fake_quant_weight(weight, options.bits()),
      F::Conv2dFuncOptions().stride(options.stride()).padding(options.padding()).groups(options.groups()));
  return bias.defined() ? y + bias.view({1, -1, 1, 1}) : y;
}

torch::Tensor QuantConv2dImpl::acc(const torch::Tensor& codes, const WeightCodes& w) const {
  namespace F = torch::nn::functional;
  torch::NoGradGuard no_grad;
  const auto acc = F::conv2d(
      codes.to(torch::kFloat64), w.codes.to(torch::kFloat64),
      F::Conv2dFuncOptions().stride(options.stride()).padding(options.padding()).groups(options.groups()));
  return acc.to(torch::kFloat32);
}

torch::Tensor QuantConv2dImpl::eval_scale(const UniformQuant& act) const {
  torch::NoGradGuard no_grad;
  return weight_codes(weight, options.bits()).scale * (act.step() / 2.0f);
}

torch::Tensor QuantConv2dImpl::eval_shift(const UniformQuant& act) const {
  return shift(weight_codes(weight, options.bits()), act);
}

torch::Tensor QuantConv2dImpl::shift(const WeightCodes& w, const UniformQuant& act) const {
  torch::NoGradGuard no_grad;
  if (act.mid() != 0.0f && options.padding() > 0)
    throw std::invalid_argument("QuantConv2d: a padded conv needs an activation range centred on 0");
  const auto sum_k = w.codes.flatten(1).sum(1);  // exact integers
  auto s = (w.scale * sum_k) * act.mid();
  return bias.defined() ? s + bias.detach() : s;
}

QuantConv2dImpl::Exact QuantConv2dImpl::forward_exact(const torch::Tensor& x, const UniformQuant& act) const {
  torch::NoGradGuard no_grad;
  const auto w = weight_codes(weight, options.bits());
  return {acc(quant_codes(x, act), w), w.scale * (act.step() / 2.0f), shift(w, act)};
}

torch::Tensor QuantConv2dImpl::forward(const torch::Tensor& x, const UniformQuant& act) {
  if (is_training()) return forward_fake(x, act);
  const auto e = forward_exact(x, act);
  return channel_affine(e.acc, e.scale, e.shift);
}

}  // namespace bnnkit::train
