// Every float conv2d variant against conv2d_reference, byte for byte: groups (full, grouped 2 filters per
// channel, depthwise, channel counts with vector tails), kernels 1x1 to 5x5 and PokeInit's 4x4/4, strides,
// padding, with and without bias, random values including zeros, -0.0 and large magnitudes, in 3 row slices
// on a sentinel-filled buffer. Variants the CPU cannot run are skipped with a message.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv2d/conv2d.h"
#include "kernels/conv2d/variants.h"
#include "kernels/dense/dense.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

struct Case {
  ConvGeometry g;
  int groups;
  bool bias;
};

std::vector<float> values(std::mt19937_64& rng, size_t n) {
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::vector<float> v(n);
  for (auto& x : v) {
    const uint64_t r = rng() % 16;
    x = r == 0 ? 0.0f : r == 1 ? -0.0f : r == 2 ? u(rng) * 1e6f : u(rng);
  }
  return v;
}

std::vector<float> run(const Case& c, void (*fn)(const Conv2dArgs&, int, int), const std::vector<float>& src,
                       const float* w, const std::vector<float>& bias, const std::vector<int>& cuts) {
  const size_t outs = static_cast<size_t>(c.g.out_rows()) * c.g.ow() * c.g.oc;
  std::vector<float> dst(outs + 16, std::bit_cast<float>(0x7FBADBADu));
  Conv2dArgs a;
  a.g = c.g;
  a.groups = c.groups;
  a.src = src.data();
  a.weights = w;
  a.bias = c.bias ? bias.data() : nullptr;
  a.dst = dst.data();
  for (size_t i = 0; i + 1 < cuts.size(); ++i) fn(a, cuts[i], cuts[i + 1]);
  return dst;
}

class Conv2dVariants : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const Conv2dVariant* v = conv2d_find(GetParam());
    ASSERT_NE(v, nullptr);
    if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  }
};

TEST_P(Conv2dVariants, MatchesReferenceByteForByte) {
  const Conv2dVariant& v = *conv2d_find(GetParam());
  auto rng = ::bnnkit::testing::make_rng(0xC2D);
  const Case cases[] = {
      {{1, 9, 11, 3, 24, 4, 4, 4, 4, 0, 0}, 1, true},     // PokeInit-like 4x4/4
      {{2, 7, 8, 32, 64, 3, 3, 1, 1, 1, 1}, 32, true},    // grouped 3x3, two filters per channel
      {{1, 6, 5, 16, 16, 3, 3, 1, 1, 1, 1}, 16, false},   // depthwise
      {{1, 6, 7, 17, 33, 3, 3, 2, 2, 1, 1}, 1, true},     // tails, stride 2
      {{2, 5, 5, 40, 37, 1, 1, 1, 1, 0, 0}, 1, false},    // 1x1
      {{1, 8, 6, 6, 12, 5, 5, 1, 1, 2, 2}, 3, true},      // 5x5, 3 groups of 2 -> 4
      {{1, 3, 2, 8, 20, 3, 3, 1, 2, 2, 1}, 2, true},      // window wider than the image, mixed strides
      {{1, 14, 13, 24, 48, 3, 3, 1, 1, 1, 1}, 1, false},  // interior tiles and remainders
      // One input channel per group, 1-16 outputs each: a vector's lanes span groups (avx512_16's
      // spread_tile).
      {{1, 10, 9, 16, 64, 3, 3, 1, 1, 1, 1}, 16, true},  // PokeBNN's stem group conv (16 groups, 1 -> 4)
      {{2, 5, 7, 5, 20, 3, 3, 2, 2, 1, 1}, 5, false},    // 1 -> 4, a partial second vector, stride 2
      {{1, 6, 6, 3, 24, 3, 3, 1, 1, 1, 1}, 3, true},     // 1 -> 8, input window past the channels
      {{1, 7, 6, 40, 40, 3, 3, 1, 1, 1, 1}, 40, true},   // depthwise with a vector tail
      {{1, 4, 5, 2, 32, 1, 1, 1, 1, 0, 0}, 2, false},    // 1 -> 16, 1x1
      {{3, 1, 1, 2048, 1000, 1, 1, 1, 1, 0, 0},
       1,
       true},  // a dense layer (PokeBNN's head) as the runtime runs it
      {{5, 1, 1, 64, 10, 1, 1, 1, 1, 0, 0}, 1, false},  // a small dense head
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("ic " + std::to_string(c.g.ic) + " oc " + std::to_string(c.g.oc) + " k" +
                 std::to_string(c.g.kh) + " s" + std::to_string(c.g.sh) + " groups " +
                 std::to_string(c.groups));
    ASSERT_EQ(v.rejects(c.g, c.groups), nullptr);
    const auto src = values(rng, static_cast<size_t>(c.g.n) * c.g.ih * c.g.iw * c.g.ic);
    const auto w = values(rng, static_cast<size_t>(c.g.oc) * c.g.kh * c.g.kw * (c.g.ic / c.groups));
    const auto bias = values(rng, static_cast<size_t>(c.g.oc));
    std::vector<float> packed(v.packed_floats(c.g, c.groups) + 1, 1.5f);
    v.pack(c.g, c.groups, w.data(), packed.data());
    ASSERT_EQ(packed.back(), 1.5f) << "pack wrote past packed_floats()";
    const auto want = run(c, conv2d_reference, src, w.data(), bias, {0, c.g.out_rows()});
    const auto got = run(c, v.run, src, packed.data(), bias, ::bnnkit::testing::three_slices(c.g.out_rows()));
    ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0);
  }
}

// The runtime runs a Dense layer as a 1x1 conv over n images of 1 x 1 pixel: the conv's spec must give
// exactly the dense spec's floats (same products, same summation order, bias last).
TEST(Conv2dAsDense, OneByOneConvEqualsDenseReference) {
  auto rng = ::bnnkit::testing::make_rng(0xD5E);
  struct Shape {
    int n, ic, oc;
    bool bias;
  };
  for (const Shape& d : {Shape{1, 2048, 1000, true}, Shape{3, 1000, 17, false}, Shape{2, 1, 5, true},
                         Shape{4, 64, 10, true}}) {
    SCOPED_TRACE("n " + std::to_string(d.n) + " ic " + std::to_string(d.ic) + " oc " + std::to_string(d.oc));
    const auto src = values(rng, static_cast<size_t>(d.n) * d.ic);
    const auto w = values(rng, static_cast<size_t>(d.oc) * d.ic);
    const auto bias = values(rng, static_cast<size_t>(d.oc));
    std::vector<float> want(static_cast<size_t>(d.n) * d.oc), got(want.size());
    dense_reference(
        DenseArgs{d.n, d.ic, d.oc, src.data(), w.data(), d.bias ? bias.data() : nullptr, want.data()}, 0,
        d.n);
    Conv2dArgs a;
    a.g = ConvGeometry{d.n, 1, 1, d.ic, d.oc, 1, 1, 1, 1, 0, 0};
    a.src = src.data();
    a.weights = w.data();
    a.bias = d.bias ? bias.data() : nullptr;
    a.dst = got.data();
    conv2d_reference(a, 0, a.g.out_rows());
    ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0);
  }
}

TEST(Conv2dVariantsList, ReferenceLastAndSelectable) {
  const auto list = conv2d_variants();
  EXPECT_STREQ(list.back().name, "reference");
  for (const Conv2dVariant& v : list) EXPECT_EQ(conv2d_find(v.name), &v);
  const ConvGeometry g{1, 8, 8, 16, 16, 3, 3, 1, 1, 1, 1};
  EXPECT_STREQ(conv2d_select(g, 1, Isa::kPortable).name, "reference");
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(conv2d_select(g, 1, Isa::kAvx512).name, "avx512_16");
  }
}

std::vector<const char*> names() {
  std::vector<const char*> n;
  for (const Conv2dVariant& v : conv2d_variants()) n.push_back(v.name);
  return n;
}

INSTANTIATE_TEST_SUITE_P(All, Conv2dVariants, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace bnnkit::kernels
