// Helpers shared by the tests: a replicable random source, ±1 / bit-packed tensor generators, and the sweep
// controls of the kernel-variant tests.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "kernels/common/bits.h"

namespace bnnkit::testing {

// A generator seeded from gtest's --gtest_random_seed (default 0 -> fixed seed 1234) plus a per-test salt, so
// a failure replays with the same seed.
inline std::mt19937_64 make_rng(uint64_t salt = 0) {
  const int gs = ::testing::UnitTest::GetInstance()->random_seed();
  return std::mt19937_64((gs == 0 ? 1234u : static_cast<uint64_t>(gs)) * 0x9E3779B97F4A7C15ull + salt);
}

// Random ±1 floats.
inline std::vector<float> random_pm1(std::mt19937_64& rng, size_t count) {
  std::vector<float> v(count);
  for (auto& x : v) x = (rng() & 1) ? -1.0f : 1.0f;
  return v;
}

// Packs rows of ±1 floats ([rows][channels]) into words, tail bits zero.
inline std::vector<kernels::Word> pack_pm1(const std::vector<float>& v, size_t rows, int channels) {
  const int words = kernels::words_for(channels);
  std::vector<kernels::Word> out(rows * words, 0);
  for (size_t r = 0; r < rows; ++r)
    for (int c = 0; c < channels; ++c)
      if (v[r * channels + c] < 0) out[r * words + c / 64] |= kernels::Word{1} << (c % 64);
  return out;
}

// Unpacks words back into ±1 floats.
inline std::vector<float> unpack_pm1(const kernels::Word* w, size_t rows, int channels) {
  const int words = kernels::words_for(channels);
  std::vector<float> out(rows * channels);
  for (size_t r = 0; r < rows; ++r)
    for (int c = 0; c < channels; ++c)
      out[r * channels + c] = kernels::get_bit(w + r * words, c) ? -1.0f : 1.0f;
  return out;
}

// Random bit-packed rows ([rows][words_for(channels)]) with zero tail bits.
inline std::vector<kernels::Word> random_words(std::mt19937_64& rng, size_t rows, int channels) {
  const int words = kernels::words_for(channels);
  std::vector<kernels::Word> v(rows * words);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = rng() &
           ((i % words == static_cast<size_t>(words - 1)) ? kernels::tail_mask(channels) : ~kernels::Word{0});
  return v;
}

// BNNKIT_TEST_SWEEP=light (the sanitizer pass of scripts/test.sh) runs about a sixth of the variant tests'
// shape sweeps; every variant, output kind and padding mode is still checked.
inline bool light_sweep() {
  const char* v = std::getenv("BNNKIT_TEST_SWEEP");
  return v != nullptr && std::string(v) == "light";
}

// Row cuts [0, a, b, rows] for 3 slices (fewer when there are fewer rows): a variant run slice by slice must
// give the bytes of one call.
inline std::vector<int> three_slices(int rows) {
  std::vector<int> cuts = {0};
  if (rows >= 3) {
    cuts.push_back(rows / 3);
    cuts.push_back(rows / 3 + (rows + 1) / 3);
  } else if (rows == 2) {
    cuts.push_back(1);
  }
  cuts.push_back(rows);
  return cuts;
}

// Fills input `index` of a session with values drawn from `seed`: random bytes for a uint8 input, standard
// normal floats otherwise.
inline void fill_input_random(Session& s, uint64_t seed, int index = 0) {
  std::mt19937_64 rng(seed);
  const TensorView in = s.input(index);
  if (in.dtype == DType::kUInt8) {
    std::vector<uint8_t> x(in.bytes);
    for (auto& b : x) b = static_cast<uint8_t>(rng());
    s.set_input(index, std::span<const uint8_t>(x));
  } else {
    std::normal_distribution<float> d;
    std::vector<float> x(in.bytes / 4);
    for (auto& f : x) f = d(rng);
    s.set_input(index, std::span<const float>(x));
  }
}

// Floats in [-4, 4] with, one in `one_in`, a special value: +-0, subnormals, near-overflow magnitudes, +-inf
// and (only if nans) two NaNs, one with a payload. For the float kernels' variant tests.
inline std::vector<float> awkward_floats(std::mt19937_64& rng, size_t count, bool nans, uint64_t one_in) {
  static const float kSpecial[] = {0.0f,
                                   -0.0f,
                                   std::numeric_limits<float>::denorm_min(),
                                   -1e-40f,
                                   1e38f,
                                   -3e38f,
                                   std::numeric_limits<float>::infinity(),
                                   -std::numeric_limits<float>::infinity(),
                                   std::numeric_limits<float>::quiet_NaN(),
                                   std::bit_cast<float>(0x7fc12345u)};
  const size_t specials = std::size(kSpecial) - (nans ? 0 : 2);
  std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
  std::vector<float> v(count);
  for (auto& x : v) {
    const uint64_t r = rng();
    x = (r % one_in) == 0 ? kSpecial[(r >> 4) % specials] : uniform(rng);
  }
  return v;
}

// Bit for bit; with any_nan, a NaN matches any NaN except in the last `guard` elements (a guard region past
// the output, always compared bit for bit).
inline bool same_float_bytes(const std::vector<float>& a, const std::vector<float>& b, bool any_nan,
                             size_t guard) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (any_nan && i + guard < a.size() && std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

}  // namespace bnnkit::testing
