#include "train/nn/activations.h"

#include "train/autograd/ste.h"

namespace bnnkit::train {

torch::Tensor per_channel(const torch::Tensor& p, const torch::Tensor& x) {
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = -1;
  return p.view(shape);
}

torch::Tensor SignActivationImpl::forward(const torch::Tensor& x) {
  return sign_ste(x, options.clip());
}

torch::Tensor QuantSign2Impl::forward(const torch::Tensor& x) {
  return quant_sign2(x);
}

LearnableBiasImpl::LearnableBiasImpl(int64_t channels) {
  bias = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor LearnableBiasImpl::forward(const torch::Tensor& x) {
  return x + per_channel(bias, x);
}

RSignImpl::RSignImpl(const RSignOptions& o) : options(o) {
  bias = register_parameter("bias", torch::zeros({o.channels()}));
}

torch::Tensor RSignImpl::forward(const torch::Tensor& x) {
  return sign_ste(x + per_channel(bias, x), options.clip());
}

RPReLUImpl::RPReLUImpl(const RPReLUOptions& o) : options(o) {
  slope = register_parameter("slope", torch::full({o.channels()}, o.init()));
  if (o.shifts()) {
    shift_in = register_parameter("shift_in", torch::zeros({o.channels()}));
    shift_out = register_parameter("shift_out", torch::zeros({o.channels()}));
  }
}

torch::Tensor RPReLUImpl::forward(const torch::Tensor& x) {
  const auto t = options.shifts() ? x - per_channel(shift_in, x) : x;
  const auto u = torch::where(t >= 0, t, t * per_channel(slope, x));
  return options.shifts() ? u + per_channel(shift_out, x) : u;
}

}  // namespace bnnkit::train
