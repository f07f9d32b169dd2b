#include "train/nn/poke.h"

#include <algorithm>
#include <stdexcept>

#include "train/autograd/ste.h"
#include "train/nn/activations.h"

namespace bnnkit::train {

namespace F = torch::nn::functional;

DPReLUImpl::DPReLUImpl(int64_t channels) {
  beta = register_parameter("beta", torch::zeros({channels}));
  eta_pos = register_parameter("eta_pos", torch::ones({channels}));
  eta_neg = register_parameter("eta_neg", torch::full({channels}, 0.25));
  gamma = register_parameter("gamma", torch::zeros({channels}));
}

torch::Tensor DPReLUImpl::forward(const torch::Tensor& x) {
  const auto t = x - per_channel(beta, x);
  const auto p = torch::where(t >= 0, per_channel(eta_pos, x), per_channel(eta_neg, x)) * t;
  return p - per_channel(gamma, x);
}

torch::Tensor channel_group_avg(const torch::Tensor& x, int64_t out) {
  const int64_t g = x.size(1) / out;
  const auto v = x.narrow(1, 0, out * g).reshape({x.size(0), out, g, x.size(2), x.size(3)});
  auto sum = torch::zeros({x.size(0), out, x.size(2), x.size(3)}, x.options());
  for (int64_t k = 0; k < g; ++k) sum = sum + v.select(2, k);
  return sum / static_cast<float>(g);
}

torch::Tensor channel_zero_pad(const torch::Tensor& x, int64_t out) {
  return F::pad(x, F::PadFuncOptions({0, 0, 0, 0, 0, out - x.size(1)}));
}

torch::Tensor channel_tile(const torch::Tensor& x, int64_t out) {
  if (out % x.size(1) != 0)
    throw std::invalid_argument("PokeConv: cannot tile " + std::to_string(x.size(1)) + " channels to " +
                                std::to_string(out));
  return x.repeat({1, out / x.size(1), 1, 1});
}

torch::Tensor hard_sigmoid(const torch::Tensor& x) {
  return torch::clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f;
}

SeGateImpl::SeGateImpl(int64_t in, int64_t out, int bits) {
  const int64_t proj = in / 8;
  if (proj < 1)
    throw std::invalid_argument("PokeConv: SE needs at least 8 input channels, got " + std::to_string(in));
  fc1 = register_module("fc1", QuantConv2d(QuantConv2dOptions(in, proj, 1).bits(bits).bias(true)));
  fc2 = register_module("fc2", QuantConv2d(QuantConv2dOptions(proj, out, 1).bits(bits).bias(true)));
}

torch::Tensor SeGateImpl::forward(const torch::Tensor& x, const PokeQuant& q) {
  // The engine's AvgPool over the whole map in eval: the row-major sum of GlobalAvgPool, then / (h * w).
  const auto m = global_avg_pool(x, !is_training()).view({x.size(0), x.size(1), 1, 1});
  auto s = torch::relu(fc1->forward(m, q.se_in));
  s = hard_sigmoid(fc2->forward(s, q.se_mid));
  return s.flatten(1);
}

PokeConvImpl::PokeConvImpl(const PokeConvOptions& o) : opt(o) {
  conv = register_module(
      "conv",
      BinaryConv2d(BinaryConv2dOptions(o.in, o.out, o.kernel).stride(o.stride).padding(o.kernel / 2)));
  bn1 = register_module("bn1", BatchNorm(o.out));
  if (o.third) {
    torch::NoGradGuard g;
    bn1->weight.zero_();
  }
  act = register_module("dprelu", DPReLU(o.out));
  se = register_module("se", SeGate(o.in, o.out, 4));
  bn2 = register_module("bn2", BatchNorm(o.out));
}

torch::Tensor PokeConvImpl::shortcut(const torch::Tensor& r, const std::vector<int64_t>& target, bool tile) {
  auto s = r;
  if (s.size(2) != target[2] || s.size(3) != target[3]) {
    s = avg_pool3_s2_same(s);
    if (s.size(2) != target[2] || s.size(3) != target[3])
      throw std::invalid_argument("PokeConv: a 3x3/2 pool cannot take the shortcut from " +
                                  std::to_string(r.size(2)) + "x" + std::to_string(r.size(3)) + " to " +
                                  std::to_string(target[2]) + "x" + std::to_string(target[3]));
  }
  const int64_t c = s.size(1), tc = target[1];
  if (c > tc) return channel_group_avg(s, tc);
  if (c < tc) return tile ? channel_tile(s, tc) : channel_zero_pad(s, tc);
  return s;
}

torch::Tensor PokeConvImpl::forward(const torch::Tensor& x, const torch::Tensor& r1, const PokeQuant& q,
                                    Taps* taps, const std::string& name) {
  const auto d = conv->forward_acc(sign_ste(x, opt.act_clip));
  if (taps != nullptr) taps->emplace_back(name + ".conv", d.detach());
  auto y = bn1->forward(d);
  const std::vector<int64_t> shape = y.sizes().vec();
  y = y + shortcut(x, shape, false);
  if (r1.defined()) y = y + shortcut(r1, shape, true);
  y = act->forward(y);
  const auto g = se->forward(x, q);
  y = y * g.view({g.size(0), g.size(1), 1, 1});
  return bn2->forward(y);
}

}  // namespace bnnkit::train
