#include "zoo/random_params.h"
#include "zoo/zoo.h"

#include <cmath>
#include <random>

#include "bnnkit/error.h"

namespace bnnkit::zoo {
namespace {

class Maker : public RandomParams {
 public:
  using RandomParams::RandomParams;

  // Thresholds near 0 with a few flipped channels.
  BitsStage bits_stage(const std::string& name, int oc, int k) {
    std::vector<int32_t> t(oc);
    std::vector<uint8_t> f(oc);
    std::uniform_int_distribution<int> d(-std::max(1, k / 16), std::max(1, k / 16));
    for (int c = 0; c < oc; ++c) t[c] = d(rng_), f[c] = (rng_() % 5 == 0);
    return {b_.constant_i32(name + ".threshold", {oc}, t), b_.constant_u8(name + ".flip", {oc}, f)};
  }
  // Gate thresholds spread so that a fraction of outputs opens.
  int gate(const std::string& name, int oc, int k) {
    std::vector<int32_t> t(oc);
    std::normal_distribution<float> d(0.0f, 0.5f * std::sqrt(static_cast<float>(k)));
    for (auto& x : t) x = static_cast<int32_t>(std::lround(d(rng_)));
    return b_.constant_i32(name + ".gate", {oc}, t);
  }
  int affine(int x, const std::string& name, int c) {
    return b_.affine(x, vec(name + ".scale", normal(c, 1.0f, 0.1f)), vec(name + ".bias", normal(c, 0, 0.1f)),
                     name);
  }
};

const std::vector<std::string> kFashionClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

// One FracBNN basic block half: quant2bit → fractional 3×3 conv → (BN folded) → RPReLU → + shortcut → BN.
int frac_block(GraphBuilder& b, Maker& m, int x, const std::string& name, int ic, int oc, int stride) {
  const auto [msb, lsb] = b.quant2bit(x, name + ".quant");
  const int k = 9 * ic;
  const int y = b.fracconv2d(msb, lsb, m.conv_weights(name, oc, 3, ic), m.gate(name, oc, k),
                             ConvAttrs{3, 3, stride, stride, 1, 1}, Padding::kZero,
                             m.float_stage(name, oc, 3 * k), name + ".conv");
  const int act = m.rprelu(y, name + ".rprelu", oc);
  int shortcut = x;
  if (stride != 1) shortcut = b.avg_pool(shortcut, ConvAttrs{2, 2, 2, 2, 0, 0}, true, name + ".pool");
  if (oc != ic) shortcut = b.channel_dup(shortcut, oc / ic, name + ".dup");
  return m.affine(b.add(act, shortcut, name + ".add"), name + ".bn", oc);
}

}  // namespace

namespace {
GraphBuilder start(const char* name, uint64_t seed) {
  GraphBuilder b(name);
  b.metadata().description = "random weights (seed " + std::to_string(seed) + "), from the bnnkit model zoo";
  b.metadata().class_names = kFashionClasses;
  return b;
}
}  // namespace

Graph fracbnn_tiny(uint64_t seed) {
  GraphBuilder b = start("fracbnn-tiny", seed);
  Maker m(b, seed);
  const int x = b.input("image", DType::kUInt8, {1, 28, 28, 1});
  const int t = b.thermometer(x, 32, "encoder");
  const int stem = b.bconv2d(t, m.conv_weights("stem", 16, 3, 32), ConvAttrs{3, 3, 1, 1, 1, 1},
                             Padding::kZero, m.float_stage("stem", 16, 9 * 32), "stem");
  int y = frac_block(b, m, stem, "block1", 16, 16, 1);
  y = frac_block(b, m, y, "block2", 16, 32, 2);
  const int pooled = b.global_avg_pool(y, "pool");
  b.output(m.head(pooled, 32, 10), "logits");
  return b.finish();
}

Graph bnn_mlp(uint64_t seed) {
  GraphBuilder b = start("bnn-mlp", seed);
  Maker m(b, seed);
  const int x = b.input("image", DType::kFloat32, {1, 28, 28, 1});
  b.metadata().input_mean = {0.2860f};
  b.metadata().input_std = {0.3530f};
  const int flat = b.flatten(x, "flatten");
  const int bits = b.sign_quant(flat, -1, "sign");
  const int h1 = b.bdense(bits, b.constant_bits("fc1.weight", {256, 784}, m.pm1(256 * 784)),
                          m.bits_stage("fc1", 256, 784), "fc1");
  const int h2 = b.bdense(h1, b.constant_bits("fc2.weight", {256, 256}, m.pm1(256 * 256)),
                          m.float_stage("fc2", 256, 256), "fc2");
  b.output(m.head(h2, 256, 10), "logits");
  return b.finish();
}

Graph bconv_stack(uint64_t seed) {
  GraphBuilder b = start("bconv-stack", seed);
  Maker m(b, seed);
  const int x = b.input("image", DType::kUInt8, {1, 28, 28, 1});
  const int t = b.thermometer(x, 32, "encoder");
  int y = b.bconv2d(t, m.conv_weights("conv1", 64, 3, 32), ConvAttrs{3, 3, 1, 1, 1, 1}, Padding::kOne,
                    m.bits_stage("conv1", 64, 288), "conv1");
  y = b.bconv2d(y, m.conv_weights("conv2", 65, 3, 64), ConvAttrs{3, 3, 2, 2, 1, 1}, Padding::kZero,
                m.bits_stage("conv2", 65, 576), "conv2");
  y = b.bconv2d(y, m.conv_weights("conv3", 96, 1, 65), ConvAttrs{1, 1, 1, 1, 0, 0}, Padding::kZero,
                m.bits_stage("conv3", 96, 65), "conv3");
  y = b.bconv2d(y, m.conv_weights("conv4", 128, 3, 96), ConvAttrs{3, 3, 2, 2, 1, 1}, Padding::kOne,
                m.float_stage("conv4", 128, 864), "conv4");
  const int pooled = b.global_avg_pool(y, "pool");
  b.output(m.head(pooled, 128, 10), "logits");
  return b.finish();
}

}  // namespace bnnkit::zoo
