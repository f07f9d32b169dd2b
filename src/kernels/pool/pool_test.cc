// Tests of the pool references against an explicitly padded copy of the input (padding before and after the
// input may differ, as TF/Flax "SAME" pads):
//  - avg: the mean in double within |y - exact| <= (K + 2) * 2^-24 * sum|x| / count * 1.01 (K taps), and the
//    documented float order replayed over the padded copy (padding holds +0), bit for bit;
//  - max: exact, against std::max over the inside taps (all-negative data catch a zero-padded max);
//  - global average: double within (h*w + 2) * 2^-24 * sum|x| / (h*w) * 1.01, and the float replay bit for
//  bit.
#include "kernels/pool/pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr double kUnit = 0x1p-24;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kSentinel = kNaN;  // one bit pattern: outputs left unwritten keep exactly these bits

std::vector<float> uniform(std::mt19937_64& rng, size_t count, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(count);
  for (auto& x : v) x = d(rng);
  return v;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

void expect_varied(const std::vector<float>& v) {
  std::set<float> distinct(v.begin(), v.end());
  EXPECT_GT(distinct.size(), 1u) << "all outputs identical: mistrusted data";
}

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

// The input copied into a zero-filled [n][ph + ih + ph_end][pw + iw + pw_end][ic] buffer, with a matching
// inside mask.
struct Padded {
  int hp, wp;
  std::vector<float> v;
  std::vector<uint8_t> inside;
};

Padded pad(const ConvGeometry& g, int ph_end, int pw_end, const std::vector<float>& src) {
  Padded p{g.ph + g.ih + ph_end, g.pw + g.iw + pw_end, {}, {}};
  p.v.assign(static_cast<size_t>(g.n) * p.hp * p.wp * g.ic, 0.0f);
  p.inside.assign(p.v.size(), 0);
  for (int b = 0; b < g.n; ++b)
    for (int y = 0; y < g.ih; ++y)
      for (int x = 0; x < g.iw; ++x)
        for (int c = 0; c < g.ic; ++c) {
          const size_t d = ((static_cast<size_t>(b) * p.hp + y + g.ph) * p.wp + x + g.pw) * g.ic + c;
          p.v[d] = src[((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * g.ic + c];
          p.inside[d] = 1;
        }
  return p;
}

struct Window {
  int kh, sh, ph;
};

std::string describe(const ConvGeometry& g, int ph_end, int pw_end) {
  std::ostringstream s;
  s << "n" << g.n << "ih" << g.ih << "iw" << g.iw << "ic" << g.ic << "kh" << g.kh << "kw" << g.kw << "sh"
    << g.sh << "sw" << g.sw << "ph" << g.ph << "pw" << g.pw << "ph_end" << ph_end << "pw_end" << pw_end;
  return s.str();
}

// ph_end / pw_end: padding after the input, -1 = symmetric. The expected output size is counted from the
// padded copy (how many windows fit in it), independently of the kernel's formula.
void check_pools(const ConvGeometry& g, uint64_t salt, bool all_negative, int ph_end = -1, int pw_end = -1) {
  SCOPED_TRACE(describe(g, ph_end, pw_end));
  auto rng = testing::make_rng(salt);
  const auto src = uniform(rng, static_cast<size_t>(g.n) * g.ih * g.iw * g.ic, all_negative ? -2.0f : -1.0f,
                           all_negative ? -1.0f : 1.0f);
  const Padded p = pad(g, ph_end < 0 ? g.ph : ph_end, pw_end < 0 ? g.pw : pw_end, src);
  int oh = 0, ow = 0;
  while (oh * g.sh + g.kh <= p.hp) ++oh;
  while (ow * g.sw + g.kw <= p.wp) ++ow;
  const int out_rows = g.n * oh;
  const size_t out_size = static_cast<size_t>(g.n) * oh * ow * g.ic;
  for (bool include : {true, false}) {
    SCOPED_TRACE(include ? "count_include_pad" : "exclude pad");
    std::vector<float> avg(out_size, kNaN);
    const AvgPool2dArgs a{g, include, src.data(), avg.data(), ph_end, pw_end};
    ASSERT_EQ(a.oh(), oh);
    ASSERT_EQ(a.ow(), ow);
    ASSERT_EQ(a.out_rows(), out_rows);
    avg_pool2d_reference(a, 0, out_rows);
    size_t o = 0;
    for (int b = 0; b < g.n; ++b)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int c = 0; c < g.ic; ++c, ++o) {
            double sum = 0.0, mag = 0.0;
            float replay = 0.0f;
            int inside = 0;
            for (int i = 0; i < g.kh; ++i)
              for (int j = 0; j < g.kw; ++j) {
                const size_t e =
                    ((static_cast<size_t>(b) * p.hp + oy * g.sh + i) * p.wp + ox * g.sw + j) * g.ic + c;
                sum += p.v[e];
                mag += std::fabs(p.v[e]);
                replay = replay + p.v[e];
                inside += p.inside[e];
              }
            const int count = include ? g.kh * g.kw : inside;
            const double exact = sum / count;
            ASSERT_LE(std::fabs(avg[o] - exact), (g.kh * g.kw + 2) * kUnit * mag / count * 1.01)
                << "output " << o;
            ASSERT_TRUE(same_bits(avg[o], replay / static_cast<float>(count))) << "output " << o;
          }
    if (out_size > 1) expect_varied(avg);
    expect_slices_match(out_rows, static_cast<size_t>(ow) * g.ic, avg, [&](float* d, int s, int e) {
      AvgPool2dArgs sa = a;
      sa.dst = d;
      avg_pool2d_reference(sa, s, e);
    });
  }

  std::vector<float> mx(out_size, kNaN), want(out_size);
  const MaxPool2dArgs m{g, src.data(), mx.data(), ph_end, pw_end};
  ASSERT_EQ(m.oh(), oh);
  ASSERT_EQ(m.ow(), ow);
  max_pool2d_reference(m, 0, out_rows);
  size_t o = 0;
  for (int b = 0; b < g.n; ++b)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int c = 0; c < g.ic; ++c, ++o) {
          bool any = false;
          for (int i = 0; i < g.kh; ++i)
            for (int j = 0; j < g.kw; ++j) {
              const size_t e =
                  ((static_cast<size_t>(b) * p.hp + oy * g.sh + i) * p.wp + ox * g.sw + j) * g.ic + c;
              if (!p.inside[e]) continue;
              want[o] = any ? std::max(want[o], p.v[e]) : p.v[e];
              any = true;
            }
          ASSERT_TRUE(any);
        }
  EXPECT_EQ(std::memcmp(mx.data(), want.data(), out_size * sizeof(float)), 0);
  if (out_size > 1) expect_varied(mx);
  expect_slices_match(out_rows, static_cast<size_t>(ow) * g.ic, mx, [&](float* d, int s, int e) {
    MaxPool2dArgs sm = m;
    sm.dst = d;
    max_pool2d_reference(sm, s, e);
  });
}

TEST(PoolReference, AvgMaxSweep) {
  // 2x2/2 (FracBNN shortcut), 3x3/2 pad 1 (PokeBNN shortcut shape), 3x3/1 pad 1, 1x1, 3x3/2 valid, 4x4/4
  // valid.
  const Window windows[] = {{2, 2, 0}, {3, 2, 1}, {3, 1, 1}, {1, 1, 0}, {3, 2, 0}, {4, 4, 0}};
  const int spatial[][2] = {{1, 1}, {7, 5}, {8, 6}, {9, 9}};
  uint64_t salt = 0;
  for (int ic : {1, 3, 5, 16, 63, 65})
    for (const auto& sp : spatial)
      for (const Window& w : windows) {
        if (sp[0] + 2 * w.ph < w.kh || sp[1] + 2 * w.ph < w.kh) continue;
        const ConvGeometry g{2, sp[0], sp[1], ic, ic, w.kh, w.kh, w.sh, w.sh, w.ph, w.ph};
        ++salt;
        check_pools(g, salt, (salt % 4) == 0);
      }
}

TEST(PoolReference, RectangularWindowsAndHeads) {
  check_pools(ConvGeometry{2, 8, 8, 64, 64, 8, 8, 1, 1, 0, 0}, 901,
              false);  // FracBNN CIFAR head: AvgPool 8x8
  check_pools(ConvGeometry{1, 7, 7, 65, 65, 7, 7, 7, 7, 0, 0}, 902, false);  // 7x7 head
  check_pools(ConvGeometry{3, 6, 9, 5, 5, 3, 2, 2, 1, 1, 1}, 903, true);     // kh != kw, sh != sw
  check_pools(ConvGeometry{2, 5, 4, 3, 3, 2, 3, 1, 2, 1, 1}, 904, false);
  check_pools(ConvGeometry{2, 6, 5, 5, 5, 3, 1, 2, 1, 1, 0}, 905, false);  // ph != pw
  check_pools(ConvGeometry{1, 5, 7, 16, 16, 1, 3, 1, 2, 0, 1}, 906, true);
  check_pools(ConvGeometry{2, 7, 8, 3, 3, 3, 5, 2, 1, 1, 2}, 907, false);
}

// Padding after the input that differs from the padding before it: every window size and stride with every
// combination of before/after padding below the window, on even and odd inputs.
TEST(PoolReference, AsymmetricPaddingSweep) {
  uint64_t salt = 2000;
  for (int k : {1, 2, 3, 4})
    for (int stride : {1, 2, 3})
      for (int before = 0; before < k; ++before)
        for (int after = 0; after < k; ++after)
          for (int size : {4, 5, 8}) {
            if (size + before + after < k) continue;
            ++salt;
            // Rows pad (before, after), columns (after, before).
            const ConvGeometry g{2, size, size + 1, 5, 5, k, k, stride, stride, before, after};
            check_pools(g, salt, (salt % 3) == 0, after, before);
          }
}

// TF/Flax "SAME" for PokeBNN's shortcut pool, 3x3/2 on an even input: total padding 1, none before, 1 after,
// every window divided by 9 (flax.linen.avg_pool's count_include_pad = True). On a 4x4 map of ones the
// windows start at rows/columns 0 and 2, and the second one hangs one row/column over the edge.
TEST(PoolReference, FlaxSameAvgPool) {
  const std::vector<float> ones(16, 1.0f);
  std::vector<float> out(4, kNaN);
  const AvgPool2dArgs a{ConvGeometry{1, 4, 4, 1, 1, 3, 3, 2, 2, 0, 0}, true, ones.data(), out.data(), 1, 1};
  ASSERT_EQ(a.oh(), 2);
  ASSERT_EQ(a.ow(), 2);
  avg_pool2d_reference(a, 0, a.out_rows());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 6.0f / 9.0f);
  EXPECT_EQ(out[2], 6.0f / 9.0f);
  EXPECT_EQ(out[3], 4.0f / 9.0f);
  // Symmetric padding 0 would give only one window per axis: (4 - 3) / 2 + 1 = 1.
  EXPECT_EQ((AvgPool2dArgs{ConvGeometry{1, 4, 4, 1, 1, 3, 3, 2, 2, 0, 0}}.oh()), 1);
  // 56 -> 28 and 7 -> 4 (odd: SAME pads 1 on both sides, the symmetric case).
  EXPECT_EQ(pool_out_dim(56, 3, 2, 0, 1), 28);
  EXPECT_EQ(pool_out_dim(7, 3, 2, 1, -1), 4);
}

// Corner of a 3x3 / pad 1 window over ones: 4 inside taps, so 4/9 with count_include_pad and 1 without.
TEST(PoolReference, CountIncludePad) {
  const std::vector<float> ones(9, 1.0f);
  std::vector<float> out(9);
  const ConvGeometry g{1, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1};
  avg_pool2d_reference({g, true, ones.data(), out.data()}, 0, 3);
  EXPECT_EQ(out[0], 4.0f / 9.0f);
  EXPECT_EQ(out[1], 6.0f / 9.0f);
  EXPECT_EQ(out[4], 1.0f);
  avg_pool2d_reference({g, false, ones.data(), out.data()}, 0, 3);
  for (float v : out) EXPECT_EQ(v, 1.0f);
}

// A NaN reaches exactly the windows that contain it; -inf is an ordinary value.
TEST(PoolReference, MaxNaNAndInfinity) {
  const float inf = std::numeric_limits<float>::infinity();
  // 1 x 4 row, window 1x2 stride 1: windows {0,1} {1,2} {2,3}.
  const float src[4] = {-inf, -inf, kNaN, 1.0f};
  float out[3] = {0.0f, 0.0f, 0.0f};
  max_pool2d_reference({ConvGeometry{1, 1, 4, 1, 1, 1, 2}, src, out}, 0, 1);
  EXPECT_EQ(out[0], -inf);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));  // NaN first, then a larger-looking 1.0: still NaN
  const float src2[2] = {1.0f, kNaN};
  max_pool2d_reference({ConvGeometry{1, 1, 2, 1, 1, 1, 2}, src2, out}, 0, 1);
  EXPECT_TRUE(std::isnan(out[0]));
}

TEST(PoolReference, GlobalAvg) {
  const int spatial[][2] = {{1, 1}, {7, 7}, {8, 6}, {56, 56}};
  uint64_t salt = 1000;
  for (const auto& sp : spatial)
    for (int c : {1, 16, 65}) {
      SCOPED_TRACE(::testing::Message() << sp[0] << "x" << sp[1] << " c" << c);
      auto rng = testing::make_rng(++salt);
      const int n = 3, h = sp[0], w = sp[1];
      const auto src = uniform(rng, static_cast<size_t>(n) * h * w * c, -1.0f, 3.0f);
      std::vector<float> out(static_cast<size_t>(n) * c, kNaN);
      const GlobalAvgPoolArgs a{n, h, w, c, src.data(), out.data()};
      global_avg_pool_reference(a, 0, n);
      for (int b = 0; b < n; ++b)
        for (int ch = 0; ch < c; ++ch) {
          double sum = 0.0, mag = 0.0;
          float replay = 0.0f;
          for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
              const float v = src[((static_cast<size_t>(b) * h + y) * w + x) * c + ch];
              sum += v;
              mag += std::fabs(v);
              replay = replay + v;
            }
          const float got = out[static_cast<size_t>(b) * c + ch];
          ASSERT_LE(std::fabs(got - sum / (h * w)), (h * w + 2) * kUnit * mag / (h * w) * 1.01);
          ASSERT_TRUE(same_bits(got, replay / static_cast<float>(h * w)));
        }
      expect_varied(out);
      expect_slices_match(n, c, out, [&](float* d, int s, int e) {
        GlobalAvgPoolArgs sa = a;
        sa.dst = d;
        global_avg_pool_reference(sa, s, e);
      });
    }
}

}  // namespace
}  // namespace bnnkit::kernels
