// Tests of thermometer_reference. The expected level count is computed here in double as floor(p / res + 0.5)
// with res = 256 / L (round half up), for every pixel value 0..255 in every channel, for L in {1, 2, 8, 32,
// 256}; output channel c * L + i must be +1 (bit 0) iff i < n, tail bits zero. Pixel slices must match one
// full call and touch nothing else. Hand-checked values pin FracBNN's 32-level case.
#include "kernels/thermometer/thermometer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::make_rng;

constexpr Word kSentinelWord = 0x0123456789ABCDEFull;

static_assert(thermometer_levels_valid(32));
static_assert(!thermometer_levels_valid(0));

TEST(ThermometerLevelsValid, ExactlyThePowersOfTwoUpTo256) {
  for (int levels = -3; levels <= 600; ++levels) {
    const bool power_of_two = levels > 0 && (levels & (levels - 1)) == 0;
    EXPECT_EQ(thermometer_levels_valid(levels), power_of_two && levels <= 256) << "levels " << levels;
  }
  EXPECT_TRUE(thermometer_levels_valid(1));
  EXPECT_TRUE(thermometer_levels_valid(256));
  EXPECT_FALSE(thermometer_levels_valid(24));
  EXPECT_FALSE(thermometer_levels_valid(512));
}

using ThermoParam = std::tuple<int, int>;  // levels, channels

std::string thermo_case_name(const ::testing::TestParamInfo<ThermoParam>& info) {
  return "levels" + std::to_string(std::get<0>(info.param)) + "_c" + std::to_string(std::get<1>(info.param));
}

class ThermometerSweep : public ::testing::TestWithParam<ThermoParam> {};

TEST_P(ThermometerSweep, EveryPixelValueAndSlices) {
  const auto [levels, channels] = GetParam();
  auto rng = make_rng(static_cast<uint64_t>(levels) * 1000 + channels);
  // 256 pixels; channel c of pixel k holds (k + 37 c) mod 256, so every value occurs in every channel; then a
  // few random pixels.
  const int pixels = 256 + 5;
  std::vector<uint8_t> src(static_cast<size_t>(pixels) * channels);
  for (int k = 0; k < pixels; ++k)
    for (int c = 0; c < channels; ++c)
      src[static_cast<size_t>(k) * channels + c] =
          static_cast<uint8_t>(k < 256 ? (k + 37 * c) % 256 : rng() % 256);

  const int bits = channels * levels, words = words_for(bits);
  std::vector<Word> full(static_cast<size_t>(pixels) * words, kSentinelWord);
  ThermometerArgs a{pixels, channels, levels, src.data(), full.data()};
  thermometer_reference(a, 0, pixels);

  const double res = 256.0 / levels;
  int ones = 0, zeros = 0;
  for (int k = 0; k < pixels; ++k) {
    const Word* row = full.data() + static_cast<size_t>(k) * words;
    for (int c = 0; c < channels; ++c) {
      const int p = src[static_cast<size_t>(k) * channels + c];
      const int n = static_cast<int>(std::floor(p / res + 0.5));
      ASSERT_GE(n, 0);
      ASSERT_LE(n, levels);
      for (int i = 0; i < levels; ++i) {
        const bool bit = get_bit(row, c * levels + i);
        ASSERT_EQ(bit, i >= n) << "pixel value " << p << " channel " << c << " level " << i << " (n = " << n
                               << ")";
        (bit ? ones : zeros)++;
      }
    }
    if (bits % kWordBits != 0) {
      ASSERT_EQ(row[words - 1] & ~tail_mask(bits), 0u) << "tail bits of pixel " << k;
    }
  }
  EXPECT_GT(ones, 0) << "MISTRUSTED";
  EXPECT_GT(zeros, 0) << "MISTRUSTED";

  const int p1 = 100, p2 = 200;
  std::vector<Word> sliced(full.size(), kSentinelWord);
  a.dst = sliced.data();
  thermometer_reference(a, p1, p2);
  for (int k = 0; k < pixels; ++k) {
    if (k >= p1 && k < p2) continue;
    for (int w = 0; w < words; ++w) ASSERT_EQ(sliced[static_cast<size_t>(k) * words + w], kSentinelWord);
  }
  thermometer_reference(a, 0, p1);
  thermometer_reference(a, p2, pixels);
  EXPECT_EQ(sliced, full);
}

INSTANTIATE_TEST_SUITE_P(Sweep, ThermometerSweep,
                         ::testing::Combine(::testing::Values(1, 2, 8, 32, 256), ::testing::Values(1, 2, 3)),
                         thermo_case_name);

// Number of +1 levels (bit 0) in one channel's L bits.
int plus_levels(uint8_t p, int levels) {
  std::vector<Word> out(words_for(levels), kSentinelWord);
  thermometer_reference(ThermometerArgs{1, 1, levels, &p, out.data()}, 0, 1);
  int n = 0;
  for (int i = 0; i < levels; ++i) n += get_bit(out.data(), i) ? 0 : 1;
  return n;
}

// FracBNN's resolution 8 (32 levels): n = round(p / 8) with ties up. Also 8 levels (res 32) and 256 (n = p).
TEST(ThermometerReference, HandCheckedLevelCounts) {
  const int p32[][2] = {{0, 0},    {3, 0},    {4, 1},    {11, 1},   {12, 2},  {127, 16},
                        {128, 16}, {132, 17}, {251, 31}, {252, 32}, {255, 32}};
  for (const auto& c : p32) EXPECT_EQ(plus_levels(static_cast<uint8_t>(c[0]), 32), c[1]) << "p = " << c[0];
  const int p8[][2] = {{0, 0}, {15, 0}, {16, 1}, {47, 1}, {48, 2}, {239, 7}, {240, 8}, {255, 8}};
  for (const auto& c : p8) EXPECT_EQ(plus_levels(static_cast<uint8_t>(c[0]), 8), c[1]) << "p = " << c[0];
  EXPECT_EQ(plus_levels(0, 256), 0);
  EXPECT_EQ(plus_levels(77, 256), 77);
  EXPECT_EQ(plus_levels(255, 256), 255);
  EXPECT_EQ(plus_levels(127, 1), 0);
  EXPECT_EQ(plus_levels(128, 1), 1);
}

// One channel, 32 levels, p = 100: n = (100 + 4) / 8 = 13, so levels 13..31 are -1 (bits set), 0..12 are +1
// and bits 32..63 are tail (zero). Two channels (100, 255) in 64 bits: the second channel is all +1.
TEST(ThermometerReference, ExactWords) {
  const uint8_t one[1] = {100};
  Word w = kSentinelWord;
  thermometer_reference(ThermometerArgs{1, 1, 32, one, &w}, 0, 1);
  EXPECT_EQ(w, Word{0xFFFFE000});
  const uint8_t two[2] = {100, 255};
  thermometer_reference(ThermometerArgs{1, 2, 32, two, &w}, 0, 1);
  EXPECT_EQ(w, Word{0xFFFFE000});
  const uint8_t dark[2] = {255, 0};
  thermometer_reference(ThermometerArgs{1, 2, 32, dark, &w}, 0, 1);
  EXPECT_EQ(w, Word{0xFFFFFFFF00000000});
}

}  // namespace
}  // namespace bnnkit::kernels
