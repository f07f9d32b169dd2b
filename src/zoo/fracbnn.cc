// The two FracBNN networks of the paper (papers.md §2.4) with random weights: the CIFAR-10 ResNet-20 variant
// and the ImageNet ReActNet-A variant. They exist so the FPGA engine model (src/hw) can be validated against
// the published accelerators and so latency work has the real shapes before trained weights exist.
#include <cmath>
#include <random>

#include "zoo/random_params.h"
#include "zoo/zoo.h"

namespace bnnkit::zoo {
namespace {

// Random parameters with the scales that keep every layer in a useful range (the pattern of tiny.cc, with the
// gate and the post-shortcut BN tuned for deep residual stacks).
class Maker : public RandomParams {
 public:
  using RandomParams::RandomParams;

  // D_msb of a random binary conv with fan-in k is roughly N(0, sqrt(k)); thresholds drawn from
  // N(0.2 sqrt(k), 0.5 sqrt(k)) open about 40 % of the outputs on random images (FracBNN's "1.4-bit" average,
  // papers.md §2.2; hw_test checks the measured density).
  int gate(const std::string& name, int oc, int k) {
    std::vector<int32_t> t(oc);
    const float sd = std::sqrt(static_cast<float>(k));
    std::normal_distribution<float> d(0.2f * sd, 0.5f * sd);
    for (auto& x : t) x = static_cast<int32_t>(std::lround(d(rng_)));
    return b_.constant_i32(name + ".gate", {oc}, t);
  }
  // The BN after each shortcut add. A scale below 1 keeps the residual stream bounded over 26 adds, as
  // trained BNs do; otherwise the 2-bit quantizers would saturate in the deep stages.
  int affine(int x, const std::string& name, int c) {
    return b_.affine(x, vec(name + ".scale", normal(c, 0.7f, 0.05f)), vec(name + ".bias", normal(c, 0, 0.1f)),
                     name);
  }
};

// quant2bit → fractional k×k conv (BN folded into its float stage) → RPReLU.
int frac_conv(GraphBuilder& b, Maker& m, int x, const std::string& name, int ic, int oc, int k, int stride) {
  const auto [msb, lsb] = b.quant2bit(x, name + ".quant");
  const int fan_in = k * k * ic;
  const int pad = k / 2;
  const int y = b.fracconv2d(msb, lsb, m.conv_weights(name, oc, k, ic), m.gate(name, oc, fan_in),
                             ConvAttrs{k, k, stride, stride, pad, pad}, Padding::kZero,
                             m.float_stage(name, oc, 3 * fan_in), name + ".conv");
  return m.rprelu(y, name + ".rprelu", oc);
}

// CIFAR-10 half block: BN(RPReLU(BN(PGConv3x3(Q2(x)))) + shortcut(x)), shortcut = AvgPool 2×2 then cat(x, x)
// when the conv halves the resolution and doubles the channels.
int cifar_half(GraphBuilder& b, Maker& m, int x, const std::string& name, int ic, int oc, int stride) {
  const int act = frac_conv(b, m, x, name, ic, oc, 3, stride);
  int shortcut = x;
  if (stride != 1) shortcut = b.avg_pool(shortcut, ConvAttrs{2, 2, 2, 2, 0, 0}, true, name + ".pool");
  if (oc != ic) shortcut = b.channel_dup(shortcut, oc / ic, name + ".dup");
  return m.affine(b.add(act, shortcut, name + ".add"), name + ".bn", oc);
}

// ImageNet building block (ReActNet-A with fractional convs and 4-bit shortcuts):
//   y = BN(RPReLU(BN(PGConv3x3_s(Q2(x)))) + AvgPool2x2_if_s2(Q4(x)))
//   z = BN(RPReLU(BN(PGConv1x1(Q2(y)))) + dup_if_2x(Q4(y)))
int imagenet_block(GraphBuilder& b, Maker& m, int x, const std::string& name, int ic, int oc, int stride) {
  const int a = frac_conv(b, m, x, name + ".conv3x3", ic, ic, 3, stride);
  int sc = b.quant_uniform(x, 4, -1.0f, 1.0f, name + ".sc1.quant");
  if (stride != 1) sc = b.avg_pool(sc, ConvAttrs{2, 2, 2, 2, 0, 0}, true, name + ".sc1.pool");
  const int y = m.affine(b.add(a, sc, name + ".add1"), name + ".bn1", ic);

  const int c = frac_conv(b, m, y, name + ".conv1x1", ic, oc, 1, 1);
  int sc2 = b.quant_uniform(y, 4, -1.0f, 1.0f, name + ".sc2.quant");
  if (oc != ic) sc2 = b.channel_dup(sc2, oc / ic, name + ".sc2.dup");
  return m.affine(b.add(c, sc2, name + ".add2"), name + ".bn2", oc);
}

GraphBuilder start(const char* name, uint64_t seed, std::vector<std::string> classes) {
  GraphBuilder b(name);
  b.metadata().description = "random weights (seed " + std::to_string(seed) + "), from the bnnkit model zoo";
  b.metadata().class_names = std::move(classes);
  return b;
}

}  // namespace

Graph fracbnn_cifar10(uint64_t seed) {
  GraphBuilder b =
      start("fracbnn-cifar10", seed,
            {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"});
  Maker m(b, seed);
  const int x = b.input("image", DType::kUInt8, {1, 32, 32, 3});
  const int t = b.thermometer(x, 32, "encoder");
  int y = b.bconv2d(t, m.conv_weights("stem", 16, 3, 96), ConvAttrs{3, 3, 1, 1, 1, 1}, Padding::kZero,
                    m.float_stage("stem", 16, 9 * 96), "stem");
  int c = 16;
  const int widths[3] = {16, 32, 64};
  for (int stage = 0; stage < 3; ++stage) {
    for (int blk = 0; blk < 3; ++blk) {
      const std::string name = "layer" + std::to_string(stage + 1) + "." + std::to_string(blk);
      const int oc = widths[stage];
      const int stride = (stage > 0 && blk == 0) ? 2 : 1;
      y = cifar_half(b, m, y, name + ".half1", c, oc, stride);
      y = cifar_half(b, m, y, name + ".half2", oc, oc, 1);
      c = oc;
    }
  }
  const int pooled = b.global_avg_pool(y, "pool");  // AvgPool 8×8 over the 8×8 map
  b.output(m.head(pooled, 64, 10), "logits");
  return b.finish();
}

Graph fracbnn_imagenet(uint64_t seed) {
  std::vector<std::string> classes;
  for (int i = 0; i < 1000; ++i) classes.push_back("class " + std::to_string(i));
  GraphBuilder b = start("fracbnn-imagenet", seed, std::move(classes));
  Maker m(b, seed);
  const int x = b.input("image", DType::kUInt8, {1, 224, 224, 3});
  const int t = b.thermometer(x, 32, "encoder");
  int y = b.bconv2d(t, m.conv_weights("stem", 32, 3, 96), ConvAttrs{3, 3, 2, 2, 1, 1}, Padding::kZero,
                    m.float_stage("stem", 32, 9 * 96), "stem");
  struct Block {
    int ic, oc, stride;
  };
  const Block blocks[13] = {{32, 64, 1},   {64, 128, 2},   {128, 128, 1},  {128, 256, 2}, {256, 256, 1},
                            {256, 512, 2}, {512, 512, 1},  {512, 512, 1},  {512, 512, 1}, {512, 512, 1},
                            {512, 512, 1}, {512, 1024, 2}, {1024, 1024, 1}};
  for (int i = 0; i < 13; ++i)
    y = imagenet_block(b, m, y, "block" + std::to_string(i + 1), blocks[i].ic, blocks[i].oc,
                       blocks[i].stride);
  const int pooled = b.global_avg_pool(y, "pool");  // AvgPool 7×7 over the 7×7 map
  b.output(m.head(pooled, 1024, 1000), "logits");
  return b.finish();
}

}  // namespace bnnkit::zoo
