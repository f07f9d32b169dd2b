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

torch::Tensor PGConv2dImpl::penalty(double target) const {
  return (delta - target).norm(2);
}

}  // namespace bnnkit::train
