// Tests of the float dense reference against independent math: a transposed-weight dot product in doubles
// within the rigorous bound |y - exact| <= (ic + 2) * 2^-24 * (sum_k |x_k * w_k| + |bias|) * 1.01, and the
// documented float order replayed bit for bit; plus hand-made cases for the order, the bias and FMA.
#include "kernels/dense/dense.h"

#include <gtest/gtest.h>

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

void check_dense(int n, int ic, int oc, bool with_bias, uint64_t salt) {
  SCOPED_TRACE(::testing::Message() << "n" << n << " ic" << ic << " oc" << oc << (with_bias ? " bias" : ""));
  auto rng = testing::make_rng(salt);
  const auto src = uniform(rng, static_cast<size_t>(n) * ic, -2.0f, 2.0f);
  const auto w = uniform(rng, static_cast<size_t>(oc) * ic, -1.0f, 1.0f);
  const auto bias = uniform(rng, oc, -1.0f, 1.0f);
  // The test's own weight copy is transposed ([ic][oc]) so it indexes differently from the kernel.
  std::vector<float> wt(static_cast<size_t>(ic) * oc);
  for (int o = 0; o < oc; ++o)
    for (int k = 0; k < ic; ++k) wt[static_cast<size_t>(k) * oc + o] = w[static_cast<size_t>(o) * ic + k];

  std::vector<float> dst(static_cast<size_t>(n) * oc, std::numeric_limits<float>::quiet_NaN());
  const DenseArgs args{n, ic, oc, src.data(), w.data(), with_bias ? bias.data() : nullptr, dst.data()};
  dense_reference(args, 0, n);

  std::set<float> distinct;
  for (int b = 0; b < n; ++b) {
    for (int o = 0; o < oc; ++o) {
      double exact = 0.0, mag = 0.0;
      float replay = 0.0f;
      for (int k = 0; k < ic; ++k) {
        const float x = src[static_cast<size_t>(b) * ic + k], wv = wt[static_cast<size_t>(k) * oc + o];
        exact += static_cast<double>(x) * wv;
        mag += std::fabs(static_cast<double>(x) * wv);
        const float p = x * wv;
        replay = replay + p;
      }
      if (with_bias) {
        exact += bias[o];
        mag += std::fabs(bias[o]);
        replay = replay + bias[o];
      }
      const float got = dst[static_cast<size_t>(b) * oc + o];
      ASSERT_LE(std::fabs(got - exact), (ic + 2) * kUnit * mag * 1.01) << "b " << b << " o " << o;
      ASSERT_TRUE(same_bits(got, replay)) << "b " << b << " o " << o << ": " << got << " vs " << replay;
      distinct.insert(got);
    }
  }
  if (dst.size() > 1) {
    EXPECT_GT(distinct.size(), 1u) << "all outputs identical: mistrusted data";
  }

  expect_slices_match(n, oc, dst, [&](float* d, int b, int e) {
    DenseArgs sa = args;
    sa.dst = d;
    dense_reference(sa, b, e);
  });
}

TEST(DenseReference, ShapeSweep) {
  uint64_t salt = 0;
  for (int n : {1, 3, 7})
    for (int ic : {1, 3, 5, 16, 63, 65, 1024})
      for (int oc : {1, 5, 10, 65}) {
        ++salt;
        check_dense(n, ic, oc, (salt % 3) != 0, salt);
      }
}

TEST(DenseReference, EvaluationOrderAndBiasLast) {
  const float big = 1e8f;
  ASSERT_EQ(big + 1.0f, big);
  const float ones[3] = {1.0f, 1.0f, 1.0f};
  float dst = -7.0f;
  const float fwd[3] = {big, -big, 1.0f};  // in order: 1; reversed: 0
  dense_reference({1, 3, 1, fwd, ones, nullptr, &dst}, 0, 1);
  EXPECT_EQ(dst, 1.0f);
  const float lost[3] = {1.0f, big, -big};  // in order: 0 (the 1 is absorbed); reversed: 1
  dense_reference({1, 3, 1, lost, ones, nullptr, &dst}, 0, 1);
  EXPECT_EQ(dst, 0.0f);
  const float two[2] = {big, -big};
  const float b = 1.0f;  // bias last: 0 + 1 = 1; bias first: (1 + 1e8) - 1e8 = 0
  dense_reference({1, 2, 1, two, ones, &b, &dst}, 0, 1);
  EXPECT_EQ(dst, 1.0f);
}

TEST(DenseReference, NoFusedMultiplyAdd) {
  const float e = 1.0f + 0x1p-12f;
  const float src[2] = {-1.0f, e};
  const float w[2] = {1.0f, e};
  float dst = 0.0f;
  dense_reference({1, 2, 1, src, w, nullptr, &dst}, 0, 1);
  EXPECT_EQ(dst, 0x1p-11f);  // an FMA would give 2^-11 + 2^-24
}

}  // namespace
}  // namespace bnnkit::kernels
