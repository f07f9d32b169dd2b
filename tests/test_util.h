// Helpers shared by the tests: a replicable random source and ±1 / bit-packed tensor generators.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

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

}  // namespace bnnkit::testing
