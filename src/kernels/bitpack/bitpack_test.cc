// Tests of the quantizers in bitpack.h.
//
// bitpack_reference is checked against sign(x - t) computed here (+1 iff the difference is >= 0; NaN -> -1),
// which agrees with the spec x >= t for every finite t, on random data salted with exact boundary values (x
// == t, the neighbouring floats, +-0, +-inf, NaN, subnormals), plus a table of hand-written cases.
// quant2bit_code is checked against the nearest level of {-1, -1/3, 1/3, 1} computed in double away from
// ties, against the exact floats where (x + 1) * 1.5 lands on a tie 0.5 / 1.5 / 2.5 (which must round up),
// for monotonicity, and against a table of specific values. quant2bit_reference is checked plane by plane and
// through the value (2/3) p_msb + (1/3) p_lsb. Every kernel sweep also runs in row slices and checks zero
// tail bits and untouched rows.
#include "kernels/bitpack/bitpack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::make_rng;
using ::bnnkit::testing::unpack_pm1;

constexpr Word kSentinelWord = 0xDEADBEEFCAFEF00Dull;
constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kChannels[] = {1, 3, 63, 64, 65, 96, 127, 128, 129};

uint64_t salt_of(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (const char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

// Checks that words [rows][words_for(channels)] have zero tail bits.
void expect_zero_tails(const std::vector<Word>& w, int64_t rows, int channels) {
  const int words = words_for(channels);
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_EQ(w[r * words + words - 1] & ~tail_mask(channels), 0u) << "tail bits of row " << r;
  }
}

// ---- bitpack
// ---------------------------------------------------------------------------------------------------

// The spec's rule as a table: {x, t, expected bit}.
TEST(BitpackReference, BoundaryTable) {
  const float below_half = std::nextafter(0.5f, 0.0f);
  const float tiny = std::numeric_limits<float>::denorm_min();
  struct Case {
    float x, t;
    int bit;
  };
  const Case cases[] = {
      {0.0f, 0.0f, 0},       {-0.0f, 0.0f, 0},  {0.0f, -0.0f, 0}, {-tiny, 0.0f, 1},  {tiny, 0.0f, 0},
      {kInf, 0.0f, 0},       {-kInf, 0.0f, 1},  {kNaN, 0.0f, 1},  {-kNaN, 0.0f, 1},  {0.5f, 0.5f, 0},
      {below_half, 0.5f, 1}, {-3.0f, -3.0f, 0}, {kInf, kInf, 0},  {-kInf, -kInf, 0}, {1.0f, kNaN, 1},
      {-1.0f, -kInf, 0},     {1e30f, kInf, 1},  {-1.0f, 0.0f, 1}, {1.0f, 0.0f, 0},   {0.25f, 1.0f / 3, 1},
  };
  const int channels = static_cast<int>(std::size(cases));
  std::vector<float> x, t;
  Word want = 0;
  for (int c = 0; c < channels; ++c) {
    x.push_back(cases[c].x);
    t.push_back(cases[c].t);
    if (cases[c].bit) want |= Word{1} << c;
  }
  Word got = kSentinelWord;
  bitpack_reference(BitpackArgs{1, channels, x.data(), t.data(), &got}, 0, 1);
  EXPECT_EQ(got, want);
  // The same values with no threshold array behave as t = 0.
  std::vector<float> zeros(channels, 0.0f);
  Word with_zeros = 0, with_null = kSentinelWord;
  bitpack_reference(BitpackArgs{1, channels, x.data(), zeros.data(), &with_zeros}, 0, 1);
  bitpack_reference(BitpackArgs{1, channels, x.data(), nullptr, &with_null}, 0, 1);
  EXPECT_EQ(with_null, with_zeros);
  // x = (0, -0, -tiny, NaN) with t = 0: bits (0, 0, 1, 1).
  Word four = kSentinelWord;
  const float xs[4] = {0.0f, -0.0f, -tiny, kNaN};
  bitpack_reference(BitpackArgs{1, 4, xs, nullptr, &four}, 0, 1);
  EXPECT_EQ(four, Word{0b1100});
}

using BitpackParam = std::tuple<int, int, bool>;  // rows, channels, with threshold

std::string bitpack_case_name(const ::testing::TestParamInfo<BitpackParam>& info) {
  const auto& [rows, channels, with_threshold] = info.param;
  return "rows" + std::to_string(rows) + "_c" + std::to_string(channels) +
         (with_threshold ? "_threshold" : "_zero");
}

class BitpackSweep : public ::testing::TestWithParam<BitpackParam> {};

TEST_P(BitpackSweep, MatchesSignOfDifferenceAndSlices) {
  const auto& [rows, channels, with_threshold] = GetParam();
  auto rng = make_rng(salt_of("bitpack" + std::to_string(rows) + "_" + std::to_string(channels) +
                              (with_threshold ? "t" : "")));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> t(channels, 0.0f);
  if (with_threshold) {
    for (auto& v : t) v = normal(rng);
  }
  std::vector<float> x(static_cast<size_t>(rows) * channels);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < channels; ++c) {
      const float tc = t[c];
      float v = normal(rng);
      switch (rng() % 12) {  // a third of the inputs sit on or next to a boundary
        case 0:
          v = tc;
          break;
        case 1:
          v = std::nextafter(tc, -kInf);
          break;
        case 2:
          v = std::nextafter(tc, kInf);
          break;
        case 3:
          v = (rng() & 1) ? kInf : -kInf;
          break;
        default:
          break;
      }
      if (rng() % 97 == 0) v = kNaN;
      if (!with_threshold && rng() % 31 == 0) v = (rng() & 1) ? -0.0f : 0.0f;
      x[static_cast<size_t>(r) * channels + c] = v;
    }
  }
  const int words = words_for(channels);
  std::vector<Word> full(static_cast<size_t>(rows) * words, kSentinelWord);
  BitpackArgs a{rows, channels, x.data(), with_threshold ? t.data() : nullptr, full.data()};
  bitpack_reference(a, 0, rows);

  int ones = 0, zeros = 0;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < channels; ++c) {
      const float diff = x[static_cast<size_t>(r) * channels + c] - t[c];
      const bool plus = diff > 0.0f || diff == 0.0f;  // sign(0) = +1; NaN is neither
      const bool bit = get_bit(full.data() + static_cast<size_t>(r) * words, c);
      ASSERT_EQ(bit, !plus) << "row " << r << " channel " << c << " x "
                            << x[static_cast<size_t>(r) * channels + c] << " t " << t[c];
      (bit ? ones : zeros)++;
    }
  }
  expect_zero_tails(full, rows, channels);
  if (rows * channels >= 16) {
    EXPECT_GT(ones, 0) << "MISTRUSTED";
    EXPECT_GT(zeros, 0) << "MISTRUSTED";
  }

  const int r1 = rows / 3, r2 = (2 * rows) / 3 + 1;
  std::vector<Word> sliced(full.size(), kSentinelWord);
  a.dst = sliced.data();
  bitpack_reference(a, r1, r2);
  for (int r = 0; r < rows; ++r) {
    if (r >= r1 && r < r2) continue;
    for (int w = 0; w < words; ++w) ASSERT_EQ(sliced[static_cast<size_t>(r) * words + w], kSentinelWord);
  }
  bitpack_reference(a, 0, r1);
  bitpack_reference(a, r2, rows);
  EXPECT_EQ(sliced, full);
}

INSTANTIATE_TEST_SUITE_P(Sweep, BitpackSweep,
                         ::testing::Combine(::testing::Values(1, 7), ::testing::ValuesIn(kChannels),
                                            ::testing::Bool()),
                         bitpack_case_name);

// ---- quant2bit
// -------------------------------------------------------------------------------------------------

// Hand-checked codes. 0 and -0 give t = 1.5 exactly, a tie, which rounds up to q = 2 (value +1/3).
TEST(Quant2BitCode, SpecificValues) {
  struct Case {
    float x;
    int q;
  };
  const Case cases[] = {
      {-kInf, 0},
      {-5.0f, 0},
      {-1.0f, 0},
      {-0.75f, 0},
      {-0.5f, 1},
      {-1.0f / 3, 1},
      {-1e-3f, 1},
      {-0.0f, 2},
      {0.0f, 2},
      {1e-3f, 2},
      {1.0f / 3, 2},
      {0.5f, 2},
      {0.75f, 3},
      {1.0f, 3},
      {5.0f, 3},
      {kInf, 3},
      {kNaN, 0},
      {-kNaN, 0},
      {std::numeric_limits<float>::denorm_min(), 2},
      {std::numeric_limits<float>::max(), 3},
      {std::numeric_limits<float>::lowest(), 0},
  };
  for (const Case& c : cases) EXPECT_EQ(quant2bit_code(c.x), c.q) << "x = " << c.x;
}

// For each tie k in {0.5, 1.5, 2.5}: scan x on a 2^-25 grid around k / 1.5 - 1 and find the floats where the
// float expression (x + 1) * 1.5 equals k exactly. Each must round UP to q = k + 0.5, and the codes over the
// scan must step from k - 0.5 to k + 0.5 monotonically. For k = 1.5 (x = 0) and 2.5 (x = 0.6666666269...)
// such floats exist; for k = 0.5 none does (x + 1 is a multiple of 2^-24 near 1/3, so the product misses
// 0.5), and the scan only checks the step.
TEST(Quant2BitCode, TiesRoundUp) {
  for (const float k : {0.5f, 1.5f, 2.5f}) {
    const double center = static_cast<float>(k / 1.5 - 1.0);
    int ties = 0, prev = -1;
    bool saw_low = false, saw_high = false;
    for (int i = -256; i <= 256; ++i) {
      const float x = static_cast<float>(center + std::ldexp(static_cast<double>(i), -25));
      const int q = quant2bit_code(x);
      EXPECT_GE(q, prev) << "not monotone at x = " << x;
      prev = q;
      saw_low |= q == static_cast<int>(k - 0.5f);
      saw_high |= q == static_cast<int>(k + 0.5f);
      const float xp1 = x + 1.0f;
      const float t = xp1 * 1.5f;
      if (t == k) {
        ++ties;
        EXPECT_EQ(q, static_cast<int>(k + 0.5f)) << "tie t = " << k << " at x = " << x;
      }
    }
    EXPECT_EQ(ties > 0, k != 0.5f) << "floats x with (x + 1) * 1.5 == " << k << ": " << ties;
    EXPECT_TRUE(saw_low && saw_high) << "scan around tie " << k << " does not cross it";
  }
  EXPECT_EQ(quant2bit_code(0.0f), 2);          // (0 + 1) * 1.5 = 1.5 exactly
  EXPECT_EQ(quant2bit_code(0.666666627f), 3);  // (x + 1) * 1.5 rounds to 2.5 exactly
  EXPECT_EQ((0.666666627f + 1.0f) * 1.5f, 2.5f);
  // The float32 evaluation is the spec, not the exact real: at x = -11184811 * 2^-24, t = 0.5 - 2^-25 < 0.5,
  // but t + 0.5f = 1 - 2^-25 rounds (to even) to 1.0f, so q = 1. An implementation using round(t), or double,
  // gives 0.
  const float x_low = static_cast<float>(std::ldexp(-11184811.0, -24));
  EXPECT_LT((x_low + 1.0f) * 1.5f, 0.5f);
  EXPECT_EQ(quant2bit_code(x_low), 1);
  EXPECT_EQ(quant2bit_code(std::nextafter(x_low, -kInf)), 0);
}

// Random floats in [-1.5, 1.5]: the code is the index of the nearest level of {-1, -1/3, 1/3, 1} to the
// clamped value, computed in double (inputs within 1e-5 of a tie are skipped; ties are tested above), and
// never decreases with x.
TEST(Quant2BitCode, NearestLevelAndMonotone) {
  auto rng = make_rng(salt_of("quant2bit_code"));
  std::uniform_real_distribution<float> dist(-1.5f, 1.5f);
  std::vector<float> xs(200000);
  for (auto& x : xs) x = dist(rng);
  std::sort(xs.begin(), xs.end());
  int prev = 0, checked = 0, seen[4] = {0, 0, 0, 0};
  for (const float x : xs) {
    const int q = quant2bit_code(x);
    ASSERT_GE(q, prev) << "not monotone at x = " << x;
    prev = q;
    ++seen[q];
    const double xc = std::fmin(std::fmax(static_cast<double>(x), -1.0), 1.0);
    const double pos = (xc + 1.0) * 1.5;  // in [0, 3]; levels at the integers
    if (std::fabs(pos - std::floor(pos) - 0.5) < 1e-5) continue;
    ASSERT_EQ(q, static_cast<int>(std::lround(pos))) << "x = " << x;
    ++checked;
  }
  EXPECT_GT(checked, 199000);
  for (int q = 0; q < 4; ++q) EXPECT_GT(seen[q], 1000) << "code " << q;
}

// kQuant2BitThreshold[L - 1] is the first float with code >= L: the float just below it has a lower code.
// With the monotonicity above, that makes "x >= threshold" equal to "code >= L" for every non-NaN float;
// checked again on every float within 2^16 ulps of each threshold and on the extremes.
TEST(Quant2BitCode, ThresholdsAreTheFirstFloatOfEachCode) {
  const float inf = std::numeric_limits<float>::infinity();
  for (int level = 1; level <= 3; ++level) {
    const float t = kQuant2BitThreshold[level - 1];
    EXPECT_GE(quant2bit_code(t), level) << "threshold " << level;
    EXPECT_LT(quant2bit_code(std::nextafter(t, -inf)), level) << "threshold " << level;
    float x = t;
    for (int i = 0; i < 65536; ++i) x = std::nextafter(x, -inf);
    for (int i = 0; i < 2 * 65536; ++i, x = std::nextafter(x, inf))
      ASSERT_EQ(quant2bit_code(x) >= level, x >= t) << "x = " << x << ", level " << level;
  }
  for (const float x : {-inf, -1e30f, -1.0f, -0.0f, 0.0f, 1.0f, 1e30f, inf}) {
    int q = 0;
    for (const float t : kQuant2BitThreshold) q += x >= t;
    EXPECT_EQ(q, quant2bit_code(x)) << x;
  }
}

using Quant2BitParam = std::tuple<int, int>;  // rows, channels

std::string quant2bit_case_name(const ::testing::TestParamInfo<Quant2BitParam>& info) {
  return "rows" + std::to_string(std::get<0>(info.param)) + "_c" + std::to_string(std::get<1>(info.param));
}

class Quant2BitSweep : public ::testing::TestWithParam<Quant2BitParam> {};

TEST_P(Quant2BitSweep, PlanesMatchCodesAndSlices) {
  const auto& [rows, channels] = GetParam();
  auto rng = make_rng(salt_of("quant2bit" + std::to_string(rows) + "_" + std::to_string(channels)));
  std::uniform_real_distribution<float> dist(-1.6f, 1.6f);
  const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 1.0f / 3, -1.0f / 3, kInf, -kInf, kNaN, 7.0f, -7.0f};
  const int special_q[] = {2, 2, 3, 0, 2, 1, 3, 0, 0, 3, 0};
  const size_t count = static_cast<size_t>(rows) * channels;
  std::vector<float> x(count);
  std::vector<int> want_q(count);
  for (size_t i = 0; i < count; ++i) {
    if (rng() % 5 == 0) {
      const size_t s = rng() % std::size(specials);
      x[i] = specials[s];
      want_q[i] = special_q[s];
      continue;
    }
    double pos;
    do {  // away from ties, the code is the nearest level
      x[i] = dist(rng);
      pos = (std::fmin(std::fmax(static_cast<double>(x[i]), -1.0), 1.0) + 1.0) * 1.5;
    } while (std::fabs(pos - std::floor(pos) - 0.5) < 1e-5);
    want_q[i] = static_cast<int>(std::lround(pos));
  }

  const int words = words_for(channels);
  std::vector<Word> msb(static_cast<size_t>(rows) * words, kSentinelWord), lsb(msb.size(), kSentinelWord);
  Quant2BitArgs a{rows, channels, x.data(), msb.data(), lsb.data()};
  quant2bit_reference(a, 0, rows);

  const auto pm = unpack_pm1(msb.data(), rows, channels), pl = unpack_pm1(lsb.data(), rows, channels);
  const double levels[4] = {-1.0, -1.0 / 3, 1.0 / 3, 1.0};
  int seen[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < count; ++i) {
    const int q = want_q[i];
    ++seen[q];
    ASSERT_EQ(pm[i], q >= 2 ? 1.0f : -1.0f) << "msb of element " << i << " x = " << x[i];
    ASSERT_EQ(pl[i], q % 2 == 1 ? 1.0f : -1.0f) << "lsb of element " << i << " x = " << x[i];
    ASSERT_EQ(2 * pm[i] + pl[i], 2 * q - 3) << "3 * value of element " << i;
    ASSERT_NEAR((2.0 / 3) * pm[i] + (1.0 / 3) * pl[i], levels[q], 1e-12);
  }
  expect_zero_tails(msb, rows, channels);
  expect_zero_tails(lsb, rows, channels);
  if (count >= 64) {
    for (int q = 0; q < 4; ++q) EXPECT_GT(seen[q], 0) << "MISTRUSTED: code " << q << " never occurs";
  }

  const int r1 = rows / 3, r2 = (2 * rows) / 3 + 1;
  std::vector<Word> smsb(msb.size(), kSentinelWord), slsb(msb.size(), kSentinelWord);
  a.dst_msb = smsb.data();
  a.dst_lsb = slsb.data();
  quant2bit_reference(a, r1, r2);
  for (int r = 0; r < rows; ++r) {
    if (r >= r1 && r < r2) continue;
    for (int w = 0; w < words; ++w) {
      ASSERT_EQ(smsb[static_cast<size_t>(r) * words + w], kSentinelWord);
      ASSERT_EQ(slsb[static_cast<size_t>(r) * words + w], kSentinelWord);
    }
  }
  quant2bit_reference(a, 0, r1);
  quant2bit_reference(a, r2, rows);
  EXPECT_EQ(smsb, msb);
  EXPECT_EQ(slsb, lsb);
}

INSTANTIATE_TEST_SUITE_P(Sweep, Quant2BitSweep,
                         ::testing::Combine(::testing::Values(1, 7), ::testing::ValuesIn(kChannels)),
                         quant2bit_case_name);

// Four channels x = (-1, -1/3, 1/3, 1) -> q = (0, 1, 2, 3): msb bits (1, 1, 0, 0), lsb bits (1, 0, 1, 0).
TEST(Quant2BitReference, FourLevels) {
  const float x[4] = {-1.0f, -1.0f / 3, 1.0f / 3, 1.0f};
  Word msb = kSentinelWord, lsb = kSentinelWord;
  quant2bit_reference(Quant2BitArgs{1, 4, x, &msb, &lsb}, 0, 1);
  EXPECT_EQ(msb, Word{0b0011});
  EXPECT_EQ(lsb, Word{0b0101});
}

}  // namespace
}  // namespace bnnkit::kernels
