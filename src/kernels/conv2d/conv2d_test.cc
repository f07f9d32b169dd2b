// Tests of the float conv2d reference against independent math:
//  - an explicit im2col in doubles, within a rigorous float rounding bound:
//      |y - exact| <= (K + 2) * 2^-24 * (sum_k |src_k * w_k| + |bias|) * 1.01,   K = kh * kw * ic / groups;
//  - the documented float order replayed over the same im2col matrix (padding rows hold 0), which must match
//    bit for bit;
//  - small hand-made cases that fail if the tap order, the place of the bias or a fused multiply-add change.
#include "kernels/conv2d/conv2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr double kUnit = 0x1p-24;  // unit roundoff of float

std::vector<float> uniform(std::mt19937_64& rng, size_t count, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(count);
  for (auto& x : v) x = d(rng);
  return v;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

const float kSentinel = std::numeric_limits<float>::quiet_NaN();

// Runs `run(dst, begin, end)` for the slices [0, rows/3), [rows/3, 2*rows/3), [2*rows/3, rows), each into its
// own NaN-filled buffer: a slice must write exactly its own rows (row_elems floats each), with the bits of
// `full`.
void expect_slices_match(int rows, size_t row_elems, const std::vector<float>& full,
                         const std::function<void(float*, int, int)>& run) {
  const int cut[4] = {0, rows / 3, (2 * rows) / 3, rows};
  for (int s = 0; s < 3; ++s) {
    std::vector<float> out(full.size(), kSentinel);
    run(out.data(), cut[s], cut[s + 1]);
    const size_t lo = cut[s] * row_elems, hi = cut[s + 1] * row_elems;
    for (size_t e = 0; e < out.size(); ++e) {
      const bool ok = (e >= lo && e < hi) ? same_bits(out[e], full[e]) : same_bits(out[e], kSentinel);
      ASSERT_TRUE(ok) << "slice [" << cut[s] << ", " << cut[s + 1] << ") element " << e;
    }
  }
}

struct Case {
  int n, ih, iw, ic, oc, kh, kw, sh, sw, ph, pw, groups;
  bool bias;
  std::string str() const {
    std::ostringstream s;
    s << "n" << n << "ih" << ih << "iw" << iw << "ic" << ic << "oc" << oc << "kh" << kh << "kw" << kw << "sh"
      << sh << "sw" << sw << "ph" << ph << "pw" << pw << "g" << groups << (bias ? "bias" : "nobias");
    return s.str();
  }
  ConvGeometry geometry() const { return ConvGeometry{n, ih, iw, ic, oc, kh, kw, sh, sw, ph, pw}; }
};

// Runs the case: full call against im2col (double bound and float replay), then 3 slices against the full
// call.
void check_case(const Case& c, uint64_t salt) {
  SCOPED_TRACE(c.str());
  auto rng = testing::make_rng(salt);
  const ConvGeometry g = c.geometry();
  const int oh = g.oh(), ow = g.ow(), icg = c.ic / c.groups, ocg = c.oc / c.groups;
  ASSERT_GE(oh, 1);
  ASSERT_GE(ow, 1);
  const auto src = uniform(rng, static_cast<size_t>(c.n) * c.ih * c.iw * c.ic, -1.0f, 1.0f);
  const auto w = uniform(rng, static_cast<size_t>(c.oc) * c.kh * c.kw * icg, -1.0f, 1.0f);
  const auto bias = uniform(rng, c.oc, -0.5f, 0.5f);
  const size_t pixels = static_cast<size_t>(c.n) * oh * ow;
  std::vector<float> dst(pixels * c.oc, kSentinel);
  Conv2dArgs args{g, c.groups, src.data(), w.data(), c.bias ? bias.data() : nullptr, dst.data()};
  conv2d_reference(args, 0, g.out_rows());

  // im2col: one row per output pixel, columns (i, j, channel) over ALL input channels; padding taps hold 0.
  const int cols = c.kh * c.kw * c.ic;
  std::vector<float> col(pixels * cols, 0.0f);
  for (int b = 0; b < c.n; ++b)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        const size_t p = (static_cast<size_t>(b) * oh + oy) * ow + ox;
        for (int i = 0; i < c.kh; ++i)
          for (int j = 0; j < c.kw; ++j) {
            const int y = oy * c.sh + i - c.ph, x = ox * c.sw + j - c.pw;
            if (y < 0 || x < 0 || y >= c.ih || x >= c.iw) continue;
            for (int ch = 0; ch < c.ic; ++ch)
              col[p * cols + (i * c.kw + j) * c.ic + ch] =
                  src[((static_cast<size_t>(b) * c.ih + y) * c.iw + x) * c.ic + ch];
          }
      }
  std::set<float> distinct;
  int bad = 0;
  for (size_t p = 0; p < pixels; ++p) {
    for (int o = 0; o < c.oc; ++o) {
      const int grp = o / ocg;
      double exact = 0.0, mag = 0.0;
      float replay = 0.0f;
      for (int t = 0; t < c.kh * c.kw; ++t) {
        for (int k = 0; k < icg; ++k) {
          const float s = col[p * cols + t * c.ic + grp * icg + k];
          const float wv = w[static_cast<size_t>(o) * c.kh * c.kw * icg + t * icg + k];
          exact += static_cast<double>(s) * wv;
          mag += std::fabs(static_cast<double>(s) * wv);
          const float prod = s * wv;
          replay = replay + prod;
        }
      }
      if (c.bias) {
        exact += bias[o];
        mag += std::fabs(bias[o]);
        replay = replay + bias[o];
      }
      const float got = dst[p * c.oc + o];
      const double tol = (c.kh * c.kw * icg + 2) * kUnit * mag * 1.01;
      if (bad < 5 && !(std::fabs(got - exact) <= tol && same_bits(got, replay))) {
        ADD_FAILURE() << "pixel " << p << " oc " << o << ": got " << got << " exact " << exact << " tol "
                      << tol << " replay " << replay;
        ++bad;
      }
      distinct.insert(got);
    }
  }
  if (dst.size() > 1) {
    EXPECT_GT(distinct.size(), 1u) << "all outputs identical: mistrusted data";
  }

  expect_slices_match(g.out_rows(), static_cast<size_t>(ow) * c.oc, dst, [&](float* d, int b, int e) {
    Conv2dArgs sa = args;
    sa.dst = d;
    conv2d_reference(sa, b, e);
  });
}

TEST(Conv2dReference, ChannelSpatialKernelStrideSweep) {
  // {kh, sh, ph}: 1x1, 3x3 same, 3x3 stride 2, 4x4 stride 4 valid; spatial 1 / odd / even, ih != iw.
  const int kernels[][3] = {{1, 1, 0}, {3, 1, 1}, {3, 2, 1}, {4, 4, 0}};
  const int spatial[][2] = {{1, 1}, {7, 5}, {8, 6}};
  const int channels[] = {1, 3, 5, 16, 63, 65};
  uint64_t salt = 0;
  for (int ic : channels)
    for (int oc : {1, 5, 16, 65})
      for (const auto& sp : spatial)
        for (const auto& k : kernels) {
          if (sp[0] < k[0] && k[2] == 0) continue;  // window larger than the unpadded image
          if (sp[1] < k[0] && k[2] == 0) continue;
          const Case c{2, sp[0], sp[1], ic, oc, k[0], k[0], k[1], k[1], k[2], k[2], 1, (salt & 1) == 0};
          check_case(c, ++salt);
        }
}

TEST(Conv2dReference, MixedStridesAndPads) {
  check_case({1, 9, 6, 3, 5, 3, 1, 2, 1, 1, 0, 1, true}, 101);
  check_case({3, 6, 9, 5, 3, 1, 3, 1, 2, 0, 1, 1, false}, 102);
  check_case({2, 5, 5, 16, 16, 5, 5, 1, 1, 2, 2, 1, true}, 103);
  check_case({2, 8, 8, 16, 8, 2, 2, 2, 2, 1, 1, 1, true}, 104);  // even kernel with padding
}

TEST(Conv2dReference, PokeInitStem) {
  // 4x4 stride 4 VALID, 3 -> 32: exact multiple of 4 and a size whose leftover pixels are dropped.
  check_case({2, 16, 16, 3, 32, 4, 4, 4, 4, 0, 0, 1, false}, 201);
  check_case({1, 18, 13, 3, 32, 4, 4, 4, 4, 0, 0, 1, true}, 202);
}

TEST(Conv2dReference, Groups) {
  check_case({2, 7, 7, 32, 32, 3, 3, 1, 1, 1, 1, 32, true}, 301);   // depthwise
  check_case({2, 8, 8, 32, 32, 3, 3, 2, 2, 1, 1, 32, false}, 302);  // depthwise, stride 2
  check_case({2, 9, 9, 32, 64, 3, 3, 1, 1, 1, 1, 32, true}, 303);   // PokeInit grouped 3x3: 2 filters each
  check_case({1, 5, 6, 6, 9, 3, 3, 1, 1, 1, 1, 3, true}, 304);      // icg = 2, ocg = 3
  check_case({2, 4, 4, 16, 4, 1, 1, 1, 1, 0, 0, 2, false}, 305);    // icg = 8, ocg = 2
  check_case({1, 6, 6, 65, 65, 3, 3, 2, 2, 1, 1, 65, true}, 306);
}

// Documented order: taps (i, j, k), each sum starts at 0.0f, bias last. With 1e8 + 1 == 1e8 in float, the
// sum 1e8 + 1 - 1e8 is 0 in this order and 1 in most others.
TEST(Conv2dReference, EvaluationOrder) {
  const float big = 1e8f;
  ASSERT_EQ(big + 1.0f, big);
  const float ones[3] = {1.0f, 1.0f, 1.0f};
  float dst = -7.0f;
  {  // k order: channels {1e8, 1, -1e8}
    const float src[3] = {big, 1.0f, -big};
    conv2d_reference({ConvGeometry{1, 1, 1, 3, 1}, 1, src, ones, nullptr, &dst}, 0, 1);
    EXPECT_EQ(dst, 0.0f);
    const float src2[3] = {big, -big, 1.0f};  // reversed order would give 0
    conv2d_reference({ConvGeometry{1, 1, 1, 3, 1}, 1, src2, ones, nullptr, &dst}, 0, 1);
    EXPECT_EQ(dst, 1.0f);
  }
  {  // j order: a 1x3 window over a row {1e8, 1, -1e8}
    const float src[3] = {big, 1.0f, -big};
    conv2d_reference({ConvGeometry{1, 1, 3, 1, 1, 1, 3}, 1, src, ones, nullptr, &dst}, 0, 1);
    EXPECT_EQ(dst, 0.0f);
  }
  {  // i before j: 2x2 window over {{1e8, -1e8}, {1, 0}}: row-major gives (1e8 - 1e8) + 1 = 1
    const float src[4] = {big, -big, 1.0f, 0.0f};
    const float w4[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    conv2d_reference({ConvGeometry{1, 2, 2, 1, 1, 2, 2}, 1, src, w4, nullptr, &dst}, 0, 1);
    EXPECT_EQ(dst, 1.0f);
  }
  {  // bias last: (0 + 1e8) + 1 - 1e8 then + 1 = 1; bias first would give 0
    const float src[2] = {big, -big};
    const float b = 1.0f;
    conv2d_reference({ConvGeometry{1, 1, 1, 2, 1}, 1, src, ones, &b, &dst}, 0, 1);
    EXPECT_EQ(dst, 1.0f);
  }
}

// a * b + c is a rounded multiply then a rounded add: (1 + 2^-12)^2 rounds to 1 + 2^-11 before -1 is added,
// so the result is 2^-11; a fused multiply-add would give 2^-11 + 2^-24.
TEST(Conv2dReference, NoFusedMultiplyAdd) {
  const float e = 1.0f + 0x1p-12f;
  const float src[2] = {-1.0f, e};
  const float w[2] = {1.0f, e};
  float dst = 0.0f;
  conv2d_reference({ConvGeometry{1, 1, 1, 2, 1}, 1, src, w, nullptr, &dst}, 0, 1);
  EXPECT_EQ(dst, 0x1p-11f);
}

// Padded taps are skipped, not read: a NaN weight on a tap that always lands in the padding changes nothing.
TEST(Conv2dReference, PaddingTapsSkipped) {
  const float src[1] = {2.0f};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float w[9];
  for (float& x : w) x = nan;
  w[4] = 3.0f;  // centre tap
  float dst = 0.0f;
  conv2d_reference({ConvGeometry{1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1}, 1, src, w, nullptr, &dst}, 0, 1);
  EXPECT_EQ(dst, 6.0f);
}

}  // namespace
}  // namespace bnnkit::kernels
