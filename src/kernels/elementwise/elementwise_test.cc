// Tests of the elementwise references. Expected values are computed in double and rounded to float after each
// operation; since double has more than 2 * 24 + 2 bits, that equals the correctly rounded float operation,
// so every op here is checked bit for bit (0 ulp). quant_uniform is also checked against the ideal quantizer
// (nearest level, computed in double) away from ties, for monotonicity, and on its tie and NaN rules.
#include "kernels/elementwise/elementwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kSentinel = kNaN;  // one bit pattern: outputs left unwritten keep exactly these bits
constexpr float kInf = std::numeric_limits<float>::infinity();
const int kChannels[] = {1, 3, 5, 16, 63, 65};

std::vector<float> uniform(std::mt19937_64& rng, size_t count, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(count);
  for (auto& x : v) x = d(rng);
  return v;
}

// Rounds a double to float: applied after each double operation it gives the float operation's result.
float f32(double x) {
  return static_cast<float>(x);
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Every element equal to its expected value, bit for bit (NaN matches NaN); reports the first mismatches.
void expect_bits(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i) {
    if (same_bits(got[i], want[i]) || (std::isnan(got[i]) && std::isnan(want[i]))) continue;
    ADD_FAILURE() << "element " << i << ": got " << got[i] << " want " << want[i];
    ++bad;
  }
}

void expect_varied(const std::vector<float>& v) {
  std::set<float> distinct(v.begin(), v.end());
  EXPECT_GT(distinct.size(), 1u) << "all outputs identical: mistrusted data";
}

// Runs `run(dst, begin, end)` for the slices [0, rows/3), [rows/3, 2*rows/3), [2*rows/3, rows), each into its
// own NaN-filled buffer: a slice must write exactly its own rows (row_elems floats each), with the bits of
// `full`.
void expect_slices_match(int64_t rows, size_t row_elems, const std::vector<float>& full,
                         const std::function<void(float*, int64_t, int64_t)>& run) {
  const int64_t cut[4] = {0, rows / 3, (2 * rows) / 3, rows};
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

// Random inputs in [-3, 3] with some exact zeros, negative zeros and values equal to `shift` (t = 0).
std::vector<float> inputs(std::mt19937_64& rng, int64_t rows, int64_t ch, const std::vector<float>* shift) {
  auto x = uniform(rng, rows * ch, -3.0f, 3.0f);
  for (int64_t i = 0; i < rows * ch; i += 7) x[i] = (i % 2) ? 0.0f : -0.0f;
  if (shift)
    for (int64_t i = 3; i < rows * ch; i += 11) x[i] = (*shift)[i % ch];
  return x;
}

TEST(ElementwiseReference, Affine) {
  uint64_t salt = 0;
  for (int ch : kChannels)
    for (int64_t rows : {1, 7, 10}) {
      auto rng = testing::make_rng(++salt);
      const auto x = inputs(rng, rows, ch, nullptr);
      const auto scale = uniform(rng, ch, -2.0f, 2.0f), bias = uniform(rng, ch, -1.0f, 1.0f);
      std::vector<float> y(x.size(), kNaN), want(x.size());
      AffineArgs a{ch, x.data(), scale.data(), bias.data(), y.data()};
      affine_reference(a, 0, rows);
      for (int64_t r = 0; r < rows; ++r)
        for (int c = 0; c < ch; ++c) {
          const size_t i = r * ch + c;
          want[i] = f32(static_cast<double>(f32(static_cast<double>(x[i]) * scale[c])) + bias[c]);
        }
      expect_bits(y, want);
      if (y.size() > 1) expect_varied(y);
      expect_slices_match(rows, ch, y, [&](float* d, int64_t b, int64_t e) {
        AffineArgs s = a;
        s.dst = d;
        affine_reference(s, b, e);
      });
    }
}

TEST(ElementwiseReference, AffineNoFusedMultiplyAdd) {
  const float e = 1.0f + 0x1p-12f, minus_one = -1.0f;
  float y = 0.0f;
  affine_reference({1, &e, &e, &minus_one, &y}, 0, 1);
  EXPECT_EQ(y, 0x1p-11f);  // an FMA would give 2^-11 + 2^-24
}

TEST(ElementwiseReference, PRelu) {
  uint64_t salt = 100;
  for (int ch : kChannels)
    for (int64_t rows : {1, 7, 10}) {
      auto rng = testing::make_rng(++salt);
      const auto x = inputs(rng, rows, ch, nullptr);
      const auto slope = uniform(rng, ch, -0.5f, 0.5f);
      std::vector<float> y(x.size(), kNaN), want(x.size());
      PReluArgs a{ch, x.data(), slope.data(), y.data()};
      prelu_reference(a, 0, rows);
      for (int64_t r = 0; r < rows; ++r)
        for (int c = 0; c < ch; ++c) {
          const size_t i = r * ch + c;
          want[i] = std::signbit(x[i]) && x[i] != 0.0f ? f32(static_cast<double>(x[i]) * slope[c]) : x[i];
        }
      expect_bits(y, want);
      if (y.size() > 1) expect_varied(y);
      expect_slices_match(rows, ch, y, [&](float* d, int64_t b, int64_t e) {
        PReluArgs s = a;
        s.dst = d;
        prelu_reference(s, b, e);
      });
    }
}

TEST(ElementwiseReference, RPRelu) {
  uint64_t salt = 200;
  for (int ch : kChannels)
    for (int64_t rows : {1, 7, 10}) {
      auto rng = testing::make_rng(++salt);
      const auto gamma = uniform(rng, ch, -1.0f, 1.0f), slope = uniform(rng, ch, 0.0f, 0.5f),
                 zeta = uniform(rng, ch, -1.0f, 1.0f);
      const auto x = inputs(rng, rows, ch, &gamma);
      std::vector<float> y(x.size(), kNaN), want(x.size());
      RPReluArgs a{ch, x.data(), gamma.data(), slope.data(), zeta.data(), y.data()};
      rprelu_reference(a, 0, rows);
      for (int64_t r = 0; r < rows; ++r)
        for (int c = 0; c < ch; ++c) {
          const size_t i = r * ch + c;
          const float t = f32(static_cast<double>(x[i]) - gamma[c]);
          const float u = t < 0.0f ? f32(static_cast<double>(t) * slope[c]) : t;
          want[i] = f32(static_cast<double>(u) + zeta[c]);
        }
      expect_bits(y, want);
      if (y.size() > 1) expect_varied(y);
      expect_slices_match(rows, ch, y, [&](float* d, int64_t b, int64_t e) {
        RPReluArgs s = a;
        s.dst = d;
        rprelu_reference(s, b, e);
      });
    }
}

TEST(ElementwiseReference, DPRelu) {
  uint64_t salt = 300;
  for (int ch : kChannels)
    for (int64_t rows : {1, 7, 10}) {
      auto rng = testing::make_rng(++salt);
      const auto beta = uniform(rng, ch, -1.0f, 1.0f), eta_pos = uniform(rng, ch, 0.5f, 1.5f),
                 eta_neg = uniform(rng, ch, -0.5f, 0.5f), gamma = uniform(rng, ch, -1.0f, 1.0f);
      const auto x = inputs(rng, rows, ch, &beta);
      std::vector<float> y(x.size(), kNaN), want(x.size());
      DPReluArgs a{ch, x.data(), beta.data(), eta_pos.data(), eta_neg.data(), gamma.data(), y.data()};
      dprelu_reference(a, 0, rows);
      for (int64_t r = 0; r < rows; ++r)
        for (int c = 0; c < ch; ++c) {
          const size_t i = r * ch + c;
          const float t = f32(static_cast<double>(x[i]) - beta[c]);
          const double slope = t < 0.0f ? eta_neg[c] : eta_pos[c];
          want[i] = f32(static_cast<double>(f32(slope * t)) - gamma[c]);
        }
      expect_bits(y, want);
      if (y.size() > 1) expect_varied(y);
      expect_slices_match(rows, ch, y, [&](float* d, int64_t b, int64_t e) {
        DPReluArgs s = a;
        s.dst = d;
        dprelu_reference(s, b, e);
      });
    }
}

// At t = 0 the positive branch is taken: with eta_pos = 2, eta_neg = NaN the output is -gamma, not NaN.
TEST(ElementwiseReference, PReluFamilyBranchAtZero) {
  const float x = 0.5f, shift = 0.5f, pos = 2.0f, nan = kNaN, g = 0.25f;
  float y = 1.0f;
  dprelu_reference({1, &x, &shift, &pos, &nan, &g, &y}, 0, 1);
  EXPECT_EQ(y, -0.25f);
  rprelu_reference({1, &x, &shift, &nan, &g, &y}, 0, 1);
  EXPECT_EQ(y, 0.25f);
  const float zero = 0.0f, neg_zero = -0.0f;
  prelu_reference({1, &zero, &nan, &y}, 0, 1);
  EXPECT_EQ(y, 0.0f);
  prelu_reference({1, &neg_zero, &nan, &y}, 0, 1);
  EXPECT_TRUE(y == 0.0f && std::signbit(y));
}

TEST(ElementwiseReference, NaNPropagates) {
  const float x = kNaN, p = 0.5f;
  float y = 0.0f;
  affine_reference({1, &x, &p, &p, &y}, 0, 1);
  EXPECT_TRUE(std::isnan(y));
  y = 0.0f;
  prelu_reference({1, &x, &p, &y}, 0, 1);
  EXPECT_TRUE(std::isnan(y));
  y = 0.0f;
  rprelu_reference({1, &x, &p, &p, &p, &y}, 0, 1);
  EXPECT_TRUE(std::isnan(y));
  y = 0.0f;
  dprelu_reference({1, &x, &p, &p, &p, &p, &y}, 0, 1);
  EXPECT_TRUE(std::isnan(y));
  for (Activation k :
       {Activation::kIdentity, Activation::kRelu, Activation::kRelu6, Activation::kHardSigmoid}) {
    y = 0.0f;
    activation_reference({k, 1, &x, &y}, 0, 1);
    EXPECT_TRUE(std::isnan(y)) << static_cast<int>(k);
  }
  y = 0.0f;
  add_reference({&x, &p, &y}, 0, 1);
  EXPECT_TRUE(std::isnan(y));
  y = 0.0f;
  scale_channels_reference({1, 1, &x, &p, &y}, 0, 1);
  EXPECT_TRUE(std::isnan(y));
}

TEST(ElementwiseReference, Activations) {
  auto rng = testing::make_rng(400);
  const int64_t ch = 65, rows = 9;
  auto x = uniform(rng, rows * ch, -8.0f, 8.0f);
  const float special[] = {-kInf,
                           -5.0f,
                           -3.0f,
                           std::nextafter(-3.0f, 0.0f),
                           -0.0f,
                           0.0f,
                           std::nextafter(3.0f, 0.0f),
                           3.0f,
                           6.0f,
                           std::nextafter(6.0f, 7.0f),
                           kInf};
  std::copy(std::begin(special), std::end(special), x.begin());
  for (Activation k :
       {Activation::kIdentity, Activation::kRelu, Activation::kRelu6, Activation::kHardSigmoid}) {
    SCOPED_TRACE(static_cast<int>(k));
    std::vector<float> y(x.size(), kNaN), want(x.size());
    const ActivationArgs a{k, ch, x.data(), y.data()};
    activation_reference(a, 0, rows);
    for (size_t i = 0; i < x.size(); ++i) {
      switch (k) {
        case Activation::kIdentity:
          want[i] = x[i];
          break;
        case Activation::kRelu:
          want[i] = std::max(x[i], 0.0f);  // keeps -0.0 (returns the first argument on ties)
          break;
        case Activation::kRelu6:
          want[i] = std::min(std::max(x[i], 0.0f), 6.0f);
          break;
        case Activation::kHardSigmoid:
          want[i] = f32(std::min(std::max(static_cast<double>(f32(x[i] + 3.0)), 0.0), 6.0) / 6.0);
          break;
      }
    }
    expect_bits(y, want);
    expect_varied(y);
    expect_slices_match(rows, ch, y, [&](float* d, int64_t b, int64_t e) {
      ActivationArgs s = a;
      s.dst = d;
      activation_reference(s, b, e);
    });
  }
  // Anchors: hard_sigmoid(-3) = 0, (0) = 0.5, (3) = 1; relu6(7) = 6; relu(-0.0) = -0.0.
  const float in[5] = {-3.0f, 0.0f, 3.0f, 7.0f, -0.0f};
  float out[5];
  activation_reference({Activation::kHardSigmoid, 5, in, out}, 0, 1);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 0.5f);
  EXPECT_EQ(out[2], 1.0f);
  activation_reference({Activation::kRelu6, 5, in, out}, 0, 1);
  EXPECT_EQ(out[3], 6.0f);
  activation_reference({Activation::kRelu, 5, in, out}, 0, 1);
  EXPECT_TRUE(out[4] == 0.0f && std::signbit(out[4]));
  EXPECT_EQ(out[0], 0.0f);
}

TEST(ElementwiseReference, AddFlatSlices) {
  auto rng = testing::make_rng(500);
  const int64_t count = 1001;
  const auto a = uniform(rng, count, -100.0f, 100.0f), b = uniform(rng, count, -1.0f, 1.0f);
  std::vector<float> y(count, kNaN), want(count);
  const AddArgs args{a.data(), b.data(), y.data()};
  add_reference(args, 0, count);
  for (int64_t i = 0; i < count; ++i) want[i] = f32(static_cast<double>(a[i]) + b[i]);
  expect_bits(y, want);
  expect_varied(y);
  expect_slices_match(count, 1, y, [&](float* d, int64_t s, int64_t e) {
    add_reference({a.data(), b.data(), d}, s, e);
  });
  // In place into the first operand.
  auto inplace = a;
  add_reference({inplace.data(), b.data(), inplace.data()}, 0, count);
  expect_bits(inplace, want);
}

TEST(ElementwiseReference, ScaleChannels) {
  uint64_t salt = 600;
  for (int64_t pixels : {1, 5, 16})
    for (int ch : {1, 16, 65}) {
      auto rng = testing::make_rng(++salt);
      const int n = 3;
      const auto x = uniform(rng, n * pixels * ch, -4.0f, 4.0f), s = uniform(rng, n * ch, 0.0f, 1.0f);
      std::vector<float> y(x.size(), kNaN), want(x.size());
      const ScaleChannelsArgs a{pixels, ch, x.data(), s.data(), y.data()};
      scale_channels_reference(a, 0, n * pixels);
      size_t i = 0;
      for (int b = 0; b < n; ++b)
        for (int64_t p = 0; p < pixels; ++p)
          for (int c = 0; c < ch; ++c, ++i) want[i] = f32(static_cast<double>(x[i]) * s[b * ch + c]);
      expect_bits(y, want);
      expect_varied(y);
      expect_slices_match(n * pixels, ch, y, [&](float* d, int64_t b, int64_t e) {
        ScaleChannelsArgs sa = a;
        sa.dst = d;
        scale_channels_reference(sa, b, e);
      });
    }
}

// The documented quantizer, each float operation emulated by a double operation rounded to float.
float quant_emulated(float x, int bits, float lo, float hi) {
  const float range = f32(static_cast<double>(hi) - lo);
  const float levels = static_cast<float>((1 << bits) - 1);
  const float step = f32(static_cast<double>(range) / levels);
  const float xc = std::isnan(x) ? x : std::clamp(x, lo, hi);
  const float diff = f32(static_cast<double>(xc) - lo);
  const float v = f32(static_cast<double>(f32(static_cast<double>(diff) / range)) * levels);
  const float q = std::floor(f32(static_cast<double>(v) + 0.5));
  return f32(static_cast<double>(lo) + f32(static_cast<double>(q) * step));
}

TEST(ElementwiseReference, QuantUniform) {
  const float ranges[][2] = {{-1.0f, 1.0f}, {0.0f, 6.0f}, {-0.5f, 3.25f}};
  uint64_t salt = 700;
  for (int bits : {1, 2, 4, 8})
    for (const auto& r : ranges) {
      const float lo = r[0], hi = r[1];
      SCOPED_TRACE(::testing::Message() << "bits " << bits << " [" << lo << ", " << hi << "]");
      auto rng = testing::make_rng(++salt);
      const int64_t ch = 63, rows = 16;
      const auto x = uniform(rng, rows * ch, lo - 1.0f, hi + 1.0f);
      std::vector<float> y(x.size(), kNaN), want(x.size());
      const QuantUniformArgs a{bits, lo, hi, ch, x.data(), y.data()};
      quant_uniform_reference(a, 0, rows);
      const int levels = (1 << bits) - 1;
      std::set<float> distinct;
      for (size_t i = 0; i < x.size(); ++i) {
        want[i] = quant_emulated(x[i], bits, lo, hi);
        distinct.insert(y[i]);
        // Ideal quantizer in double: nearest level; skip inputs within 1e-4 of a tie.
        const double u =
            (std::clamp(static_cast<double>(x[i]), static_cast<double>(lo), static_cast<double>(hi)) - lo) /
            (static_cast<double>(hi) - lo) * levels;
        if (std::fabs(u - std::floor(u) - 0.5) < 1e-4) continue;
        const double ideal = lo + std::round(u) * (static_cast<double>(hi) - lo) / levels;
        ASSERT_LE(std::fabs(y[i] - ideal), 4 * 0x1p-24 * (std::fabs(lo) + std::fabs(hi))) << "x = " << x[i];
      }
      expect_bits(y, want);
      EXPECT_GE(distinct.size(), 2u);
      EXPECT_LE(distinct.size(), static_cast<size_t>(levels) + 1);
      EXPECT_TRUE(distinct.count(lo));  // x below lo clamps to exactly lo
      // Monotone non-decreasing in x.
      std::vector<size_t> order(x.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t p, size_t q) { return x[p] < x[q]; });
      for (size_t i = 1; i < order.size(); ++i) ASSERT_LE(y[order[i - 1]], y[order[i]]);
      expect_slices_match(rows, ch, y, [&](float* d, int64_t b, int64_t e) {
        QuantUniformArgs s = a;
        s.dst = d;
        quant_uniform_reference(s, b, e);
      });
    }
}

// Inputs within 16 ulp of every rounding boundary lo + (k + 1/2) * (hi - lo) / levels, where the float order
// of the documented formula decides the level: checked bit for bit, and both neighbouring levels must occur.
TEST(ElementwiseReference, QuantUniformNearTies) {
  const float ranges[][2] = {{-1.0f, 1.0f}, {0.0f, 6.0f}, {-0.5f, 3.25f}, {0.1f, 0.7f}};
  for (int bits : {1, 2, 4, 8})
    for (const auto& r : ranges) {
      const float lo = r[0], hi = r[1];
      SCOPED_TRACE(::testing::Message() << "bits " << bits << " [" << lo << ", " << hi << "]");
      const int levels = (1 << bits) - 1;
      std::vector<float> x;
      for (int k = 0; k < levels; ++k) {
        float t = f32(lo + (k + 0.5) * (static_cast<double>(hi) - lo) / levels);
        for (int i = 0; i < 16; ++i) t = std::nextafter(t, -kInf);
        for (int i = 0; i < 33; ++i, t = std::nextafter(t, kInf)) x.push_back(t);
      }
      std::vector<float> y(x.size(), kNaN), want(x.size());
      quant_uniform_reference({bits, lo, hi, 33, x.data(), y.data()}, 0, levels);
      for (size_t i = 0; i < x.size(); ++i) want[i] = quant_emulated(x[i], bits, lo, hi);
      expect_bits(y, want);
      std::set<float> distinct(y.begin(), y.end());
      EXPECT_GE(distinct.size(), static_cast<size_t>(levels));  // near 0 on [-1, 1], x + 1 absorbs the ulps
    }
}

// codes = true gives the level index of the value output, centred: c = 2q - levels, an odd integer, with
// lo + q * step bit for bit the value quant_uniform returns; NaN stays NaN.
TEST(ElementwiseReference, QuantUniformCodes) {
  const float ranges[][2] = {{-1.0f, 1.0f}, {0.0f, 4.0f}, {-3.0f, 3.0f}, {-0.5f, 3.25f}};
  uint64_t salt = 900;
  for (int bits : {1, 2, 4, 8, 16})
    for (const auto& r : ranges) {
      const float lo = r[0], hi = r[1];
      SCOPED_TRACE(::testing::Message() << "bits " << bits << " [" << lo << ", " << hi << "]");
      auto rng = testing::make_rng(++salt);
      const int64_t ch = 17, rows = 30;
      auto x = uniform(rng, rows * ch, lo - 1.0f, hi + 1.0f);
      x[3] = kNaN;
      std::vector<float> values(x.size()), codes(x.size(), kNaN);
      quant_uniform_reference({bits, lo, hi, ch, x.data(), values.data()}, 0, rows);
      quant_uniform_reference({bits, lo, hi, ch, x.data(), codes.data(), true}, 0, rows);
      const int levels = (1 << bits) - 1;
      const float step = (hi - lo) / static_cast<float>(levels);
      std::set<float> distinct;
      for (size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i])) {
          EXPECT_TRUE(std::isnan(codes[i]));
          continue;
        }
        const float c = codes[i];
        ASSERT_EQ(c, std::trunc(c)) << "x = " << x[i];
        const auto ci = static_cast<int64_t>(c);
        ASSERT_EQ(std::abs(ci) % 2, 1) << "x = " << x[i];
        ASSERT_LE(std::abs(ci), levels);
        const float q = static_cast<float>((ci + levels) / 2);
        EXPECT_EQ(std::bit_cast<uint32_t>(lo + q * step), std::bit_cast<uint32_t>(values[i]))
            << "x = " << x[i];
        distinct.insert(c);
      }
      EXPECT_TRUE(distinct.count(static_cast<float>(-levels)));  // below lo
      EXPECT_TRUE(distinct.count(static_cast<float>(levels)));   // above hi
    }
}

TEST(ElementwiseReference, QuantUniformTiesAndSpecials) {
  auto q1 = [](float x, int bits, float lo, float hi) {
    float y = 0.0f;
    quant_uniform_reference({bits, lo, hi, 1, &x, &y}, 0, 1);
    return y;
  };
  // An exact tie (v = 0.5) rounds up; torch.round (half to even) would give -1.
  EXPECT_EQ(q1(0.0f, 1, -1.0f, 1.0f), 1.0f);
  // floorf(v + 0.5f) in float: the largest float below 0.5 also rounds up; the next one down does not.
  EXPECT_EQ(q1(0.49999997f, 1, 0.0f, 1.0f), 1.0f);
  EXPECT_EQ(q1(0.49999994f, 1, 0.0f, 1.0f), 0.0f);
  // 4-bit on [-1, 1] (FracBNN shortcuts): 16 levels, the ends exact.
  EXPECT_EQ(q1(-1.0f, 4, -1.0f, 1.0f), -1.0f);
  EXPECT_EQ(q1(1.0f, 4, -1.0f, 1.0f), 1.0f);
  EXPECT_EQ(q1(-kInf, 4, -1.0f, 1.0f), -1.0f);
  EXPECT_EQ(q1(kInf, 4, -1.0f, 1.0f), 1.0f);
  EXPECT_EQ(q1(0.1f, 4, -1.0f, 1.0f), f32(-1.0 + 8 * static_cast<double>(f32(2.0 / 15))));  // v = 8.25
  EXPECT_TRUE(std::isnan(q1(kNaN, 4, -1.0f, 1.0f)));
}

}  // namespace
}  // namespace bnnkit::kernels
