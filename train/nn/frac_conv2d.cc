#include "train/nn/frac_conv2d.h"

#include "train/autograd/ste.h"

namespace bnnkit::train {

FracConv2dImpl::FracConv2dImpl(const FracConv2dOptions& o) : options(o) {
  auto w = torch::empty({o.out_channels(), o.in_channels(), o.kernel_size(), o.kernel_size()});
  torch::nn::init::kaiming_normal_(w, 0.0, torch::kFanIn, torch::kReLU);
  weight = register_parameter("weight", w);
  theta = register_parameter("theta", torch::full({o.out_channels()}, o.theta_init()));
}

torch::Tensor FracConv2dImpl::forward(const torch::Tensor& x3) {
  const auto wb = sign_ste(weight, options.weight_clip());
  // msb = sign(x3) forward; gradient d msb / d x3 = 1/3 (= d FastSign(x_q) / d x_q * d x_q / d x3).
  const auto msb = sign_pm1(x3).detach() + (x3 - x3.detach()) / 3.0;
  const auto d_msb = padded_conv2d(msb, wb, options.stride(), options.padding(), options.padding_mode(), 1.0);
  const auto full = padded_conv2d(x3, wb, options.stride(), options.padding(), options.padding_mode(), 3.0);
  const auto o_msb = d_msb * kTwoThirds;
  const auto gate = gate_ste(o_msb, theta.view({1, -1, 1, 1}), options.alpha(), options.sparse_bp());
  const auto twice = d_msb * 2.0;
  const auto acc = twice + gate * (full - twice);
  {
    torch::NoGradGuard no_grad;
    last_density = gate.mean().item<double>();
    if (record_) {
      last_d_msb = d_msb.detach().clone();
      last_gate = gate.detach().clone();
    }
  }
  return acc;
}

void FracConv2dImpl::clip_latent() {
  if (options.latent_clip() <= 0.0) return;
  torch::NoGradGuard no_grad;
  weight.clamp_(-options.latent_clip(), options.latent_clip());
}

torch::Tensor FracConv2dImpl::penalty(double target) const {
  return 0.5 * (theta - target).pow(2).sum();
}

}  // namespace bnnkit::train
