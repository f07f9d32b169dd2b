#include "train/nn/pg_conv2d.h"

#include <cmath>

#include "train/autograd/ste.h"

namespace bnnkit::train {

PGConv2dImpl::PGConv2dImpl(const PGConv2dOptions& o) : options(o) {
  TORCH_CHECK(o.hbits() >= 1 && o.hbits() < o.abits(), "PGConv2d: need 1 <= hbits < abits");
  auto w = torch::empty({o.out_channels(), o.in_channels(), o.kernel_size(), o.kernel_size()});
  torch::nn::init::kaiming_normal_(w, 0.0, torch::kFanIn, torch::kReLU);
  weight = register_parameter("weight", w);
  delta = register_parameter("delta", torch::full({o.out_channels()}, o.threshold_init()));
}

torch::Tensor PGConv2dImpl::quantized_weight() const {
  const int64_t b = options.wbits();
  if (b >= 32) return weight;
  if (b == 1) {
    const double k = static_cast<double>(options.kernel_size());
    return sign_ste(weight, 1e30) * std::sqrt(1.0 / (k * k * static_cast<double>(options.in_channels())));
  }
  const auto s = weight.abs().max().detach() + 1e-7;
  const double levels = std::pow(2.0, static_cast<double>(b - 1)) - 1.0;  // signed: 2^(b-1) - 1 steps a side
  return round_ste(torch::clamp(weight / s, -1.0, 1.0) * levels) * s / levels;
}

torch::Tensor PGConv2dImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  const int64_t bits = options.abits();
  const int64_t lb = bits - options.hbits();
  const double top = std::pow(2.0, static_cast<double>(bits)) - 1.0;
  const double step = std::pow(2.0, static_cast<double>(lb));
  const auto s = x.abs().max().detach() + 1e-7;
  const auto sgn = torch::sign(x).detach();  // PG uses torch.sign; q = 0 where x = 0, so sgn(0) is irrelevant
  const auto q = round_ste(torch::clamp(x.abs() / s, 0.0, 1.0) * top);
  const auto q_hb =
      round_ste(torch::floor(q.detach() / step) * step - q.detach() + q);  // floor, identity STE
  const auto x_q = sgn * s * q / top;
  const auto x_hb = sgn * s * q_hb / top;
  const auto x_lb = x_q - x_hb;
  const auto wq = quantized_weight();
  const auto opts = F::Conv2dFuncOptions().stride(options.stride()).padding(options.padding());
  const auto o_hb = F::conv2d(x_hb, wq, opts);
  const auto gate = gate_ste(o_hb, delta.view({1, -1, 1, 1}), options.alpha(), options.sparse_bp());
  const auto o_lb = F::conv2d(x_lb, wq, opts);
  {
    torch::NoGradGuard no_grad;
    last_density = gate.mean().item<double>();
  }
  return o_hb + gate * o_lb;
}

std::pair<torch::Tensor, float> PGConv2dImpl::weight_codes() const {
  torch::NoGradGuard no_grad;
  const int64_t b = options.wbits();
  TORCH_CHECK(b >= 1 && b <= 8, "PGConv2d: only 1..8-bit weights have integer codes (wbits ", b, ")");
  const auto w = weight.detach().to(torch::kFloat32);
  if (b == 1) {
    const double k = static_cast<double>(options.kernel_size());
    return {sign_pm1(w),
            static_cast<float>(std::sqrt(1.0 / (k * k * static_cast<double>(options.in_channels()))))};
  }
  const float s = w.abs().max().item<float>() + 1e-7f;
  const auto levels = static_cast<float>((int64_t{1} << (b - 1)) - 1);
  const auto codes = torch::floor(torch::clamp(w / s, -1.0, 1.0) * levels + 0.5f);
  return {codes, s / levels};
}

PGConv2dImpl::Exact PGConv2dImpl::forward_exact(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  torch::NoGradGuard no_grad;
  const int64_t bits = options.abits(), lb = bits - options.hbits();
  const float top = static_cast<float>((int64_t{1} << bits) - 1), low = static_cast<float>(int64_t{1} << lb);
  // The float32 steps of pgquant_reference, in its order.
  const auto s = x.abs().amax({1, 2, 3}) + 1e-7f;  // [N]
  const auto t = torch::minimum(x.abs() / s.view({-1, 1, 1, 1}), torch::ones({}, x.options()));
  const auto q = torch::floor(t * top + 0.5f);
  const auto q_hb = torch::floor(q / low) * low;  // exact: q < 2^8
  const auto sgn = torch::where(x < 0, -torch::ones_like(x), torch::ones_like(x));
  const auto [codes, step] = weight_codes();
  const auto w = codes.to(torch::kFloat64);
  const auto opts = F::Conv2dFuncOptions().stride(options.stride()).padding(options.padding());
  const auto acc_hb = F::conv2d((sgn * q_hb).to(torch::kFloat64), w, opts).to(torch::kFloat32);
  const auto acc_lb = F::conv2d((sgn * (q - q_hb)).to(torch::kFloat64), w, opts).to(torch::kFloat32);
  const auto k = (s / top) * step;
  const auto gate = (acc_hb * k.view({-1, 1, 1, 1})) > delta.detach().view({1, -1, 1, 1});
  last_density = gate.to(torch::kFloat64).mean().item<double>();
  return {acc_hb + torch::where(gate, acc_lb, torch::zeros_like(acc_lb)), k};
}

torch::Tensor PGConv2dImpl::penalty(double target) const {
  return (delta - target).norm(2);
}

}  // namespace bnnkit::train
