// PokeBNN (Zhang, Zhang, Lew, CVPR 2022; papers.md §3) built from the engine's ops, following google/aqt
// aqt/jax_legacy/jax/imagenet/pokebnn.py (PokeBNN.poke_init, poke_conv, se, reshape_add, bottleneck_block).
//
//   PokeInit   QuantUniform 8b → Conv2d k×k/k VALID → BN → DPReLU → QuantUniform 8b → grouped Conv2d 3×3
//              (groups = init_group) → BN → DPReLU; both convs declare 8 × 8 bits.
//   PokeConv   (x, r1):  y = BConv2d(SignQuant(x)) with BN folded into its float output stage
//              y = y + local(x)        (every conv: average groups of channels when shrinking, zero-pad when
//                                       expanding, AvgPool 3×3/2 SAME when the conv strides)
//              y = y + long(r1)        (third conv of a bottleneck only: tile channels, AvgPool 3×3/2 SAME)
//              y = DPReLU(y) · SE(x);  y = BN(y)
//   SE(x)      global mean (kept NHWC: AvgPool over the whole map) → QuantUniform 4b → 1×1 Conv2d C → C/8
//              (+bias, 4 × 4 bits) → ReLU → QuantUniform 4b on [0, hi] → 1×1 Conv2d C/8 → C_out (4 × 4) →
//              hard-sigmoid → Flatten → ScaleChannels. aqt runs these FCs as 1×1 convs on the pooled 1×1 map
//              and counts them in conv_ace; they are Conv2d here so bnnkit's conv/dense ACE split is aqt's.
//   head       global mean → QuantUniform 8b → Dense (8 × 8 bits) → classes.
//
// The binary conv: aqt quantises x to ±B/2 (B = 3, sign with sign(0) = +1, the SignQuant rule) and W to
// ±0.5·max|W_c|, so conv = popcount dot D × 0.75·max|W_c|, then BN: one per-channel scale and bias, the
// float output stage. Flax pads the quantised input with zeros: Padding::kZero. BN layers are Affine ops
// (inference form). The random weights of the quantised float layers lie on their bit-width's grid.
//
// Where this graph differs from aqt's:
//   - the 3×3 stride-2 binary conv pads symmetrically (1 before, 1 after: the BConv2d kernels have no
//     asymmetric padding), where Flax's SAME pads 0 before and 1 after on an even input. Same output size
//     and MACs (ACE unchanged); the conv's windows sit one pixel up and left of Flax's. The shortcut pools
//     use Flax's SAME padding exactly (AvgPool ph_end/pw_end, divisor 9 everywhere).
//   - where a shortcut both changes channels and strides, aqt reshapes the channels, then pools; we pool,
//     then reshape. Only zero-pad and tile ever meet a stride (the stride is on the f → f conv, the long
//     shortcut only expands), and both commute with the pool bit for bit, on fewer channels.
//   - activation bounds are fixed constants (aqt calibrates them during training), and the 4-bit signed
//     quantiser has 16 levels (aqt's int4 uses 15).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "zoo/random_params.h"
#include "zoo/zoo.h"

namespace bnnkit::zoo {
namespace {

// Activation ranges of the fake quantisers (random-weight models: activations are roughly N(0, 1)).
constexpr float kImageBound = 3.0f;  // normalised pixels, 8-bit, [-3, 3]
constexpr float kActBound = 4.0f;    // BN/DPReLU outputs into the 8-bit grouped conv and head, [-4, 4]
constexpr float kSeInBound = 2.0f;   // SE pooled input, signed 4-bit, [-2, 2]
constexpr float kSeMidBound = 4.0f;  // SE hidden after ReLU, unsigned 4-bit, [0, 4]
constexpr int kStemBits = 8, kSeBits = 4, kHeadBits = 8;

// TF/Flax "SAME" along one axis: ceil(in / stride) outputs, the total padding split with the smaller half
// before the input.
struct SamePad {
  int out, before, after;
};
SamePad same_pad(int in, int k, int stride) {
  const int out = (in + stride - 1) / stride;
  const int total = std::max((out - 1) * stride + k - in, 0);
  return {out, total / 2, total - total / 2};
}

// "1.0", "0.75", "2.0": the multiplier as PokeBNN's model names write it.
std::string multiplier_str(double m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", m);
  std::string s = buf;
  return s.find('.') == std::string::npos ? s + ".0" : s;
}

class PokeMaker : public RandomParams {
 public:
  using RandomParams::RandomParams;

  // N(0, stddev) values rounded onto a symmetric `bits`-bit grid: integers in [-(2^(bits-1) - 1),
  // 2^(bits-1) - 1] times a step chosen so that ±3σ spans the grid.
  std::vector<float> quantised(size_t n, int bits, float stddev) {
    const float top = static_cast<float>((1 << (bits - 1)) - 1);
    const float step = 3.0f * stddev / top;
    std::vector<float> v = normal(n, 0.0f, stddev);
    for (auto& x : v) x = std::clamp(std::nearbyint(x / step), -top, top) * step;
    return v;
  }
  // A float conv whose weights and (fake-quantised) input are `bits` wide; ConvAttrs padding symmetric.
  int quant_conv(int x, const std::string& name, int oc, int k, ConvAttrs conv, int groups, int bits,
                 bool bias) {
    const int icg = b_.tensor(x).shape[3] / groups;
    const float s = 1.0f / std::sqrt(static_cast<float>(k * k * icg));
    const int w = b_.constant_f32(name + ".weight", {oc, k, k, icg},
                                  quantised(static_cast<size_t>(oc) * k * k * icg, bits, s));
    const int bi = bias ? vec(name + ".bias", normal(oc, 0.0f, 0.1f)) : -1;
    return b_.conv2d(x, w, bi, conv, groups, name, bits, bits);
  }
  // Batch norm in inference form.
  int bn(int x, const std::string& name) {
    const int c = b_.tensor(x).shape.back();
    return b_.affine(x, vec(name + ".scale", normal(c, 1.0f, 0.1f)), vec(name + ".bias", normal(c, 0, 0.1f)),
                     name);
  }
  // DPReLU near its initialisation (β = γ = 0, η⁺ = 1, η⁻ = 0.25).
  int dprelu(int x, const std::string& name) {
    const int c = b_.tensor(x).shape.back();
    return b_.dprelu(x, vec(name + ".beta", normal(c, 0, 0.1f)), vec(name + ".eta_pos", normal(c, 1, 0.1f)),
                     vec(name + ".eta_neg", normal(c, 0.25f, 0.05f)),
                     vec(name + ".gamma", normal(c, 0, 0.1f)), name);
  }
  int dense(int x, const std::string& name, int oc, int bits) {
    const int ic = b_.tensor(x).shape[1];
    const float s = 1.0f / std::sqrt(static_cast<float>(ic));
    const int w =
        b_.constant_f32(name + ".weight", {oc, ic}, quantised(static_cast<size_t>(oc) * ic, bits, s));
    return b_.dense(x, w, vec(name + ".bias", normal(oc, 0, 0.1f)), name, bits, bits);
  }
};

// PokeBNN's reshape_add shape matching of shortcut `r` to `target` ([N, H, W, C]): AvgPool 3×3/2 SAME when
// the spatial size differs, then channels averaged in consecutive groups when shrinking, or expanded by
// `tile` (long shortcut, jnp.tile) or zero-padding (local shortcut).
int match_shortcut(GraphBuilder& b, int r, const std::vector<int>& target, bool tile,
                   const std::string& name) {
  std::vector<int> rs = b.tensor(r).shape;
  if (rs[1] != target[1] || rs[2] != target[2]) {
    const SamePad ph = same_pad(rs[1], 3, 2), pw = same_pad(rs[2], 3, 2);
    if (ph.out != target[1] || pw.out != target[2])
      throw std::invalid_argument(name + ": a 3x3/2 pool cannot take the shortcut from " +
                                  std::to_string(rs[1]) + "x" + std::to_string(rs[2]) + " to " +
                                  std::to_string(target[1]) + "x" + std::to_string(target[2]));
    r = b.avg_pool(r, ConvAttrs{3, 3, 2, 2, ph.before, pw.before}, true, name + ".pool", ph.after, pw.after);
  }
  const int c = rs[3], tc = target[3];
  if (c > tc) return b.channel_avg(r, tc, name + ".avg");
  if (c < tc && !tile) return b.channel_pad(r, tc, name + ".pad");
  if (c < tc) {
    if (tc % c != 0)
      throw std::invalid_argument(name + ": cannot tile " + std::to_string(c) + " channels to " +
                                  std::to_string(tc));
    return b.channel_dup(r, tc / c, name + ".tile");
  }
  return r;
}

// Squeeze-and-excitation gate from the PokeConv's input x, one scale per output channel: [N, cout].
int se_gate(GraphBuilder& b, PokeMaker& m, int x, int cout, const std::string& name) {
  const std::vector<int> xs = b.tensor(x).shape;
  const int proj = xs[3] / 8;
  if (proj < 1) throw std::invalid_argument(name + ": SE needs at least 8 input channels");
  int s = b.avg_pool(x, ConvAttrs{xs[1], xs[2], 1, 1, 0, 0}, true, name + ".mean");  // [N, 1, 1, C]
  s = b.quant_uniform(s, kSeBits, -kSeInBound, kSeInBound, name + ".quant1");
  s = m.quant_conv(s, name + ".fc1", proj, 1, ConvAttrs{1, 1, 1, 1, 0, 0}, 1, kSeBits, true);
  s = b.activation(s, ActivationKind::kRelu, name + ".relu");
  s = b.quant_uniform(s, kSeBits, 0.0f, kSeMidBound, name + ".quant2");
  s = m.quant_conv(s, name + ".fc2", cout, 1, ConvAttrs{1, 1, 1, 1, 0, 0}, 1, kSeBits, true);
  s = b.activation(s, ActivationKind::kHardSigmoid, name + ".hsig");
  return b.flatten(s, name + ".flat");
}

// One PokeConv: binary k×k conv (stride `stride`) of x to `cout` channels with its shortcuts, DPReLU, SE and
// the closing BN. r1 is the bottleneck's input for its third conv (the long shortcut), else -1.
int poke_conv(GraphBuilder& b, PokeMaker& m, int x, int r1, const std::string& name, int cout, int k,
              int stride) {
  const int cin = b.tensor(x).shape[3];
  const int pad = k / 2;  // SAME for stride 1; see the header for stride 2
  const int bits = b.sign_quant(x, -1, name + ".sign");
  int y =
      b.bconv2d(bits, m.conv_weights(name + ".conv", cout, k, cin), ConvAttrs{k, k, stride, stride, pad, pad},
                Padding::kZero, m.float_stage(name + ".conv", cout, k * k * cin), name + ".conv");
  const std::vector<int> ys = b.tensor(y).shape;
  y = b.add(y, match_shortcut(b, x, ys, false, name + ".local"), name + ".local.add");
  if (r1 >= 0) y = b.add(y, match_shortcut(b, r1, ys, true, name + ".long"), name + ".long.add");
  y = m.dprelu(y, name + ".dprelu");
  y = b.scale_channels(y, se_gate(b, m, x, cout, name + ".se"), name + ".se.scale");
  return m.bn(y, name + ".bn");
}

Graph build_pokebnn(const PokeBnnConfig& cfg, uint64_t seed) {
  GraphBuilder b(cfg.name);
  b.metadata().description = "PokeBNN, filter multiplier " + multiplier_str(cfg.multiplier) +
                             ", random weights (seed " + std::to_string(seed) +
                             "), from the bnnkit model zoo";
  b.metadata().class_names = cfg.class_names;
  b.metadata().input_mean = cfg.input_mean;
  b.metadata().input_std = cfg.input_std;
  PokeMaker m(b, seed);
  const int image = b.input("image", DType::kFloat32, {1, cfg.image_h, cfg.image_w, cfg.image_c});

  // PokeInit: no input pixel is used twice, then two filters per channel.
  const int sk = cfg.stem_kernel;
  int x = b.quant_uniform(image, kStemBits, -kImageBound, kImageBound, "init.quant");
  x = m.quant_conv(x, "init.conv", cfg.init_group, sk, ConvAttrs{sk, sk, sk, sk, 0, 0}, 1, kStemBits, false);
  x = m.dprelu(m.bn(x, "init.bn"), "init.dprelu");
  x = b.quant_uniform(x, kStemBits, -kActBound, kActBound, "init.group.quant");
  x = m.quant_conv(x, "init.group.conv", cfg.init_features, 3, ConvAttrs{3, 3, 1, 1, 1, 1}, cfg.init_group,
                   kStemBits, false);
  x = m.dprelu(m.bn(x, "init.group.bn"), "init.group.dprelu");

  int block = 0;
  for (size_t stage = 0; stage < cfg.blocks.size(); ++stage) {
    const int f = static_cast<int>(cfg.features[stage] * cfg.multiplier);
    for (int j = 0; j < cfg.blocks[stage]; ++j, ++block) {
      const int stride = (stage > 0 && j == 0) ? 2 : 1;
      const std::string name = "res" + std::to_string(block);
      const int r1 = x;
      x = poke_conv(b, m, x, -1, name + "-1", f, 1, 1);
      x = poke_conv(b, m, x, -1, name + "-2", f, 3, stride);
      x = poke_conv(b, m, x, r1, name + "-3", 4 * f, 1, 1);
    }
  }

  x = b.global_avg_pool(x, "pool");
  x = b.quant_uniform(x, kHeadBits, -kActBound, kActBound, "fc.quant");
  b.output(m.dense(x, "fc", cfg.classes, kHeadBits), "logits");
  return b.finish();
}

}  // namespace

PokeBnnConfig pokebnn_imagenet_config(double multiplier) {
  PokeBnnConfig c;
  c.name = "pokebnn-" + multiplier_str(multiplier) + "x-imagenet";
  c.multiplier = multiplier;
  c.input_mean = {0.485f, 0.456f, 0.406f};
  c.input_std = {0.229f, 0.224f, 0.225f};
  return c;
}

PokeBnnConfig pokebnn_mnist_config(double multiplier) {
  PokeBnnConfig c;
  c.name = "pokebnn-mnist";
  c.image_h = c.image_w = 28;
  c.image_c = 1;
  c.stem_kernel = 2;
  c.init_group = 16;
  c.init_features = 32;
  c.blocks = {1, 1, 1};
  c.features = {16, 32, 64};
  c.multiplier = multiplier;
  c.classes = 10;
  c.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  c.input_mean = {0.2860f};
  c.input_std = {0.3530f};
  return c;
}

Graph pokebnn(const PokeBnnConfig& config, uint64_t seed) {
  if (config.blocks.size() != config.features.size() || config.blocks.empty())
    throw std::invalid_argument("PokeBNN config '" + config.name +
                                "': blocks and features must list the same " + "stages");
  return build_pokebnn(config, seed);
}

Graph pokebnn_mnist(uint64_t seed) {
  return pokebnn(pokebnn_mnist_config(), seed);
}
Graph pokebnn_0_5x_imagenet(uint64_t seed) {
  return pokebnn(pokebnn_imagenet_config(0.5), seed);
}
Graph pokebnn_0_75x_imagenet(uint64_t seed) {
  return pokebnn(pokebnn_imagenet_config(0.75), seed);
}
Graph pokebnn_1_0x_imagenet(uint64_t seed) {
  return pokebnn(pokebnn_imagenet_config(1.0), seed);
}
Graph pokebnn_2_0x_imagenet(uint64_t seed) {
  return pokebnn(pokebnn_imagenet_config(2.0), seed);
}

}  // namespace bnnkit::zoo
