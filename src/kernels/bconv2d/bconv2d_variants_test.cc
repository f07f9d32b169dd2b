// Every bconv2d variant in bconv2d_variants() against bconv2d_reference, byte for byte: int32 outputs exact,
// float outputs bit-exact (the multiply-then-add of output_stage.h), packed bits exact including the zero
// tail bits. Shapes sweep the channel counts that hit word and vector tails, 1x1 / 3x3 (and a few odd
// windows), strides 1 and 2, spatial sizes 1 / odd / even, both padding modes and every output kind; every
// case runs in 3 row slices on a sentinel-filled buffer, so a variant that writes outside its rows or depends
// on the split fails. Variants the CPU cannot run are skipped with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/bconv2d/bconv2d.h"
#include "kernels/bconv2d/variant_impls.h"  // avx512_6x4_set_pixel_pairs
#include "kernels/bconv2d/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::light_sweep;
using ::bnnkit::testing::random_words;
using ::bnnkit::testing::three_slices;

constexpr unsigned char kSentinel = 0xA5;

struct Spatial {
  int n, ih, iw, kh, kw, sh, sw, ph, pw;
};

// 1x1 and 3x3 at strides 1 and 2 over sizes 1, odd and even, plus windows that stress the edge logic
// (2x2, 5x5 with padding 2, 3x1, mixed strides, and a window wider than the image); a strided 1x1 with rows
// longer than a pointwise tile (10 pixels).
constexpr Spatial kSpatial[] = {
    {2, 1, 1, 1, 1, 1, 1, 0, 0}, {1, 5, 7, 1, 1, 1, 1, 0, 0},  {2, 6, 8, 1, 1, 2, 2, 0, 0},
    {1, 7, 5, 1, 1, 2, 2, 0, 0}, {2, 1, 1, 3, 3, 1, 1, 1, 1},  {1, 5, 7, 3, 3, 1, 1, 1, 1},
    {2, 8, 9, 3, 3, 1, 1, 1, 1}, {1, 6, 8, 3, 3, 2, 2, 1, 1},  {2, 7, 7, 3, 3, 2, 2, 1, 1},
    {1, 6, 5, 3, 3, 1, 1, 0, 0}, {1, 7, 6, 3, 3, 2, 2, 0, 0},  {1, 2, 9, 3, 3, 1, 2, 1, 1},
    {1, 5, 6, 2, 2, 1, 1, 1, 1}, {1, 6, 5, 5, 5, 1, 1, 2, 2},  {1, 4, 5, 3, 1, 1, 1, 1, 0},
    {1, 3, 2, 3, 3, 1, 1, 2, 2}, {1, 3, 19, 1, 1, 1, 2, 0, 0},
};

struct Channels {
  int ic, oc;
};

// Every count of {1, 3, 63, 64, 65, 96, 127, 128, 129, 256} appears as ic and as oc.
constexpr Channels kChannels[] = {{1, 3},   {3, 65},    {63, 1},   {64, 64},   {65, 129},
                                  {96, 63}, {127, 128}, {128, 96}, {129, 127}, {256, 256}};

constexpr OutputKind kKinds[] = {OutputKind::kInt32, OutputKind::kFloat, OutputKind::kBits};
constexpr Padding kPaddings[] = {Padding::kZero, Padding::kOne};

// One problem with its data and output-stage parameters.
struct Problem {
  ConvGeometry g;
  Padding padding = Padding::kZero;
  OutputKind kind = OutputKind::kInt32;
  std::vector<Word> src, weights;
  std::vector<float> scale, bias;
  std::vector<int32_t> threshold;
  std::vector<uint8_t> flip;

  Problem(const ConvGeometry& geo, Padding p, OutputKind k, std::mt19937_64& rng)
      : g(geo), padding(p), kind(k) {
    src = random_words(rng, static_cast<size_t>(g.n) * g.ih * g.iw, g.ic);
    weights = random_words(rng, static_cast<size_t>(g.oc) * g.kh * g.kw, g.ic);
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    const int taps_bits = g.kh * g.kw * g.ic;
    for (int c = 0; c < g.oc; ++c) {
      scale.push_back(u(rng) * 0.37f);
      bias.push_back(u(rng) * 10.0f);
      // Thresholds near the middle of the range so both bit values occur, plus the constant-sign extremes.
      const auto r = rng() % 16;
      threshold.push_back(r == 0   ? std::numeric_limits<int32_t>::min()
                          : r == 1 ? std::numeric_limits<int32_t>::max()
                                   : static_cast<int32_t>(rng() % (2 * (taps_bits / 8 + 2) + 1)) -
                                         (taps_bits / 8 + 2));
      flip.push_back(static_cast<uint8_t>(rng() & 1));
    }
  }

  OutputStage stage() const {
    OutputStage s;
    s.kind = kind;
    s.scale = scale.data();
    s.bias = bias.data();
    s.threshold = threshold.data();
    s.flip = flip.data();
    return s;
  }
  size_t dst_bytes() const {
    return static_cast<size_t>(g.out_rows()) * g.ow() * output_pixel_bytes(kind, g.oc);
  }

  // Runs `run` over the row slices [cuts[i], cuts[i+1]) on a sentinel-filled buffer.
  std::vector<unsigned char> compute(void (*run)(const BConv2dArgs&, int, int), const Word* w,
                                     const std::vector<int>& cuts) const {
    std::vector<unsigned char> dst(dst_bytes(), kSentinel);
    BConv2dArgs a;
    a.g = g;
    a.padding = padding;
    a.src = src.data();
    a.weights = w;
    a.out = stage();
    a.dst = dst.data();
    for (size_t i = 0; i + 1 < cuts.size(); ++i) run(a, cuts[i], cuts[i + 1]);
    return dst;
  }
};

std::string describe(const ConvGeometry& g, Padding p, OutputKind k) {
  const char* kinds[] = {"int32", "float", "bits"};
  return "n" + std::to_string(g.n) + " " + std::to_string(g.ih) + "x" + std::to_string(g.iw) + "x" +
         std::to_string(g.ic) + "->" + std::to_string(g.oc) + " k" + std::to_string(g.kh) + "x" +
         std::to_string(g.kw) + " s" + std::to_string(g.sh) + "x" + std::to_string(g.sw) + " p" +
         std::to_string(g.ph) + "x" + std::to_string(g.pw) +
         (p == Padding::kZero ? " zero-pad " : " one-pad ") + kinds[static_cast<int>(k)];
}

// Index of the first differing byte, or -1.
long first_diff(const std::vector<unsigned char>& a, const std::vector<unsigned char>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return static_cast<long>(i);
  return a.size() == b.size() ? -1 : static_cast<long>(std::min(a.size(), b.size()));
}

class BConv2dVariants : public ::testing::TestWithParam<const char*> {
 protected:
  const BConv2dVariant& variant() {
    const BConv2dVariant* v = bconv2d_find(GetParam());
    EXPECT_NE(v, nullptr);
    return *v;
  }
  // Checks one problem: reference in one call vs the variant in 3 slices.
  void check(const Problem& p) {
    const BConv2dVariant& v = variant();
    const std::string what = describe(p.g, p.padding, p.kind);
    ASSERT_EQ(v.rejects(p.g, p.padding, p.kind), nullptr) << what;
    const auto want = p.compute(bconv2d_reference, p.weights.data(), {0, p.g.out_rows()});
    std::vector<Word> packed(v.packed_weight_words(p.g) + 1, ~Word{0});
    v.pack_weights(p.g, p.weights.data(), packed.data());
    ASSERT_EQ(packed.back(), ~Word{0}) << what << ": pack_weights wrote past packed_weight_words()";
    const auto got = p.compute(v.run, packed.data(), three_slices(p.g.out_rows()));
    const long d = first_diff(want, got);
    ASSERT_EQ(d, -1) << what << ": first difference at byte " << d << " (pixel "
                     << d / output_pixel_bytes(p.kind, p.g.oc) << ")";
  }
  void SetUp() override {
    const BConv2dVariant* v = bconv2d_find(GetParam());
    ASSERT_NE(v, nullptr);
    if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  }
};

TEST_P(BConv2dVariants, MatchesReferenceOnAllShapes) {
  auto rng = ::bnnkit::testing::make_rng(0xC0);
  const bool light = light_sweep();
  for (size_t si = 0; si < std::size(kSpatial); ++si) {
    const Spatial& s = kSpatial[si];
    for (size_t ci = 0; ci < std::size(kChannels); ++ci) {
      const Channels& ch = kChannels[ci];
      if (light && (si + ci) % 6 != 0) continue;
      ConvGeometry g{s.n, s.ih, s.iw, ch.ic, ch.oc, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw};
      // The widest channel pair only on a few geometries: it adds time, not new tails.
      if (ch.ic == 256 && s.ih * s.iw > 42) continue;
      for (const Padding p : kPaddings) {
        for (const OutputKind k : kKinds) {
          check(Problem(g, p, k, rng));
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

// Layer-sized problems: the interior tiles (6 pixels), their remainders and the channel groups all occur.
TEST_P(BConv2dVariants, MatchesReferenceOnLayerShapes) {
  auto rng = ::bnnkit::testing::make_rng(0xC1);
  const ConvGeometry shapes[] = {
      {1, 14, 14, 64, 64, 3, 3, 1, 1, 1, 1},
      {1, 15, 13, 128, 192, 3, 3, 2, 2, 1, 1},
      {1, 7, 7, 512, 80, 3, 3, 1, 1, 1, 1},
      {2, 9, 11, 96, 130, 1, 1, 1, 1, 0, 0},
      {1, 12, 12, 32, 48, 3, 3, 1, 1, 1, 1},
      // Strided 1x1 layers with short output rows, which avx512_6x4 gathers into pixel runs in chunks of 2048
      // words (682 and 512 pixels here): each of the 3 row slices spans more than one chunk, so chunks end
      // mid-row and mid-image.
      {3, 190, 21, 129, 65, 1, 1, 2, 2, 0, 0},
      {2, 300, 14, 200, 70, 1, 1, 2, 2, 0, 0},
  };
  for (const ConvGeometry& g : shapes) {
    if (light_sweep() && &g != &shapes[0]) break;
    for (const Padding p : kPaddings) {
      for (const OutputKind k : kKinds) {
        check(Problem(g, p, k, rng));
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Float output with scales at the edges of the float range: products that overflow (2^127, -FLT_MAX),
// subnormals, infinities and NaN must round, overflow and propagate exactly as the reference's multiply then
// add, including the outputs with D = 0 (0 * inf = NaN). 1x1 layers with ic = 64 and 128 are where avx512_6x4
// forms float(D) * scale as float(D / 2) * (2 * scale); 3x3 runs the general tile.
TEST_P(BConv2dVariants, FloatOutputAtTheEdgesOfTheRange) {
  auto rng = ::bnnkit::testing::make_rng(0xC4);
  const float extremes[] = {0x1p127f,
                            -std::numeric_limits<float>::max(),
                            0x1p126f,
                            0x1p125f,
                            std::numeric_limits<float>::denorm_min(),
                            -0x1p-140f,
                            std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(),
                            0.0f,
                            -1.0f};
  for (const ConvGeometry& g :
       {ConvGeometry{1, 6, 7, 64, 80, 1, 1, 1, 1, 0, 0}, ConvGeometry{1, 9, 9, 128, 40, 1, 1, 2, 2, 0, 0},
        ConvGeometry{1, 5, 6, 64, 20, 3, 3, 1, 1, 1, 1}}) {
    // Every extreme on some channels; the layers without any |scale| >= 2^126 take the other branch.
    for (const bool huge : {true, false}) {
      Problem p(g, Padding::kZero, OutputKind::kFloat, rng);
      for (int c = 0; c < g.oc; c += 3) {
        const float e = extremes[(c / 3) % std::size(extremes)];
        p.scale[c] = huge || std::fabs(e) < 0x1p126f ? e : 1.0f;
      }
      check(p);
      if (HasFatalFailure()) return;
    }
  }
}

// Layers with ic <= 16 and stride 1, with avx512_6x4's pixel pairs (on CPUs with BITALG: interior pixels two
// per 16-bit lane pair) and without them (the one-pixel tile, which also runs the edge pixels): odd and even
// interiors, several channel groups, every output kind and padding.
TEST_P(BConv2dVariants, SmallChannelsWithAndWithoutPixelPairs) {
  auto rng = ::bnnkit::testing::make_rng(0xC5);
  const ConvGeometry shapes[] = {{1, 28, 28, 16, 16, 3, 3, 1, 1, 1, 1}, {2, 7, 12, 5, 33, 3, 3, 1, 1, 1, 1},
                                 {1, 6, 11, 16, 80, 3, 3, 1, 1, 0, 0},  {1, 5, 9, 9, 20, 5, 5, 1, 1, 2, 2},
                                 {1, 4, 9, 16, 16, 1, 1, 1, 1, 0, 0},   {1, 6, 7, 16, 16, 3, 3, 2, 1, 1, 1}};
  bconv2d_detail::with_pixel_pairs_on_and_off([&](bool pairs) {
    SCOPED_TRACE(pairs ? "pixel pairs on" : "pixel pairs off");
    for (const ConvGeometry& g : shapes) {
      for (const Padding p : kPaddings) {
        for (const OutputKind k : kKinds) {
          check(Problem(g, p, k, rng));
          if (HasFatalFailure()) return;
        }
      }
    }
  });
}

// A slice writes its rows and nothing else: the rows outside stay at the sentinel.
TEST_P(BConv2dVariants, WritesOnlyItsRows) {
  auto rng = ::bnnkit::testing::make_rng(0xC2);
  const BConv2dVariant& v = variant();
  for (const OutputKind k : kKinds) {
    const Problem p(ConvGeometry{2, 6, 7, 65, 70, 3, 3, 1, 1, 1, 1}, Padding::kZero, k, rng);
    std::vector<Word> packed(v.packed_weight_words(p.g));
    v.pack_weights(p.g, p.weights.data(), packed.data());
    const auto full = p.compute(bconv2d_reference, p.weights.data(), {0, p.g.out_rows()});
    const auto part = p.compute(v.run, packed.data(), {3, 8});
    const size_t row_bytes = static_cast<size_t>(p.g.ow()) * output_pixel_bytes(k, p.g.oc);
    for (size_t i = 0; i < part.size(); ++i) {
      const size_t row = i / row_bytes;
      if (row >= 3 && row < 8) {
        ASSERT_EQ(part[i], full[i]) << "row " << row;
      } else {
        ASSERT_EQ(part[i], kSentinel) << "row " << row << " is outside the slice [3, 8)";
      }
    }
  }
}

// The outputs the sweep compares are not degenerate: both bit values and many distinct floats occur.
TEST(BConv2dVariantsData, OutputsAreNotDegenerate) {
  auto rng = ::bnnkit::testing::make_rng(0xC3);
  const ConvGeometry g{1, 8, 8, 64, 64, 3, 3, 1, 1, 1, 1};
  const Problem bits(g, Padding::kZero, OutputKind::kBits, rng);
  const auto b = bits.compute(bconv2d_reference, bits.weights.data(), {0, g.out_rows()});
  size_t ones = 0;
  for (const unsigned char c : b) ones += static_cast<size_t>(std::popcount(c));
  EXPECT_GT(ones, b.size() * 8 / 10);
  EXPECT_LT(ones, b.size() * 8 * 9 / 10);
  const Problem fl(g, Padding::kOne, OutputKind::kFloat, rng);
  const auto f = fl.compute(bconv2d_reference, fl.weights.data(), {0, g.out_rows()});
  std::vector<float> vals(f.size() / 4);
  std::memcpy(vals.data(), f.data(), f.size());
  std::sort(vals.begin(), vals.end());
  EXPECT_GT(std::unique(vals.begin(), vals.end()) - vals.begin(), 200);
}

TEST(BConv2dVariantsList, ReferenceLastAndSelectable) {
  const auto list = bconv2d_variants();
  ASSERT_FALSE(list.empty());
  EXPECT_STREQ(list.back().name, "reference");
  for (const BConv2dVariant& v : list) EXPECT_EQ(bconv2d_find(v.name), &v);
  EXPECT_EQ(bconv2d_find("no_such_variant"), nullptr);
  const ConvGeometry g{1, 8, 8, 64, 64, 3, 3, 1, 1, 1, 1};
  EXPECT_STREQ(bconv2d_select(g, Padding::kZero, OutputKind::kBits, Isa::kPortable).name, "portable_2x4");
  const BConv2dVariant& best = bconv2d_select(g, Padding::kZero, OutputKind::kBits, Isa::kAvx512);
  EXPECT_TRUE(cpu_supports(best.isa));
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(best.name, "avx512_6x4");
  }
  // A problem too deep for the int32 headroom of the direct variants falls back to the reference.
  const ConvGeometry deep{1, 1, 1, 1 << 25, 1, 3, 3, 1, 1, 1, 1};
  EXPECT_STREQ(bconv2d_select(deep, Padding::kZero, OutputKind::kInt32, Isa::kAvx512).name, "reference");
}

std::vector<const char*> variant_names() {
  std::vector<const char*> names;
  for (const BConv2dVariant& v : bconv2d_variants()) names.push_back(v.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(All, BConv2dVariants, ::testing::ValuesIn(variant_names()),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace bnnkit::kernels
