// Tests of bconv2d_reference against a plain float convolution of +-1 tensors, written independently here:
// the input is padded explicitly with 0 (Padding::kZero, as PyTorch pads a +-1 tensor) or +1 (Padding::kOne)
// and convolved over the padded image. Every sum of +-1 products is an exact integer in float, so the int32
// outputs must match exactly; kFloat must equal float(y) * scale + bias rounded in that order; kBits must
// equal the sign of (y - threshold), negated where flip is set, with zero tail bits. Each case is also
// computed in row slices and must match the full call byte for byte without touching rows outside the slice.
#include <gtest/gtest.h>

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

#include "kernels/bconv2d/bconv2d.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::make_rng;
using ::bnnkit::testing::pack_pm1;
using ::bnnkit::testing::random_pm1;

constexpr unsigned char kSentinel = 0xA5;

struct Geometry {
  const char* name;
  int n, ih, iw, kh, kw, sh, sw, ph, pw;
};

// Spatial sizes 1, odd and even; kernels 1x1, 2x2, 3x3, 3x1 and 5x5; strides 1 and 2; padding 0, 1 and 2.
constexpr Geometry kGeometries[] = {
    {"n3_1x1_k1", 3, 1, 1, 1, 1, 1, 1, 0, 0},       {"n2_1x1_k3p1", 2, 1, 1, 3, 3, 1, 1, 1, 1},
    {"n2_5x7_k3s1p1", 2, 5, 7, 3, 3, 1, 1, 1, 1},   {"n2_6x4_k3s2p1", 2, 6, 4, 3, 3, 2, 2, 1, 1},
    {"n1_7x6_k3s2p0", 1, 7, 6, 3, 3, 2, 2, 0, 0},   {"n2_8x8_k1s2p0", 2, 8, 8, 1, 1, 2, 2, 0, 0},
    {"n2_7x8_k2s2p0", 2, 7, 8, 2, 2, 2, 2, 0, 0},   {"n2_3x3_k2s1p1", 2, 3, 3, 2, 2, 1, 1, 1, 1},
    {"n1_6x5_k5s1p2", 1, 6, 5, 5, 5, 1, 1, 2, 2},   {"n2_4x5_k3x1s1p1x0", 2, 4, 5, 3, 1, 1, 1, 1, 0},
    {"n1_2x9_k3s1x2p1", 1, 2, 9, 3, 3, 1, 2, 1, 1},
};

// (ic, oc) pairs: every count of {1, 3, 63, 64, 65, 96, 127, 128, 129} appears as ic and as oc.
constexpr std::pair<int, int> kChannels[] = {{1, 3},   {3, 65},    {63, 1},   {64, 64},  {65, 129},
                                             {96, 63}, {127, 128}, {128, 96}, {129, 127}};

void PrintTo(const Geometry& geo, std::ostream* os) {
  *os << geo.name;
}

const char* padding_name(Padding p) {
  return p == Padding::kZero ? "zero" : "one";
}
const char* kind_name(OutputKind k) {
  return k == OutputKind::kInt32 ? "int32" : (k == OutputKind::kFloat ? "float" : "bits");
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (const char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

// y[b][oy][ox][o] = sum over taps and channels of xpad * w, all in float (exact: small integers).
std::vector<float> float_conv(const std::vector<float>& x, const std::vector<float>& w, const ConvGeometry& g,
                              float pad_value) {
  const int hp = g.ih + 2 * g.ph, wp = g.iw + 2 * g.pw;
  std::vector<float> xp(static_cast<size_t>(g.n) * hp * wp * g.ic, pad_value);
  for (int b = 0; b < g.n; ++b)
    for (int y = 0; y < g.ih; ++y)
      for (int xx = 0; xx < g.iw; ++xx)
        for (int c = 0; c < g.ic; ++c)
          xp[((static_cast<size_t>(b) * hp + y + g.ph) * wp + xx + g.pw) * g.ic + c] =
              x[((static_cast<size_t>(b) * g.ih + y) * g.iw + xx) * g.ic + c];
  const int oh = (hp - g.kh) / g.sh + 1, ow = (wp - g.kw) / g.sw + 1;
  std::vector<float> y(static_cast<size_t>(g.n) * oh * ow * g.oc);
  for (int b = 0; b < g.n; ++b)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < g.oc; ++o) {
          float s = 0.0f;
          for (int i = 0; i < g.kh; ++i)
            for (int j = 0; j < g.kw; ++j)
              for (int c = 0; c < g.ic; ++c)
                s += xp[((static_cast<size_t>(b) * hp + oy * g.sh + i) * wp + ox * g.sw + j) * g.ic + c] *
                     w[((static_cast<size_t>(o) * g.kh + i) * g.kw + j) * g.ic + c];
          y[((static_cast<size_t>(b) * oh + oy) * ow + ox) * g.oc + o] = s;
        }
  return y;
}

struct StageParams {
  std::vector<float> scale, bias;
  std::vector<int32_t> threshold;
  std::vector<uint8_t> flip;
  OutputStage stage(OutputKind kind) const {
    return OutputStage{kind, scale.data(), bias.data(), threshold.data(), flip.data()};
  }
};

// Random output-stage parameters. The threshold of channel o is one of that channel's y values other than the
// smallest, so both signs and exact ties (acc == threshold) occur; channels 5 and 11 of every 16 are pinned
// to INT32_MIN / INT32_MAX (constant outputs).
StageParams random_stage(std::mt19937_64& rng, const std::vector<float>& y, size_t pixels, int oc) {
  StageParams p;
  std::uniform_real_distribution<float> scale(-2.0f, 2.0f), bias(-5.0f, 5.0f);
  for (int o = 0; o < oc; ++o) {
    p.scale.push_back(scale(rng));
    p.bias.push_back(bias(rng));
    std::set<int32_t> values;
    for (size_t px = 0; px < pixels; ++px) values.insert(static_cast<int32_t>(y[px * oc + o]));
    auto it = values.begin();
    if (values.size() > 1) std::advance(it, 1 + rng() % (values.size() - 1));
    p.threshold.push_back(o % 16 == 5    ? std::numeric_limits<int32_t>::min()
                          : o % 16 == 11 ? std::numeric_limits<int32_t>::max()
                                         : *it);
    p.flip.push_back(static_cast<uint8_t>(rng() & 1));
  }
  return p;
}

// Checks dst ([pixels][oc] through the stage) against the float results y; returns the number of mismatches.
// Also rejects degenerate (all-identical) expected outputs when there are enough of them to differ.
void expect_outputs(const std::vector<float>& y, size_t pixels, int oc, const StageParams& p, OutputKind kind,
                    const void* dst) {
  size_t bad = 0;
  std::set<float> distinct;
  for (size_t px = 0; px < pixels; ++px) {
    for (int o = 0; o < oc; ++o) {
      const float v = y[px * oc + o];
      if (kind == OutputKind::kInt32) {
        const int32_t got = static_cast<const int32_t*>(dst)[px * oc + o];
        distinct.insert(v);
        if (got != static_cast<int32_t>(v) && bad++ < 5)
          ADD_FAILURE() << "int32 pixel " << px << " oc " << o << ": got " << got << ", want " << v;
      } else if (kind == OutputKind::kFloat) {
        const float want = v * p.scale[o] + p.bias[o];
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
          ADD_FAILURE() << "bits pixel " << px << " oc " << o << ": got bit " << got << " for y " << v
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

using CaseParam = std::tuple<Geometry, std::pair<int, int>, Padding, OutputKind>;

std::string case_name(const CaseParam& c) {
  const auto& [geo, ch, pad, kind] = c;
  return std::string(geo.name) + "_ic" + std::to_string(ch.first) + "_oc" + std::to_string(ch.second) + "_" +
         padding_name(pad) + "_" + kind_name(kind);
}

class BConv2dReference : public ::testing::TestWithParam<CaseParam> {};

TEST_P(BConv2dReference, MatchesFloatConvAndSlices) {
  const auto& [geo, ch, pad, kind] = GetParam();
  auto rng = make_rng(fnv1a(case_name(GetParam())));
  ConvGeometry g;
  g.n = geo.n, g.ih = geo.ih, g.iw = geo.iw, g.ic = ch.first, g.oc = ch.second;
  g.kh = geo.kh, g.kw = geo.kw, g.sh = geo.sh, g.sw = geo.sw, g.ph = geo.ph, g.pw = geo.pw;
  const int oh = (g.ih + 2 * g.ph - g.kh) / g.sh + 1, ow = (g.iw + 2 * g.pw - g.kw) / g.sw + 1;
  ASSERT_EQ(g.oh(), oh);
  ASSERT_EQ(g.ow(), ow);

  const auto x = random_pm1(rng, static_cast<size_t>(g.n) * g.ih * g.iw * g.ic);
  const auto w = random_pm1(rng, static_cast<size_t>(g.oc) * g.kh * g.kw * g.ic);
  const auto xb = pack_pm1(x, static_cast<size_t>(g.n) * g.ih * g.iw, g.ic);
  const auto wb = pack_pm1(w, static_cast<size_t>(g.oc) * g.kh * g.kw, g.ic);
  const auto y = float_conv(x, w, g, pad == Padding::kOne ? 1.0f : 0.0f);
  const StageParams sp = random_stage(rng, y, static_cast<size_t>(g.n) * oh * ow, g.oc);

  const int rows = g.n * oh;
  const size_t row_bytes = static_cast<size_t>(ow) * output_pixel_bytes(kind, g.oc);
  std::vector<unsigned char> full(rows * row_bytes, kSentinel);
  BConv2dArgs a;
  a.g = g;
  a.padding = pad;
  a.src = xb.data();
  a.weights = wb.data();
  a.out = sp.stage(kind);
  a.dst = full.data();
  bconv2d_reference(a, 0, rows);
  expect_outputs(y, static_cast<size_t>(rows) * ow, g.oc, sp, kind, full.data());

  // The middle slice alone writes exactly its rows; the other two slices then complete the same bytes.
  const int r1 = rows / 3, r2 = (2 * rows) / 3 + (rows > 1 ? 1 : 0);
  std::vector<unsigned char> sliced(rows * row_bytes, kSentinel);
  a.dst = sliced.data();
  bconv2d_reference(a, r1, r2);
  for (size_t i = 0; i < sliced.size(); ++i) {
    const bool inside = i >= r1 * row_bytes && i < r2 * row_bytes;
    if (!inside) {
      ASSERT_EQ(sliced[i], kSentinel) << "slice [" << r1 << ", " << r2 << ") wrote byte " << i;
    }
  }
  bconv2d_reference(a, 0, r1);
  bconv2d_reference(a, r2, rows);
  EXPECT_TRUE(sliced == full) << "slices [0," << r1 << ") [" << r1 << "," << r2 << ") [" << r2 << "," << rows
                              << ") differ from one full call";
}

INSTANTIATE_TEST_SUITE_P(
    Sweep, BConv2dReference,
    ::testing::Combine(::testing::ValuesIn(kGeometries), ::testing::ValuesIn(kChannels),
                       ::testing::Values(Padding::kZero, Padding::kOne),
                       ::testing::Values(OutputKind::kInt32, OutputKind::kFloat, OutputKind::kBits)),
    [](const ::testing::TestParamInfo<CaseParam>& info) { return case_name(info.param); });

// One pixel, 3 channels: x = (+1, -1, +1), w = (+1, +1, -1) -> D = 1 - 1 - 1 = -1.
TEST(BConv2dReferenceFixed, SinglePixelDot) {
  const auto x = pack_pm1({1, -1, 1}, 1, 3), w = pack_pm1({1, 1, -1}, 1, 3);
  BConv2dArgs a;
  a.g.ic = 3;
  a.src = x.data();
  a.weights = w.data();
  int32_t out = 12345;
  a.dst = &out;
  bconv2d_reference(a, 0, 1);
  EXPECT_EQ(out, -1);
}

// A 1x1 image under a 3x3 kernel with padding 1: 8 of the 9 taps are padding. With x = (-1, -1) and all
// weights +1 the centre tap gives -2; kZero adds nothing for the rest, kOne adds 2 per padded tap: 8*2 - 2
// = 14.
TEST(BConv2dReferenceFixed, PaddingModesOnOnePixel) {
  const auto x = pack_pm1({-1, -1}, 1, 2);
  const std::vector<Word> w(9, 0);  // all +1
  BConv2dArgs a;
  a.g.ic = 2, a.g.kh = 3, a.g.kw = 3, a.g.ph = 1, a.g.pw = 1;
  a.src = x.data();
  a.weights = w.data();
  int32_t out = 0;
  a.dst = &out;
  a.padding = Padding::kZero;
  bconv2d_reference(a, 0, 1);
  EXPECT_EQ(out, -2);
  a.padding = Padding::kOne;
  bconv2d_reference(a, 0, 1);
  EXPECT_EQ(out, 14);
}

// kBits: acc == threshold is +1 (>=), flip inverts; 65 output channels leave 63 tail bits that must be zero.
TEST(BConv2dReferenceFixed, BitsThresholdTieAndTail) {
  const int oc = 65;
  const auto x = pack_pm1({1}, 1, 1);
  std::vector<Word> w(oc, 0);
  w[1] = 1;  // channel 1 weight -1 -> D = -1; every other channel D = +1
  std::vector<int32_t> thr(oc, 1);
  std::vector<uint8_t> flip(oc, 0);
  thr[1] = -1;  // D = -1 >= -1 -> +1
  thr[2] = 2;   // 1 >= 2 false -> -1
  flip[3] = 1;  // 1 >= 1 true, flipped -> -1
  thr[64] = 2;  // -1 in the second word
  Word out[2] = {~Word{0}, ~Word{0}};
  BConv2dArgs a;
  a.g.ic = 1, a.g.oc = oc;
  a.src = x.data();
  a.weights = w.data();
  a.out.kind = OutputKind::kBits;
  a.out.threshold = thr.data();
  a.out.flip = flip.data();
  a.dst = out;
  bconv2d_reference(a, 0, 1);
  EXPECT_EQ(out[0], (Word{1} << 2) | (Word{1} << 3));
  EXPECT_EQ(out[1], Word{1});
}

}  // namespace
}  // namespace bnnkit::kernels
