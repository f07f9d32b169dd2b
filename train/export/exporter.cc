#include "train/export/exporter.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "train/autograd/ste.h"
#include "train/config/config.h"
#include "train/models/pokebnn.h"
#include "train/recipes/checkpoint.h"

namespace bnnkit::train {

namespace {

std::vector<float> to_floats(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<int> ints(std::initializer_list<int64_t> v) {
  std::vector<int> r;
  for (auto x : v) r.push_back(static_cast<int>(x));
  return r;
}

Padding to_padding(PadMode m) {
  return m == PadMode::kOne ? Padding::kOne : Padding::kZero;
}

class Exporter {
 public:
  Exporter(GraphBuilder& b, const ExportOptions& o) : b_(b), o_(o) {}

  // sign(W) of a [OC, IC, KH, KW] latent weight as packed bits [OC, KH, KW, IC].
  int conv_bits(const std::string& name, const torch::Tensor& w) {
    const auto s = sign_pm1(w.detach()).permute({0, 2, 3, 1}).contiguous();
    return b_.constant_bits(name, ints({s.size(0), s.size(1), s.size(2), s.size(3)}), to_floats(s));
  }
  int dense_bits(const std::string& name, const torch::Tensor& w2d) {
    const auto s = sign_pm1(w2d.detach()).contiguous();
    return b_.constant_bits(name, ints({s.size(0), s.size(1)}), to_floats(s));
  }
  int f32(const std::string& name, const torch::Tensor& t, std::vector<int> shape = {}) {
    if (shape.empty()) shape = {static_cast<int>(t.numel())};
    return b_.constant_f32(name, shape, to_floats(t));
  }
  FloatStage float_stage(const std::string& name, BatchNorm& bn, const torch::Tensor& alpha) {
    auto [scale, bias] = bn->folded(alpha.defined() ? alpha.detach() : alpha);
    return FloatStage{f32(name + ".scale", scale), f32(name + ".bias", bias)};
  }
  BitsStage bits_stage(const std::string& name, BatchNorm& bn, const torch::Tensor& alpha, int32_t k_max) {
    auto [scale, bias] = bn->folded(alpha.defined() ? alpha.detach() : alpha);
    const auto sv = to_floats(scale), bv = to_floats(bias);
    std::vector<int32_t> thr(sv.size());
    std::vector<uint8_t> flip(sv.size());
    for (size_t c = 0; c < sv.size(); ++c) {
      const float sc = sv[c], bc = bv[c];
      const auto f = fold_sign_threshold(k_max, [sc, bc](int32_t acc) {
        const float prod = static_cast<float>(acc) * sc;
        return prod + bc;
      });
      thr[c] = f.threshold;
      flip[c] = f.flip ? 1 : 0;
    }
    const int n = static_cast<int>(sv.size());
    return BitsStage{b_.constant_i32(name + ".threshold", {n}, thr),
                     b_.constant_u8(name + ".flip", {n}, flip)};
  }
  int gate_thresholds(const std::string& name, const torch::Tensor& theta, int32_t k_max) {
    const auto tv = to_floats(theta);
    std::vector<int32_t> t(tv.size());
    for (size_t c = 0; c < tv.size(); ++c) {
      const float th = tv[c];
      t[c] = fold_gate_threshold(k_max, [th](int32_t d) {
        const float o = static_cast<float>(d) * kTwoThirds;
        return o > th;
      });
    }
    return b_.constant_i32(name + ".gate_threshold", {static_cast<int>(t.size())}, t);
  }
  int always_open(const std::string& name, int64_t oc, int32_t k_max) {
    return b_.constant_i32(name + ".gate_threshold", {static_cast<int>(oc)},
                           std::vector<int32_t>(static_cast<size_t>(oc), -k_max - 1));
  }
  void tap(int tensor, const std::string& name) { b_.output(tensor, name + ".acc"); }

  GraphBuilder& b_;
  const ExportOptions& o_;
};

ConvAttrs conv3(int64_t stride) {
  return ConvAttrs{3, 3, static_cast<int>(stride), static_cast<int>(stride), 1, 1};
}

int input_image(GraphBuilder& b, const std::vector<int64_t>& chw, bool real) {
  return b.input("image", real ? DType::kFloat32 : DType::kUInt8, ints({1, chw[1], chw[2], chw[0]}));
}

// ---- binary ResNet-20
// ---------------------------------------------------------------------------------------

int export_unit(Exporter& e, BnnBlockImpl& blk, int i, int x, int shortcut, const std::string& prefix) {
  GraphBuilder& b = e.b_;
  const auto& o = blk.opt[i];
  const std::string name = prefix + ".conv" + std::to_string(i + 1);
  const int k = static_cast<int>(o.kernel), s = static_cast<int>(o.stride);
  const ConvAttrs attrs{k, k, s, s, k / 2, k / 2};
  const Padding pad = to_padding(o.padding);
  const int32_t k_max = static_cast<int32_t>(o.in * k * k);
  const FloatStage st = e.float_stage(prefix + ".bn" + std::to_string(i + 1) + "a", blk.bn_a[i],
                                      blk.bconv[i] ? blk.bconv[i]->alpha() : torch::Tensor());
  int y = -1;
  if (o.act == ActMode::kSign) {
    if (!blk.bconv[i]->options.binary_weights())
      throw std::invalid_argument(name + ": real weights cannot be exported");
    const int q = b.sign_quant(x, -1, name + ".sign");
    const int w = e.conv_bits(name + ".weight", blk.bconv[i]->weight);
    y = b.bconv2d(q, w, attrs, pad, st, name);
    if (e.o_.int32_taps) e.tap(b.bconv2d(q, w, attrs, pad, Int32Stage{}, name + ".int32"), name);
  } else {
    const torch::Tensor& wt = blk.fconv[i] ? blk.fconv[i]->weight : blk.bconv[i]->weight;
    if (blk.bconv[i] && !blk.bconv[i]->options.binary_weights()) {
      throw std::invalid_argument(name + ": real weights (FracBNN step 1) cannot be exported");
    }
    if (blk.bconv[i] && blk.bconv[i]->alpha().defined()) {
      throw std::invalid_argument(name + ": a 2-bit conv with a weight scale cannot be exported");
    }
    auto [msb, lsb] = b.quant2bit(x, name + ".quant");
    const int w = e.conv_bits(name + ".weight", wt);
    const int gate = blk.fconv[i] ? e.gate_thresholds(name, blk.fconv[i]->theta, k_max)
                                  : e.always_open(name, o.out, k_max);
    y = b.fracconv2d(msb, lsb, w, gate, attrs, pad, st, name);
    if (e.o_.int32_taps)
      e.tap(b.fracconv2d(msb, lsb, w, gate, attrs, pad, Int32Stage{}, name + ".int32"), name);
  }
  auto& act = blk.act[i];
  y = b.rprelu(y, e.f32(prefix + ".rprelu" + std::to_string(i + 1) + ".shift_in", act->shift_in),
               e.f32(prefix + ".rprelu" + std::to_string(i + 1) + ".slope", act->slope),
               e.f32(prefix + ".rprelu" + std::to_string(i + 1) + ".shift_out", act->shift_out),
               prefix + ".rprelu" + std::to_string(i + 1));
  y = b.add(y, shortcut, prefix + ".add" + std::to_string(i + 1));
  auto [scale, bias] = blk.bn_b[i]->folded();
  const std::string bn = prefix + ".bn" + std::to_string(i + 1) + "b";
  return b.affine(y, e.f32(bn + ".scale", scale), e.f32(bn + ".bias", bias), bn);
}

int export_shortcut(GraphBuilder& b, const BlockConvOptions& o, int x, const std::string& prefix) {
  int s = x;
  if (o.stride == 2) s = b.avg_pool(s, ConvAttrs{2, 2, 2, 2, 0, 0}, true, prefix + ".shortcut_pool");
  if (o.out == 2 * o.in) s = b.channel_dup(s, 2, prefix + ".shortcut_dup");
  return s;
}

int head(Exporter& e, torch::nn::Linear& fc, int x) {
  GraphBuilder& b = e.b_;
  const int g = b.global_avg_pool(x, "global_pool");
  const auto& w = fc->weight;
  const int wt = e.f32("fc.weight", w, ints({w.size(0), w.size(1)}));
  const int bias = e.f32("fc.bias", fc->bias);
  return b.dense(g, wt, bias, "fc");
}

int export_resnet_bnn(Exporter& e, ResNet20BnnImpl& m) {
  GraphBuilder& b = e.b_;
  const auto chw = m.cfg.at("input_shape").get<std::vector<int64_t>>();
  int x = -1;
  if (m.levels > 0) {
    const int img = input_image(b, chw, false);
    const int t = b.thermometer(img, static_cast<int>(m.levels), "thermometer");
    if (!m.stem->options.binary_weights())
      throw std::invalid_argument("stem: real weights cannot be exported");
    const int w = e.conv_bits("stem.weight", m.stem->weight);
    const auto st = e.float_stage("stem_bn", m.stem_bn, m.stem->alpha());
    const Padding pad = to_padding(m.stem->options.padding_mode());
    x = b.bconv2d(t, w, conv3(m.stem_stride), pad, st, "stem");
    if (e.o_.int32_taps)
      e.tap(b.bconv2d(t, w, conv3(m.stem_stride), pad, Int32Stage{}, "stem.int32"), "stem");
  } else {
    const int img = input_image(b, chw, true);
    const auto& w = m.stem_fp->weight;
    const auto wp = w.detach().permute({0, 2, 3, 1}).contiguous();
    const int wt = e.f32("stem.weight", wp, ints({wp.size(0), wp.size(1), wp.size(2), wp.size(3)}));
    const int c = b.conv2d(img, wt, -1, conv3(1), 1, "stem");
    auto [scale, bias] = m.stem_bn->folded();
    x = b.affine(c, e.f32("stem_bn.scale", scale), e.f32("stem_bn.bias", bias), "stem_bn");
    b.metadata().input_mean = m.mean;
    b.metadata().input_std = m.std;
  }
  for (size_t i = 0; i < m.blocks.size(); ++i) {
    auto& blk = *m.blocks[i];
    const std::string& p = m.block_names[i];
    if (m.reactnet) {  // 4-bit shortcuts, pooled / duplicated after the quantiser (ResNet20BnnImpl::forward)
      const UniformQuant& q = kShortcutQuant;
      int sc1 = b.quant_uniform(x, q.bits, q.lo, q.hi, p + ".sc1.quant");
      if (blk.opt[0].stride == 2) sc1 = b.avg_pool(sc1, ConvAttrs{2, 2, 2, 2, 0, 0}, true, p + ".sc1.pool");
      const int y = export_unit(e, blk, 0, x, sc1, p);
      int sc2 = b.quant_uniform(y, q.bits, q.lo, q.hi, p + ".sc2.quant");
      if (blk.opt[1].out == 2 * blk.opt[1].in) sc2 = b.channel_dup(sc2, 2, p + ".sc2.dup");
      x = export_unit(e, blk, 1, y, sc2, p);
      continue;
    }
    const int sc = export_shortcut(b, blk.opt[0], x, p);
    const int y = export_unit(e, blk, 0, x, sc, p);
    x = export_unit(e, blk, 1, y, y, p);
  }
  return head(e, m.fc, x);
}

// ---- full-precision ResNet-20
// ---------------------------------------------------------------------------------

int export_resnet_fp(Exporter& e, ResNet20FpImpl& m) {
  GraphBuilder& b = e.b_;
  const auto chw = m.cfg.at("input_shape").get<std::vector<int64_t>>();
  b.metadata().input_mean = m.mean;
  b.metadata().input_std = m.std;
  auto conv_bn = [&](torch::nn::Conv2d& conv, PGConv2d& pgc, BatchNorm& bn, int x, int64_t stride,
                     const std::string& name) {
    if (pgc) {  // PGConv2d over integer weight codes, the BN folded into its float stage
      const auto& o = pgc->options;
      const auto [codes, step] = pgc->weight_codes();
      const auto cp = codes.permute({0, 2, 3, 1}).contiguous();
      std::vector<int32_t> ci;
      for (float v : to_floats(cp)) ci.push_back(static_cast<int32_t>(v));
      const int w =
          b.constant_i32(name + ".weight", ints({cp.size(0), cp.size(1), cp.size(2), cp.size(3)}), ci);
      const int delta = e.f32(name + ".delta", pgc->delta);
      PGConv2dOp attrs;
      attrs.conv = conv3(stride);
      attrs.act_bits = static_cast<int>(o.abits());
      attrs.high_bits = static_cast<int>(o.hbits());
      attrs.weight_bits = static_cast<int>(o.wbits());
      attrs.weight_step = step;
      const int y = b.pgconv2d(x, w, delta, attrs, e.float_stage(name + ".bn", bn, {}), name);
      if (e.o_.int32_taps) e.tap(b.pgconv2d(x, w, delta, attrs, Int32Stage{}, name + ".int32"), name);
      return y;
    }
    const auto wp = conv->weight.detach().permute({0, 2, 3, 1}).contiguous();
    const int wt = e.f32(name + ".weight", wp, ints({wp.size(0), wp.size(1), wp.size(2), wp.size(3)}));
    const int c = b.conv2d(x, wt, -1, conv3(stride), 1, name);
    auto [scale, bias] = bn->folded();
    return b.affine(c, e.f32(name + ".bn.scale", scale), e.f32(name + ".bn.bias", bias), name + ".bn");
  };
  int x = input_image(b, chw, true);
  x = b.activation(conv_bn(m.stem, m.stem_pg, m.stem_bn, x, 1, "stem"), ActivationKind::kRelu, "stem.relu");
  for (size_t i = 0; i < m.blocks.size(); ++i) {
    auto& blk = m.blocks[i];
    const std::string p = "block" + std::to_string(i);
    BlockConvOptions o;
    o.in = blk.in;
    o.out = blk.out;
    o.stride = blk.stride;
    const int sc = export_shortcut(b, o, x, p);
    int y = b.activation(conv_bn(blk.conv1, blk.pg1, blk.bn1, x, blk.stride, p + ".conv1"),
                         ActivationKind::kRelu, p + ".relu1");
    y = conv_bn(blk.conv2, blk.pg2, blk.bn2, y, 1, p + ".conv2");
    x = b.activation(b.add(y, sc, p + ".add"), ActivationKind::kRelu, p + ".relu2");
  }
  return head(e, m.fc, x);
}

// ---- binary MLP
// -------------------------------------------------------------------------------------------------

int export_mlp(Exporter& e, BinaryMlpImpl& m) {
  // The dense layers run as binary convolutions whose kernel covers the whole input (the first: H x W over
  // the thermometer planes, NHWC order; the others: 1 x 1 on a [N, 1, 1, C] map), because the engine's
  // Flatten takes float tensors only. The result is the same integer dot product as BDense on the
  // NHWC-flattened input.
  GraphBuilder& b = e.b_;
  const auto chw = m.cfg.at("input_shape").get<std::vector<int64_t>>();
  const int img = input_image(b, chw, false);
  int x = b.thermometer(img, static_cast<int>(m.levels), "thermometer");
  const int64_t c = chw[0] * m.levels, h = chw[1], w = chw[2];
  for (size_t i = 0; i < m.layers.size(); ++i) {
    auto& l = m.layers[i];
    if (!l->options.binary_weights()) throw std::invalid_argument("mlp: real weights cannot be exported");
    const std::string name = "fc" + std::to_string(i + 1);
    const torch::Tensor wt = l->weight.detach();
    const int64_t oc = wt.size(0);
    // Trainer flattens NCHW (c, h, w); as a conv weight [OC, C, KH, KW] that is a plain view.
    const auto w4 = i == 0 ? wt.view({oc, c, h, w}) : wt.view({oc, wt.size(1), 1, 1});
    const int wb = e.conv_bits(name + ".weight", w4);
    const bool last = i + 1 == m.layers.size();
    const int32_t k_max = static_cast<int32_t>(wt.size(1));
    const std::string bn = "bn" + std::to_string(i + 1);
    const Stage st = last ? Stage(e.float_stage(bn, m.bns[i], l->alpha()))
                          : Stage(e.bits_stage(bn, m.bns[i], l->alpha(), k_max));
    const ConvAttrs attrs{static_cast<int>(w4.size(2)), static_cast<int>(w4.size(3)), 1, 1, 0, 0};
    const int in = x;
    x = b.bconv2d(in, wb, attrs, Padding::kZero, st, name);
    if (e.o_.int32_taps) e.tap(b.bconv2d(in, wb, attrs, Padding::kZero, Int32Stage{}, name + ".int32"), name);
  }
  return b.flatten(x, "logits_flat");
}

// ---- PokeBNN
// ---------------------------------------------------------------------------------------------------

// QuantUniform (codes) -> Conv2d over the integer weight codes; the caller adds the affine (eval_scale /
// eval_shift, or a BN fold of eval_scale), as PokeBnnImpl's eval forward does.
int export_quant_conv(Exporter& e, QuantConv2dImpl& conv, int x, const UniformQuant& q,
                      const std::string& name) {
  GraphBuilder& b = e.b_;
  const auto& o = conv.options;
  const int c = b.quant_uniform(x, q.bits, q.lo, q.hi, name + ".quant", /*codes=*/true);
  const auto k = weight_codes(conv.weight, o.bits()).codes.permute({0, 2, 3, 1}).contiguous();
  const int w = e.f32(name + ".weight", k, ints({k.size(0), k.size(1), k.size(2), k.size(3)}));
  const int ks = static_cast<int>(o.kernel_size()), s = static_cast<int>(o.stride()),
            pad = static_cast<int>(o.padding());
  return b.conv2d(c, w, -1, ConvAttrs{ks, ks, s, s, pad, pad}, static_cast<int>(o.groups()), name + ".conv",
                  o.bits(), q.bits);
}

int export_dprelu(Exporter& e, DPReLUImpl& a, int x, const std::string& name) {
  return e.b_.dprelu(x, e.f32(name + ".beta", a.beta), e.f32(name + ".eta_pos", a.eta_pos),
                     e.f32(name + ".eta_neg", a.eta_neg), e.f32(name + ".gamma", a.gamma), name);
}

int export_affine(Exporter& e, int x, const torch::Tensor& scale, const torch::Tensor& bias,
                  const std::string& name) {
  return e.b_.affine(x, e.f32(name + ".scale", scale), e.f32(name + ".bias", bias), name);
}

// PokeConvImpl::shortcut in engine ops: pool 3x3/2 SAME (Flax's asymmetric padding), then the channel op.
int export_poke_shortcut(GraphBuilder& b, int r, const std::vector<int>& target, bool tile,
                         const std::string& name) {
  const std::vector<int> rs = b.tensor(r).shape;  // NHWC
  if (rs[1] != target[1] || rs[2] != target[2]) {
    const auto ph = same_padding(rs[1], 3, 2), pw = same_padding(rs[2], 3, 2);
    r = b.avg_pool(r, ConvAttrs{3, 3, 2, 2, static_cast<int>(ph.before), static_cast<int>(pw.before)}, true,
                   name + ".pool", static_cast<int>(ph.after), static_cast<int>(pw.after));
  }
  const int c = rs[3], tc = target[3];
  if (c > tc) return b.channel_avg(r, tc, name + ".avg");
  if (c < tc) return tile ? b.channel_dup(r, tc / c, name + ".tile") : b.channel_pad(r, tc, name + ".pad");
  return r;
}

int export_se(Exporter& e, SeGateImpl& se, int x, const PokeQuant& q, const std::string& name) {
  GraphBuilder& b = e.b_;
  const std::vector<int> xs = b.tensor(x).shape;
  int s = b.avg_pool(x, ConvAttrs{xs[1], xs[2], 1, 1, 0, 0}, true, name + ".mean");  // [N, 1, 1, C]
  s = export_quant_conv(e, *se.fc1, s, q.se_in, name + ".fc1");
  s = export_affine(e, s, se.fc1->eval_scale(q.se_in), se.fc1->eval_shift(q.se_in), name + ".fc1.affine");
  s = b.activation(s, ActivationKind::kRelu, name + ".relu");
  s = export_quant_conv(e, *se.fc2, s, q.se_mid, name + ".fc2");
  s = export_affine(e, s, se.fc2->eval_scale(q.se_mid), se.fc2->eval_shift(q.se_mid), name + ".fc2.affine");
  s = b.activation(s, ActivationKind::kHardSigmoid, name + ".hsig");
  return b.flatten(s, name + ".flat");
}

int export_poke_conv(Exporter& e, PokeConvImpl& pc, int x, int r1, const PokeQuant& q,
                     const std::string& name) {
  GraphBuilder& b = e.b_;
  const auto& o = pc.opt;
  const int bits = b.sign_quant(x, -1, name + ".sign");
  const int w = e.conv_bits(name + ".conv.weight", pc.conv->weight);
  const int k = static_cast<int>(o.kernel), s = static_cast<int>(o.stride), pad = k / 2;
  const ConvAttrs attrs{k, k, s, s, pad, pad};
  int y = b.bconv2d(bits, w, attrs, Padding::kZero, e.float_stage(name + ".bn1", pc.bn1, {}), name + ".conv");
  if (e.o_.int32_taps)
    e.tap(b.bconv2d(bits, w, attrs, Padding::kZero, Int32Stage{}, name + ".conv.int32"), name + ".conv");
  const std::vector<int> ys = b.tensor(y).shape;
  y = b.add(y, export_poke_shortcut(b, x, ys, false, name + ".local"), name + ".local.add");
  if (r1 >= 0) y = b.add(y, export_poke_shortcut(b, r1, ys, true, name + ".long"), name + ".long.add");
  y = export_dprelu(e, *pc.act, y, name + ".dprelu");
  y = b.scale_channels(y, export_se(e, *pc.se, x, q, name + ".se"), name + ".se.scale");
  auto [scale, bias] = pc.bn2->folded();
  return export_affine(e, y, scale, bias, name + ".bn2");
}

int export_pokebnn(Exporter& e, PokeBnnImpl& m) {
  GraphBuilder& b = e.b_;
  const auto chw = m.cfg.at("input_shape").get<std::vector<int64_t>>();
  b.metadata().input_mean = m.mean;
  b.metadata().input_std = m.std;
  int x = input_image(b, chw, true);
  auto conv_bn = [&](QuantConv2dImpl& conv, BatchNorm& bn, DPReLUImpl& act, int in, const UniformQuant& q,
                     const std::string& name) {
    const int a = export_quant_conv(e, conv, in, q, name);
    auto [scale, bias] = bn->folded(conv.eval_scale(q));
    return export_dprelu(e, act, export_affine(e, a, scale, bias, name + ".bn"), name + ".dprelu");
  };
  x = conv_bn(*m.init_conv, m.init_bn, *m.init_act, x, m.quant.image, "init");
  x = conv_bn(*m.init_group_conv, m.init_group_bn, *m.init_group_act, x, m.quant.act, "init.group");
  for (auto& blk : m.blocks) {
    const int r1 = x;
    x = export_poke_conv(e, *blk.conv[0], x, -1, m.quant, blk.name + "-1");
    x = export_poke_conv(e, *blk.conv[1], x, -1, m.quant, blk.name + "-2");
    x = export_poke_conv(e, *blk.conv[2], x, r1, m.quant, blk.name + "-3");
  }
  // Head: the dense layer over codes; its weight [OC, IC, 1, 1] is the Dense matrix [OC, IC].
  const int g = b.global_avg_pool(x, "pool");
  const UniformQuant& q = m.quant.act;
  const int c = b.quant_uniform(g, q.bits, q.lo, q.hi, "fc.quant", /*codes=*/true);
  const auto k = weight_codes(m.fc->weight, m.fc->options.bits()).codes.flatten(1).contiguous();
  const int w = e.f32("fc.weight", k, ints({k.size(0), k.size(1)}));
  const int d = b.dense(c, w, -1, "fc", m.fc->options.bits(), q.bits);
  return export_affine(e, d, m.fc->eval_scale(q), m.fc->eval_shift(q), "fc.affine");
}

}  // namespace

Graph export_graph(ClassifierImpl& model, const Json& meta, const ExportOptions& options) {
  torch::NoGradGuard no_grad;
  model.eval();
  const Json config = meta.value("config", Json::object());
  GraphBuilder b(config.value("name", std::string("bnnkit-model")));
  Exporter e(b, options);
  int logits = -1;
  if (auto* r = dynamic_cast<ResNet20BnnImpl*>(&model)) {
    logits = export_resnet_bnn(e, *r);
  } else if (auto* f = dynamic_cast<ResNet20FpImpl*>(&model)) {
    logits = export_resnet_fp(e, *f);
  } else if (auto* m = dynamic_cast<BinaryMlpImpl*>(&model)) {
    logits = export_mlp(e, *m);
  } else if (auto* p = dynamic_cast<PokeBnnImpl*>(&model)) {
    logits = export_pokebnn(e, *p);
  } else {
    throw std::invalid_argument("export: unknown model type");
  }
  b.output(logits, "logits");
  auto& md = b.metadata();
  md.description = config.value("description", std::string());
  md.producer = "bnnkit-train";
  const Json data = config.value("data", Json::object());
  if (data.contains("class_names")) md.class_names = data.at("class_names").get<std::vector<std::string>>();
  if (!config.empty()) md.properties["config"] = config.dump();
  if (meta.contains("metrics")) md.properties["metrics"] = meta.at("metrics").dump();
  if (meta.contains("stage_name")) md.properties["stage"] = meta.at("stage_name").get<std::string>();
  return b.finish();
}

std::string export_config(const std::string& config_path, uint64_t seed, const std::string& model_path,
                          const ExportOptions& options) {
  const Json config = load_config(config_path);
  const Json& mc = config.at("model");
  if (!mc.contains("input_shape") || !mc.contains("num_classes"))
    throw std::invalid_argument(config_path +
                                ": exporting an architecture needs model.input_shape and model.num_classes");
  torch::manual_seed(seed);
  auto model = build_model(mc);
  Json meta{{"config", config}, {"stage_name", "random weights (seed " + std::to_string(seed) + ")"}};
  Graph g = export_graph(*model, meta, options);
  save_model(g, model_path);
  char line[512];
  std::snprintf(line, sizeof line, "wrote %s: %zu ops, %.1f KiB; random weights (seed %llu)",
                model_path.c_str(), g.ops.size(),
                static_cast<double>(std::filesystem::file_size(model_path)) / 1024.0,
                static_cast<unsigned long long>(seed));
  return line;
}

std::string export_checkpoint(const std::string& checkpoint_path, const std::string& model_path,
                              const ExportOptions& options) {
  Checkpoint c = load_checkpoint(checkpoint_path);
  Graph g = export_graph(*c.model, c.meta, options);
  save_model(g, model_path);
  const auto bytes = std::filesystem::file_size(model_path);
  char line[512];
  const double acc = c.meta.value("metrics", Json::object()).value("test_acc", -1.0);
  std::snprintf(line, sizeof line, "wrote %s: %zu ops, %.1f KiB; trainer test accuracy %.2f%% (%s)",
                model_path.c_str(), g.ops.size(), static_cast<double>(bytes) / 1024.0, 100.0 * acc,
                c.meta.value("stage_name", std::string("?")).c_str());
  return line;
}

}  // namespace bnnkit::train
