// Tests of fracconv2d_reference against plain float math written independently here. Activations are random
// 2-bit codes q in {0..3}, i.e. values v = (2q - 3) / 3 in {-1, -1/3, +1/3, +1}, held as the two planes
// p_msb = +1 iff q >= 2 and p_lsb = +1 iff q is odd. The test pads explicitly (0 for kZero, +1 for kOne, in
// every plane and so in v) and computes, per output:
//   D_msb = float conv of the p_msb plane                       (exact integer in float)
//   gate  = D_msb > gate_threshold[o]
//   y     = open ? (double conv of the values v) : (2/3) * D_msb  (FracBNN: (2/3) D_msb + gate (1/3) D_lsb)
// and expects the accumulator 3 * y (an integer up to rounding of 1/3 in double, checked to 1e-6) through the
// output stage: int32 exactly, float as float(acc) * scale + bias in that order, bits as the sign of
// (3y - threshold) negated where flip is set, with zero tail bits. open_count must count the open gates.
// Every case is also computed in row slices, each with its own counter.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/bitpack/bitpack.h"
#include "kernels/fracconv/fracconv.h"
#include "kernels/fracconv/gated.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::make_rng;
using ::bnnkit::testing::pack_pm1;
using ::bnnkit::testing::random_pm1;

constexpr unsigned char kSentinel = 0x5A;
constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();

struct Geometry {
  const char* name;
  int n, ih, iw, kh, kw, sh, sw, ph, pw;
};
void PrintTo(const Geometry& geo, std::ostream* os) {
  *os << geo.name;
}

// Spatial sizes 1, odd and even; kernels 1x1, 2x2, 3x3 and 5x5; strides 1 and 2; padding 0, 1 and 2.
constexpr Geometry kGeometries[] = {
    {"n3_1x1_k1", 3, 1, 1, 1, 1, 1, 1, 0, 0},     {"n2_1x1_k3p1", 2, 1, 1, 3, 3, 1, 1, 1, 1},
    {"n2_5x7_k3s1p1", 2, 5, 7, 3, 3, 1, 1, 1, 1}, {"n2_6x4_k3s2p1", 2, 6, 4, 3, 3, 2, 2, 1, 1},
    {"n1_7x6_k3s2p0", 1, 7, 6, 3, 3, 2, 2, 0, 0}, {"n2_3x3_k2s1p1", 2, 3, 3, 2, 2, 1, 1, 1, 1},
    {"n1_6x5_k5s1p2", 1, 6, 5, 5, 5, 1, 1, 2, 2}, {"n2_8x8_k1s2p0", 2, 8, 8, 1, 1, 2, 2, 0, 0},
};

// (ic, oc) pairs: every count of {1, 3, 63, 64, 65, 96, 127, 128, 129} appears as ic and as oc.
constexpr std::pair<int, int> kChannels[] = {{1, 3},   {3, 65},    {63, 1},   {64, 64},  {65, 129},
                                             {96, 63}, {127, 128}, {128, 96}, {129, 127}};

enum class Gates { kMixed, kAllOpen, kAllClosed };
struct Mode {
  Gates gates;
  OutputKind kind;
};
void PrintTo(const Mode& m, std::ostream* os) {
  *os << int(m.gates) << "/" << int(m.kind);
}
constexpr Mode kModes[] = {{Gates::kMixed, OutputKind::kInt32},
                           {Gates::kMixed, OutputKind::kFloat},
                           {Gates::kMixed, OutputKind::kBits},
                           {Gates::kAllOpen, OutputKind::kInt32},
                           {Gates::kAllClosed, OutputKind::kInt32}};

const char* gates_name(Gates g) {
  return g == Gates::kMixed ? "mixed" : (g == Gates::kAllOpen ? "allopen" : "allclosed");
}
const char* kind_name(OutputKind k) {
  return k == OutputKind::kInt32 ? "int32" : (k == OutputKind::kFloat ? "float" : "bits");
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (const char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

// Plain convolution in T over an explicitly padded copy of x ([n][ih][iw][ic]); w is [oc][kh][kw][ic].
template <typename T>
std::vector<T> plain_conv(const std::vector<T>& x, const std::vector<float>& w, const ConvGeometry& g,
                          T pad_value) {
  const int hp = g.ih + 2 * g.ph, wp = g.iw + 2 * g.pw;
  std::vector<T> xp(static_cast<size_t>(g.n) * hp * wp * g.ic, pad_value);
  for (int b = 0; b < g.n; ++b)
    for (int y = 0; y < g.ih; ++y)
      for (int xx = 0; xx < g.iw; ++xx)
        for (int c = 0; c < g.ic; ++c)
          xp[((static_cast<size_t>(b) * hp + y + g.ph) * wp + xx + g.pw) * g.ic + c] =
              x[((static_cast<size_t>(b) * g.ih + y) * g.iw + xx) * g.ic + c];
  const int oh = (hp - g.kh) / g.sh + 1, ow = (wp - g.kw) / g.sw + 1;
  std::vector<T> y(static_cast<size_t>(g.n) * oh * ow * g.oc);
  for (int b = 0; b < g.n; ++b)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < g.oc; ++o) {
          T s = 0;
          for (int i = 0; i < g.kh; ++i)
            for (int j = 0; j < g.kw; ++j)
              for (int c = 0; c < g.ic; ++c)
                s += xp[((static_cast<size_t>(b) * hp + oy * g.sh + i) * wp + ox * g.sw + j) * g.ic + c] *
                     static_cast<T>(w[((static_cast<size_t>(o) * g.kh + i) * g.kw + j) * g.ic + c]);
          y[((static_cast<size_t>(b) * oh + oy) * ow + ox) * g.oc + o] = s;
        }
  return y;
}

// A value of channel o in v ([pixels][oc]) other than the smallest one (the largest if `above_min` is false),
// so that a threshold at it splits the channel and produces exact ties.
template <typename T>
int32_t splitting_value(std::mt19937_64& rng, const std::vector<T>& v, size_t pixels, int oc, int o,
                        bool above_min) {
  std::set<int32_t> values;
  for (size_t px = 0; px < pixels; ++px) values.insert(static_cast<int32_t>(v[px * oc + o]));
  if (values.size() < 2) return *values.begin();
  auto it = values.begin();
  std::advance(it, (above_min ? 1 : 0) + rng() % (values.size() - 1));
  return *it;
}

struct StageParams {
  std::vector<float> scale, bias;
  std::vector<int32_t> threshold;
  std::vector<uint8_t> flip;
  OutputStage stage(OutputKind kind) const {
    return OutputStage{kind, scale.data(), bias.data(), threshold.data(), flip.data()};
  }
};

// Checks dst against the expected accumulators acc ([pixels][oc]) through the stage p.
void expect_outputs(const std::vector<int32_t>& acc, size_t pixels, int oc, const StageParams& p,
                    OutputKind kind, const void* dst) {
  size_t bad = 0;
  std::set<float> distinct;
  for (size_t px = 0; px < pixels; ++px) {
    for (int o = 0; o < oc; ++o) {
      const int32_t v = acc[px * oc + o];
      if (kind == OutputKind::kInt32) {
        const int32_t got = static_cast<const int32_t*>(dst)[px * oc + o];
        distinct.insert(static_cast<float>(v));
        if (got != v && bad++ < 5)
          ADD_FAILURE() << "int32 pixel " << px << " oc " << o << ": got " << got << ", want " << v;
      } else if (kind == OutputKind::kFloat) {
        const float want = static_cast<float>(v) * p.scale[o] + p.bias[o];
        const float got = static_cast<const float*>(dst)[px * oc + o];
        distinct.insert(want);
        if (std::memcmp(&got, &want, sizeof got) != 0 && bad++ < 5)
          ADD_FAILURE() << "float pixel " << px << " oc " << o << ": got " << got << ", want " << want;
      } else {
        const double diff = static_cast<double>(v) - static_cast<double>(p.threshold[o]);
        const bool plus = (diff >= 0.0) != (p.flip[o] != 0);
        const bool got = get_bit(static_cast<const Word*>(dst) + px * words_for(oc), o);
        distinct.insert(plus ? 1.0f : -1.0f);
        if (got != !plus && bad++ < 5)
          ADD_FAILURE() << "bits pixel " << px << " oc " << o << ": got bit " << got << " for acc " << v
                        << " threshold " << p.threshold[o] << " flip " << int(p.flip[o]);
      }
    }
    if (kind == OutputKind::kBits && oc % kWordBits != 0) {
      const Word last = static_cast<const Word*>(dst)[px * words_for(oc) + words_for(oc) - 1];
      if ((last & ~tail_mask(oc)) != 0 && bad++ < 5) ADD_FAILURE() << "tail bits set in pixel " << px;
    }
  }
  EXPECT_EQ(bad, 0u);
  if (pixels * oc >= 16) {
    EXPECT_GE(distinct.size(), 2u) << "MISTRUSTED: every expected output is identical";
  }
}

using CaseParam = std::tuple<Geometry, std::pair<int, int>, Padding, Mode>;

std::string case_name(const CaseParam& c) {
  const auto& [geo, ch, pad, mode] = c;
  return std::string(geo.name) + "_ic" + std::to_string(ch.first) + "_oc" + std::to_string(ch.second) + "_" +
         (pad == Padding::kZero ? "zero" : "one") + "_" + gates_name(mode.gates) + "_" + kind_name(mode.kind);
}

class FracConv2dReference : public ::testing::TestWithParam<CaseParam> {};

TEST_P(FracConv2dReference, MatchesFloatValueConvAndSlices) {
  const auto& [geo, ch, pad, mode] = GetParam();
  auto rng = make_rng(fnv1a(case_name(GetParam())));
  ConvGeometry g;
  g.n = geo.n, g.ih = geo.ih, g.iw = geo.iw, g.ic = ch.first, g.oc = ch.second;
  g.kh = geo.kh, g.kw = geo.kw, g.sh = geo.sh, g.sw = geo.sw, g.ph = geo.ph, g.pw = geo.pw;
  const int oh = g.oh(), ow = g.ow();
  const size_t in_px = static_cast<size_t>(g.n) * g.ih * g.iw;
  const size_t out_px = static_cast<size_t>(g.n) * oh * ow;
  const int taps = g.kh * g.kw * g.ic;

  // Random codes -> planes and values.
  std::vector<float> msb(in_px * g.ic), lsb(in_px * g.ic);
  std::vector<double> val(in_px * g.ic);
  for (size_t i = 0; i < val.size(); ++i) {
    const int q = static_cast<int>(rng() % 4);
    msb[i] = q >= 2 ? 1.0f : -1.0f;
    lsb[i] = q % 2 == 1 ? 1.0f : -1.0f;
    val[i] = (2.0 * q - 3.0) / 3.0;
  }
  const auto w = random_pm1(rng, static_cast<size_t>(g.oc) * taps);
  const auto msb_b = pack_pm1(msb, in_px, g.ic), lsb_b = pack_pm1(lsb, in_px, g.ic);
  const auto wb = pack_pm1(w, static_cast<size_t>(g.oc) * g.kh * g.kw, g.ic);
  const bool one = pad == Padding::kOne;
  const auto d_msb = plain_conv<float>(msb, w, g, one ? 1.0f : 0.0f);
  const auto y_val = plain_conv<double>(val, w, g, one ? 1.0 : 0.0);

  std::vector<int32_t> gate(g.oc);
  for (int o = 0; o < g.oc; ++o) {
    switch (mode.gates) {
      case Gates::kMixed:
        gate[o] = o % 16 == 5 ? kMin32
                              : (o % 16 == 11 ? kMax32 : splitting_value(rng, d_msb, out_px, g.oc, o, false));
        break;
      case Gates::kAllOpen:  // the lowest possible D_msb is -taps
        gate[o] = o % 2 == 0 ? kMin32 : -taps - 1;
        break;
      case Gates::kAllClosed:  // the highest possible D_msb is taps
        gate[o] = o % 2 == 0 ? kMax32 : taps;
        break;
    }
  }

  std::vector<int32_t> acc(out_px * g.oc);
  std::vector<int64_t> opens_per_row(static_cast<size_t>(g.n) * oh, 0);
  for (size_t px = 0; px < out_px; ++px) {
    for (int o = 0; o < g.oc; ++o) {
      const size_t i = px * g.oc + o;
      const bool open = static_cast<double>(d_msb[i]) > static_cast<double>(gate[o]);
      const double y = open ? y_val[i] : (2.0 / 3.0) * d_msb[i];
      acc[i] = static_cast<int32_t>(std::lround(3.0 * y));
      ASSERT_NEAR(3.0 * y, acc[i], 1e-6) << "3y is not an integer at pixel " << px << " oc " << o;
      opens_per_row[px / ow] += open ? 1 : 0;
    }
  }
  int64_t total_open = 0;
  for (const int64_t c : opens_per_row) total_open += c;
  if (mode.gates == Gates::kAllOpen) {
    ASSERT_EQ(total_open, static_cast<int64_t>(out_px) * g.oc);
  }
  if (mode.gates == Gates::kAllClosed) {
    ASSERT_EQ(total_open, 0);
  }
  if (mode.gates == Gates::kMixed && out_px * g.oc >= 16) {
    EXPECT_GT(total_open, 0) << "MISTRUSTED: no gate opens";
    EXPECT_LT(total_open, static_cast<int64_t>(out_px) * g.oc) << "MISTRUSTED: every gate opens";
  }

  StageParams sp;
  std::uniform_real_distribution<float> scale(-2.0f, 2.0f), bias(-5.0f, 5.0f);
  for (int o = 0; o < g.oc; ++o) {
    sp.scale.push_back(scale(rng));
    sp.bias.push_back(bias(rng));
    sp.threshold.push_back(o % 16 == 7 ? kMin32 : splitting_value(rng, acc, out_px, g.oc, o, true));
    sp.flip.push_back(static_cast<uint8_t>(rng() & 1));
  }

  const int rows = g.n * oh;
  const size_t row_bytes = static_cast<size_t>(ow) * output_pixel_bytes(mode.kind, g.oc);
  std::vector<unsigned char> full(rows * row_bytes, kSentinel);
  int64_t count = 7;  // the kernel adds to it
  FracConv2dArgs a;
  a.g = g;
  a.padding = pad;
  a.src_msb = msb_b.data();
  a.src_lsb = lsb_b.data();
  a.weights = wb.data();
  a.gate_threshold = gate.data();
  a.out = sp.stage(mode.kind);
  a.dst = full.data();
  a.open_count = &count;
  fracconv2d_reference(a, 0, rows);
  expect_outputs(acc, out_px, g.oc, sp, mode.kind, full.data());
  EXPECT_EQ(count, 7 + total_open);

  // Slices: the middle one alone writes exactly its rows and counts its own gates; the others complete the
  // same bytes. A null counter is allowed.
  const int r1 = rows / 3, r2 = (2 * rows) / 3 + (rows > 1 ? 1 : 0);
  std::vector<unsigned char> sliced(rows * row_bytes, kSentinel);
  a.dst = sliced.data();
  int64_t mid_count = 0;
  a.open_count = &mid_count;
  fracconv2d_reference(a, r1, r2);
  int64_t mid_want = 0;
  for (int r = r1; r < r2; ++r) mid_want += opens_per_row[r];
  EXPECT_EQ(mid_count, mid_want);
  for (size_t i = 0; i < sliced.size(); ++i) {
    const bool inside = i >= r1 * row_bytes && i < r2 * row_bytes;
    if (!inside) {
      ASSERT_EQ(sliced[i], kSentinel) << "slice [" << r1 << ", " << r2 << ") wrote byte " << i;
    }
  }
  a.open_count = nullptr;
  fracconv2d_reference(a, 0, r1);
  fracconv2d_reference(a, r2, rows);
  EXPECT_TRUE(sliced == full) << "slices [0," << r1 << ") [" << r1 << "," << r2 << ") [" << r2 << "," << rows
                              << ") differ from one full call";
}

INSTANTIATE_TEST_SUITE_P(Sweep, FracConv2dReference,
                         ::testing::Combine(::testing::ValuesIn(kGeometries), ::testing::ValuesIn(kChannels),
                                            ::testing::Values(Padding::kZero, Padding::kOne),
                                            ::testing::ValuesIn(kModes)),
                         [](const ::testing::TestParamInfo<CaseParam>& info) {
                           return case_name(info.param);
                         });

// One pixel, one channel, weight +1, code q = 1 (value -1/3): D_msb = -1, D_lsb = +1. The gate is strict:
// threshold -1 keeps it closed (acc = 2 * -1 = -2, i.e. 3 * (2/3) * -1); threshold -2 opens it (acc = -2 + 1
// = -1, i.e. 3 * -1/3).
TEST(FracConv2dReferenceFixed, GateIsStrictCompare) {
  const Word msb = 1, lsb = 0, w = 0;
  FracConv2dArgs a;
  a.src_msb = &msb;
  a.src_lsb = &lsb;
  a.weights = &w;
  int32_t thr = -1, out = 99;
  int64_t count = 0;
  a.gate_threshold = &thr;
  a.dst = &out;
  a.open_count = &count;
  fracconv2d_reference(a, 0, 1);
  EXPECT_EQ(out, -2);
  EXPECT_EQ(count, 0);
  thr = -2;
  fracconv2d_reference(a, 0, 1);
  EXPECT_EQ(out, -1);
  EXPECT_EQ(count, 1);
}

// A 1x1 image of value -1 (q = 0, both planes -1) under an all-(+1) 3x3 kernel with padding 1. kZero: only
// the centre tap, acc = 3 * -1 = -3. kOne: 8 padded taps of value +1 in both planes, D_msb = D_lsb = 8 - 1 =
// 7, acc = 2 * 7 + 7 = 21 = 3 * (8 - 1).
TEST(FracConv2dReferenceFixed, PaddingModesOnOnePixel) {
  const Word msb = 1, lsb = 1;
  const std::vector<Word> w(9, 0);
  FracConv2dArgs a;
  a.g.kh = 3, a.g.kw = 3, a.g.ph = 1, a.g.pw = 1;
  a.src_msb = &msb;
  a.src_lsb = &lsb;
  a.weights = w.data();
  const int32_t thr = kMin32;
  int32_t out = 0;
  a.gate_threshold = &thr;
  a.dst = &out;
  a.padding = Padding::kZero;
  fracconv2d_reference(a, 0, 1);
  EXPECT_EQ(out, -3);
  a.padding = Padding::kOne;
  fracconv2d_reference(a, 0, 1);
  EXPECT_EQ(out, 21);
}

// End to end with the quantizer: float activations -> quant2bit_reference -> fracconv with every gate open
// must equal 3 x the float conv of the activations rounded to the nearest of {-1, -1/3, 1/3, 1} (inputs kept
// away from rounding ties, so "nearest" is unambiguous).
TEST(FracConv2dReferenceFixed, QuantizedFloatInputAllOpen) {
  auto rng = make_rng(77);
  ConvGeometry g;
  g.n = 2, g.ih = 5, g.iw = 4, g.ic = 70, g.oc = 9, g.kh = 3, g.kw = 3, g.ph = 1, g.pw = 1;
  const size_t in_px = static_cast<size_t>(g.n) * g.ih * g.iw;
  std::uniform_real_distribution<float> dist(-1.4f, 1.4f);
  std::vector<float> x(in_px * g.ic);
  std::vector<double> v(x.size());
  const double levels[4] = {-1.0, -1.0 / 3, 1.0 / 3, 1.0};
  for (size_t i = 0; i < x.size(); ++i) {
    for (;;) {
      x[i] = dist(rng);
      const double xc = std::fmin(std::fmax(x[i], -1.0), 1.0);
      int nearest = 0;
      for (int l = 1; l < 4; ++l) {
        if (std::fabs(xc - levels[l]) < std::fabs(xc - levels[nearest])) nearest = l;
      }
      v[i] = levels[nearest];
      bool near_tie = false;  // another level almost as close
      for (int l = 0; l < 4; ++l) {
        if (l != nearest && std::fabs(xc - levels[l]) - std::fabs(xc - v[i]) < 1e-4) near_tie = true;
      }
      if (!near_tie) break;
    }
  }
  std::vector<Word> msb(in_px * words_for(g.ic)), lsb(msb.size());
  quant2bit_reference(Quant2BitArgs{static_cast<int64_t>(in_px), g.ic, x.data(), msb.data(), lsb.data()}, 0,
                      static_cast<int64_t>(in_px));
  const auto w = random_pm1(rng, static_cast<size_t>(g.oc) * g.kh * g.kw * g.ic);
  const auto wb = pack_pm1(w, static_cast<size_t>(g.oc) * g.kh * g.kw, g.ic);
  const auto y = plain_conv<double>(v, w, g, 0.0);

  const std::vector<int32_t> gate(g.oc, kMin32);
  std::vector<int32_t> out(y.size());
  FracConv2dArgs a;
  a.g = g;
  a.src_msb = msb.data();
  a.src_lsb = lsb.data();
  a.weights = wb.data();
  a.gate_threshold = gate.data();
  a.dst = out.data();
  fracconv2d_reference(a, 0, g.out_rows());
  std::set<int32_t> distinct;
  for (size_t i = 0; i < y.size(); ++i) {
    ASSERT_EQ(out[i], std::lround(3.0 * y[i])) << "output " << i;
    distinct.insert(out[i]);
  }
  EXPECT_GT(distinct.size(), 10u);
}

}  // namespace
}  // namespace bnnkit::kernels

namespace bnnkit::kernels::fracconv_detail {
namespace {

TEST(FracConvCostModel, IpowMatchesPow) {
  for (const double x : {0.0, 0.5, 0.9, 0.989, 1.0})
    for (const int n : {0, 1, 2, 3, 16, 63, 128, 8191})
      EXPECT_NEAR(ipow(x, n), std::pow(x, n), 1e-12 * std::max(1.0, std::pow(x, n))) << x << "^" << n;
}

// The choices the sweep of bench/fracconv_bench.cc measured (3x3 28x28x128, one 28-pixel row, random gates):
// the next segment runs both planes in one tile from ~4 % with the direct sparse pass (at 1 % and 2 % the
// gated pass and the sparse LSB pass are cheaper), from ~1.5 % with the compacted one; after a gated MSB pass
// the dense LSB pass (a whole extra plane) is taken only where the sparse one costs more than that.
TEST(FracConvCostModel, ChoosesThePathTheSweepMeasured) {
  const int k = 18, oc = 128, n = 28;
  auto work = [&](double d) {
    return LsbWork{n, static_cast<int>(n * (1.0 - ipow(1.0 - d, oc))),
                   static_cast<int>(n * 8 * (1.0 - ipow(1.0 - d, 16))), static_cast<int>(n * oc * d)};
  };
  EXPECT_FALSE(prefer_two_plane(work(0.011), k, oc, true));
  EXPECT_FALSE(prefer_two_plane(work(0.022), k, oc, true));
  EXPECT_TRUE(prefer_two_plane(work(0.054), k, oc, true));
  EXPECT_TRUE(prefer_two_plane(work(0.40), k, oc, true));
  EXPECT_FALSE(prefer_two_plane(work(0.011), k, oc, false));
  EXPECT_TRUE(prefer_two_plane(work(0.022), k, oc, false));
  EXPECT_FALSE(use_dense(LsbPass::kAuto, work(0.054), k, oc, true));
  EXPECT_TRUE(use_dense(LsbPass::kAuto, work(0.40), k, oc, true));
  // Forced passes ignore the model.
  EXPECT_FALSE(use_dense(LsbPass::kSparse, work(0.40), k, oc, true));
  EXPECT_TRUE(use_dense(LsbPass::kDense, work(0.0), k, oc, true));
}

}  // namespace
}  // namespace bnnkit::kernels::fracconv_detail
