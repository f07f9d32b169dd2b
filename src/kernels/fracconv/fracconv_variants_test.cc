// Every fracconv2d variant in fracconv2d_variants() against fracconv2d_reference, byte for byte, with the
// open-gate count equal too. Gate thresholds are set per channel at quantiles of the channel's actual D_msb
// values (computed with bconv2d_reference), so masks are mixed at chosen densities and thresholds tie with
// real accumulators; plus all-open (INT32_MIN), all-closed (INT32_MAX), rare, one-channel and far-off
// thresholds (see Gates). Each problem runs with the LSB pass forced sparse, forced dense and automatic (the
// default), in 3 row slices with a counter each on a sentinel-filled buffer. Variants the CPU cannot run are
// skipped with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/bconv2d/bconv2d.h"
#include "kernels/bconv2d/variant_impls.h"  // avx512_6x4_set_pixel_pairs
#include "kernels/fracconv/fracconv.h"
#include "kernels/fracconv/variants.h"
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
constexpr Spatial kSpatial[] = {
    {2, 1, 1, 1, 1, 1, 1, 0, 0}, {1, 5, 7, 1, 1, 1, 1, 0, 0}, {2, 6, 8, 1, 1, 2, 2, 0, 0},
    {2, 1, 1, 3, 3, 1, 1, 1, 1}, {1, 5, 7, 3, 3, 1, 1, 1, 1}, {2, 8, 9, 3, 3, 1, 1, 1, 1},
    {1, 6, 8, 3, 3, 2, 2, 1, 1}, {2, 7, 7, 3, 3, 2, 2, 1, 1}, {1, 6, 5, 3, 3, 1, 1, 0, 0},
    {1, 2, 9, 3, 3, 1, 2, 1, 1}, {1, 6, 5, 5, 5, 1, 1, 2, 2}, {1, 3, 2, 3, 3, 1, 1, 2, 2},
};
struct Channels {
  int ic, oc;
};
constexpr Channels kChannels[] = {{1, 3},   {3, 65},    {63, 1},    {64, 64}, {65, 129},
                                  {96, 63}, {127, 128}, {129, 127}, {256, 40}};
constexpr OutputKind kKinds[] = {OutputKind::kInt32, OutputKind::kFloat, OutputKind::kBits};
constexpr Padding kPaddings[] = {Padding::kZero, Padding::kOne};
constexpr LsbPass kPaths[] = {LsbPass::kSparse, LsbPass::kDense, LsbPass::kAuto};

// kRare: ~0.5 % open (many rows and tiles with no open gate at all, next to rows with a few); kOneChannel:
// one channel always open, the others never (exactly one open channel per pixel, in the last, partial
// vector where oc % 16 != 0); kFar: thresholds beyond any D (+-2^30, +-(2^29 + 1)) mixed with real quantiles.
enum class Gates { kMixed, kSparse, kAllOpen, kAllClosed, kRare, kOneChannel, kFar };

struct Problem {
  ConvGeometry g;
  Padding padding;
  OutputKind kind;
  std::vector<Word> msb, lsb, weights;
  std::vector<int32_t> gate;
  std::vector<float> scale, bias;
  std::vector<int32_t> threshold;
  std::vector<uint8_t> flip;

  Problem(const ConvGeometry& geo, Padding p, OutputKind k, Gates gates, std::mt19937_64& rng)
      : g(geo), padding(p), kind(k) {
    const size_t pixels = static_cast<size_t>(g.n) * g.ih * g.iw;
    msb = random_words(rng, pixels, g.ic);
    lsb = random_words(rng, pixels, g.ic);
    weights = random_words(rng, static_cast<size_t>(g.oc) * g.kh * g.kw, g.ic);
    // D_msb of every output, to place the gate thresholds at quantiles of the real values.
    const size_t outs = static_cast<size_t>(g.out_rows()) * g.ow();
    std::vector<int32_t> d(outs * g.oc);
    BConv2dArgs b;
    b.g = g;
    b.padding = p;
    b.src = msb.data();
    b.weights = weights.data();
    b.dst = d.data();
    bconv2d_reference(b, 0, g.out_rows());
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    for (int o = 0; o < g.oc; ++o) {
      std::vector<int32_t> col(outs);
      for (size_t i = 0; i < outs; ++i) col[i] = d[i * g.oc + o];
      std::sort(col.begin(), col.end());
      const double q = gates == Gates::kSparse ? 0.9 : gates == Gates::kRare ? 0.995 : u01(rng);
      switch (gates) {
        case Gates::kOneChannel:
          gate.push_back(o == g.oc - 1 ? std::numeric_limits<int32_t>::min()
                                       : std::numeric_limits<int32_t>::max());
          break;
        case Gates::kFar: {
          constexpr int32_t kFar[] = {1 << 30, -(1 << 30), (1 << 29) + 1, -(1 << 29) - 1};
          gate.push_back(o % 3 == 0
                             ? col[std::min(outs - 1, static_cast<size_t>(q * static_cast<double>(outs)))]
                             : kFar[rng() % 4]);
          break;
        }
        case Gates::kAllOpen:
          gate.push_back(std::numeric_limits<int32_t>::min());
          break;
        case Gates::kAllClosed:
          gate.push_back(std::numeric_limits<int32_t>::max());
          break;
        default:
          gate.push_back(col[std::min(outs - 1, static_cast<size_t>(q * static_cast<double>(outs)))]);
      }
    }
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    const int bits = g.kh * g.kw * g.ic * 3;
    for (int c = 0; c < g.oc; ++c) {
      scale.push_back(u(rng) * 0.37f);
      bias.push_back(u(rng) * 10.0f);
      threshold.push_back(static_cast<int32_t>(rng() % (2 * (bits / 8 + 2) + 1)) - (bits / 8 + 2));
      flip.push_back(static_cast<uint8_t>(rng() & 1));
    }
  }

  size_t dst_bytes() const {
    return static_cast<size_t>(g.out_rows()) * g.ow() * output_pixel_bytes(kind, g.oc);
  }

  // Runs `run` over the row slices [cuts[i], cuts[i+1]) with a counter each; returns output and open count.
  std::pair<std::vector<unsigned char>, int64_t> compute(void (*run)(const FracConv2dArgs&, int, int),
                                                         const Word* w, const std::vector<int>& cuts,
                                                         LsbPass pass) const {
    std::vector<unsigned char> dst(dst_bytes(), kSentinel);
    FracConv2dArgs a;
    a.g = g;
    a.padding = padding;
    a.src_msb = msb.data();
    a.src_lsb = lsb.data();
    a.weights = w;
    a.gate_threshold = gate.data();
    a.out.kind = kind;
    a.out.scale = scale.data();
    a.out.bias = bias.data();
    a.out.threshold = threshold.data();
    a.out.flip = flip.data();
    a.dst = dst.data();
    a.lsb_pass = pass;
    int64_t total = 0;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      int64_t count = 0;
      a.open_count = &count;
      run(a, cuts[i], cuts[i + 1]);
      total += count;
    }
    return {dst, total};
  }
};

std::string describe(const ConvGeometry& g, Padding p, OutputKind k, LsbPass path) {
  const char* kinds[] = {"int32", "float", "bits"};
  return "n" + std::to_string(g.n) + " " + std::to_string(g.ih) + "x" + std::to_string(g.iw) + "x" +
         std::to_string(g.ic) + "->" + std::to_string(g.oc) + " k" + std::to_string(g.kh) + "x" +
         std::to_string(g.kw) + " s" + std::to_string(g.sh) + "x" + std::to_string(g.sw) + " p" +
         std::to_string(g.ph) + (p == Padding::kZero ? " zero-pad " : " one-pad ") +
         kinds[static_cast<int>(k)] + " lsb_pass=" + std::to_string(static_cast<int>(path));
}

class FracConv2dVariants : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const FracConv2dVariant* v = fracconv2d_find(GetParam());
    ASSERT_NE(v, nullptr);
    if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  }
  const FracConv2dVariant& variant() const { return *fracconv2d_find(GetParam()); }

  void check(const Problem& p) {
    const FracConv2dVariant& v = variant();
    ASSERT_EQ(v.rejects(p.g, p.padding, p.kind), nullptr) << describe(p.g, p.padding, p.kind, LsbPass::kAuto);
    const auto want = p.compute(fracconv2d_reference, p.weights.data(), {0, p.g.out_rows()}, LsbPass::kAuto);
    std::vector<Word> packed(v.packed_weight_words(p.g) + 1, ~Word{0});
    v.pack_weights(p.g, p.weights.data(), packed.data());
    ASSERT_EQ(packed.back(), ~Word{0}) << v.name << ": pack_weights wrote past packed_weight_words()";
    for (const LsbPass path : kPaths) {
      const std::string what = describe(p.g, p.padding, p.kind, path);
      const auto got = p.compute(v.run, packed.data(), three_slices(p.g.out_rows()), path);
      ASSERT_EQ(got.second, want.second) << what << ": open-gate count";
      const auto diff = std::mismatch(want.first.begin(), want.first.end(), got.first.begin());
      const long at =
          diff.first == want.first.end() ? -1 : static_cast<long>(diff.first - want.first.begin());
      ASSERT_EQ(at, -1) << what << ": first difference at byte " << at << " (pixel "
                        << at / output_pixel_bytes(p.kind, p.g.oc) << ")";
    }
  }
};

TEST_P(FracConv2dVariants, MatchesReferenceOnAllShapes) {
  auto rng = ::bnnkit::testing::make_rng(0xF0);
  const bool light = light_sweep();
  size_t i = 0;
  for (const Spatial& s : kSpatial) {
    for (const Channels& ch : kChannels) {
      if (light && ++i % 6 != 0) continue;
      const ConvGeometry g{s.n, s.ih, s.iw, ch.ic, ch.oc, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw};
      for (const Padding p : kPaddings) {
        for (const OutputKind k : kKinds) {
          check(Problem(g, p, k, Gates::kMixed, rng));
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

TEST_P(FracConv2dVariants, MatchesReferenceForEveryGateMode) {
  auto rng = ::bnnkit::testing::make_rng(0xF1);
  const ConvGeometry shapes[] = {
      {1, 14, 14, 64, 64, 3, 3, 1, 1, 1, 1},   {1, 15, 13, 128, 192, 3, 3, 2, 2, 1, 1},
      {2, 9, 11, 96, 130, 1, 1, 1, 1, 0, 0},   {1, 7, 7, 512, 80, 3, 3, 1, 1, 1, 1},
      {1, 28, 28, 128, 128, 3, 3, 1, 1, 1, 1}, {2, 5, 9, 64, 65, 3, 3, 1, 1, 1, 1},
      {1, 3, 60, 64, 192, 3, 3, 1, 1, 1, 1},  // rows wider than a segment (one row per MSB pass)
  };
  for (const ConvGeometry& g : shapes) {
    if (light_sweep() && &g != &shapes[0]) break;
    for (const Gates gates : {Gates::kMixed, Gates::kSparse, Gates::kAllOpen, Gates::kAllClosed, Gates::kRare,
                              Gates::kOneChannel, Gates::kFar}) {
      for (const Padding p : kPaddings) {
        check(Problem(g, p, OutputKind::kFloat, gates, rng));
        if (HasFatalFailure()) return;
      }
      check(Problem(g, Padding::kZero, OutputKind::kBits, gates, rng));
      if (HasFatalFailure()) return;
    }
  }
}

// Layers with ic <= 16 (the ResNet-20 first stage: 16 channels) in every gate mode, with avx512_6x4's pixel
// pairs (on CPUs with BITALG) and without them (the one-pixel tile they fall back to).
TEST_P(FracConv2dVariants, SmallChannelsWithAndWithoutPixelPairs) {
  auto rng = ::bnnkit::testing::make_rng(0xF3);
  const ConvGeometry shapes[] = {{1, 28, 28, 16, 16, 3, 3, 1, 1, 1, 1},
                                 {2, 7, 12, 5, 33, 3, 3, 1, 1, 1, 1},
                                 {1, 6, 11, 16, 24, 3, 3, 1, 1, 0, 0},
                                 {1, 4, 9, 16, 16, 1, 1, 1, 1, 0, 0}};
  bconv2d_detail::with_pixel_pairs_on_and_off([&](bool pairs) {
    SCOPED_TRACE(pairs ? "pixel pairs on" : "pixel pairs off");
    for (const ConvGeometry& g : shapes) {
      for (const Gates gates : {Gates::kMixed, Gates::kSparse, Gates::kAllOpen, Gates::kAllClosed}) {
        for (const Padding p : kPaddings) {
          check(Problem(g, p, OutputKind::kFloat, gates, rng));
          if (HasFatalFailure()) return;
        }
        check(Problem(g, Padding::kZero, OutputKind::kBits, gates, rng));
        if (HasFatalFailure()) return;
      }
    }
  });
}

// The open-gate counts follow the thresholds: all-closed counts 0, all-open every output.
TEST(FracConv2dVariantsData, GateModesGiveTheirDensities) {
  auto rng = ::bnnkit::testing::make_rng(0xF2);
  const ConvGeometry g{1, 8, 8, 64, 64, 3, 3, 1, 1, 1, 1};
  const int64_t outputs = static_cast<int64_t>(g.out_rows()) * g.ow() * g.oc;
  const auto count = [&](Gates gates) {
    const Problem p(g, Padding::kZero, OutputKind::kInt32, gates, rng);
    return p.compute(fracconv2d_reference, p.weights.data(), {0, g.out_rows()}, LsbPass::kAuto).second;
  };
  EXPECT_EQ(count(Gates::kAllClosed), 0);
  EXPECT_EQ(count(Gates::kAllOpen), outputs);
  const int64_t sparse = count(Gates::kSparse);
  EXPECT_GT(sparse, outputs / 40);
  EXPECT_LT(sparse, outputs / 4);
  const int64_t pixels = static_cast<int64_t>(g.out_rows()) * g.ow();
  EXPECT_EQ(count(Gates::kOneChannel), pixels);
  EXPECT_LT(count(Gates::kRare), outputs / 50);
}

TEST(FracConv2dVariantsList, ReferenceLastAndSelectable) {
  const auto list = fracconv2d_variants();
  ASSERT_FALSE(list.empty());
  EXPECT_STREQ(list.back().name, "reference");
  for (const FracConv2dVariant& v : list) EXPECT_EQ(fracconv2d_find(v.name), &v);
  EXPECT_EQ(fracconv2d_find("no_such_variant"), nullptr);
  const ConvGeometry g{1, 8, 8, 64, 64, 3, 3, 1, 1, 1, 1};
  EXPECT_STREQ(fracconv2d_select(g, Padding::kZero, OutputKind::kFloat, Isa::kPortable).name,
               "portable_gated");
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(fracconv2d_select(g, Padding::kZero, OutputKind::kFloat, Isa::kAvx512).name, "avx512_gated");
  }
  // Wider than the gated variants' scratch: the reference takes it.
  const ConvGeometry wide{1, 2, 2, 64, 9000, 1, 1, 1, 1, 0, 0};
  EXPECT_STREQ(fracconv2d_select(wide, Padding::kZero, OutputKind::kFloat, Isa::kAvx512).name, "reference");
  EXPECT_STREQ(list.front().rejects(wide, Padding::kZero, OutputKind::kFloat), "needs oc <= 8192");
}

std::vector<const char*> variant_names() {
  std::vector<const char*> names;
  for (const FracConv2dVariant& v : fracconv2d_variants()) names.push_back(v.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(All, FracConv2dVariants, ::testing::ValuesIn(variant_names()),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace bnnkit::kernels
