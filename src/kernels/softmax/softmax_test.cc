// Tests of softmax and argmax.
//  - softmax against exp in double: |y_i - exact_i| <= exact_i * (2 * |x_i - max| + cols + 8) * 2^-24 * 1.5
//    (the rounding of x_i - max is amplified by |x_i - max| through exp; the float sum adds cols roundings;
//    expf and the division add a few), and against the documented float order replayed with the same
//    std::exp, bit for bit; large inputs that overflow exp unless the max is subtracted; the NaN / inf rules.
//  - argmax against a naive scan for the first maximum, ties and NaN included.
#include "kernels/softmax/softmax.h"

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

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> uniform(std::mt19937_64& rng, size_t count, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(count);
  for (auto& x : v) x = d(rng);
  return v;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

const float kSentinel = kNaN;

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

TEST(SoftmaxReference, MatchesDoubleAndFloatOrder) {
  uint64_t salt = 0;
  for (int64_t cols : {1, 2, 3, 10, 63, 65, 1000})
    for (int64_t rows : {1, 4, 7}) {
      SCOPED_TRACE(::testing::Message() << "rows " << rows << " cols " << cols);
      auto rng = testing::make_rng(++salt);
      const auto x = uniform(rng, rows * cols, -10.0f, 10.0f);
      std::vector<float> y(x.size(), kNaN);
      const SoftmaxArgs a{cols, x.data(), y.data()};
      softmax_reference(a, 0, rows);
      std::set<float> distinct;
      for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x.data() + r * cols;
        const float* yr = y.data() + r * cols;
        double m = xr[0];
        for (int64_t i = 1; i < cols; ++i) m = std::fmax(m, xr[i]);
        double total = 0.0;
        for (int64_t i = 0; i < cols; ++i) total += std::exp(xr[i] - m);
        // Float replay of the documented order, written with the max taken as in the double pass.
        const float mf = static_cast<float>(m);
        float fsum = 0.0f;
        for (int64_t i = 0; i < cols; ++i) fsum = fsum + std::exp(xr[i] - mf);
        double out_sum = 0.0;
        for (int64_t i = 0; i < cols; ++i) {
          const double exact = std::exp(xr[i] - m) / total;
          const double tol = exact * (2.0 * std::fabs(xr[i] - m) + cols + 8) * 0x1p-24 * 1.5;
          ASSERT_LE(std::fabs(yr[i] - exact), tol) << "row " << r << " col " << i;
          ASSERT_TRUE(same_bits(yr[i], std::exp(xr[i] - mf) / fsum)) << "row " << r << " col " << i;
          out_sum += yr[i];
          distinct.insert(yr[i]);
        }
        EXPECT_NEAR(out_sum, 1.0, (cols + 8) * 0x1p-24 * 2);
      }
      if (cols > 1) {  // with one column every output is exactly 1
        EXPECT_GT(distinct.size(), 1u) << "all outputs identical: mistrusted data";
      }
      // Slices, and in-place use.
      expect_slices_match(rows, cols, y, [&](float* d, int64_t b, int64_t e) {
        softmax_reference({cols, x.data(), d}, b, e);
      });
      auto inplace = x;
      softmax_reference({cols, inplace.data(), inplace.data()}, 0, rows);
      EXPECT_EQ(std::memcmp(inplace.data(), y.data(), y.size() * sizeof(float)), 0);
    }
}

TEST(SoftmaxReference, LargeInputsAndSpecials) {
  float y[3];
  const float big[2] = {1000.0f, 999.0f};  // exp(1000) overflows unless the max is subtracted
  softmax_reference({2, big, y}, 0, 1);
  EXPECT_NEAR(y[0], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(y[1], std::exp(-1.0) / (1.0 + std::exp(-1.0)), 1e-6);
  const float one[1] = {-3.5f};
  softmax_reference({1, one, y}, 0, 1);
  EXPECT_EQ(y[0], 1.0f);
  const float neg_inf[3] = {-kInf, 0.0f, 0.0f};  // -inf is an ordinary value: probability 0
  softmax_reference({3, neg_inf, y}, 0, 1);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 0.5f);
  EXPECT_EQ(y[2], 0.5f);
  // Documented NaN rows: a NaN anywhere, a +inf, or only -inf.
  const float rows[4][3] = {
      {1.0f, kNaN, 2.0f}, {kNaN, 1.0f, 2.0f}, {0.0f, kInf, 1.0f}, {-kInf, -kInf, -kInf}};
  for (const auto& row : rows) {
    softmax_reference({3, row, y}, 0, 1);
    for (float v : y) EXPECT_TRUE(std::isnan(v)) << row[0] << " " << row[1] << " " << row[2];
  }
}

TEST(ArgmaxReference, FirstMaximum) {
  uint64_t salt = 100;
  for (int64_t cols : {1, 2, 3, 10, 63, 65, 1000}) {
    SCOPED_TRACE(::testing::Message() << "cols " << cols);
    auto rng = testing::make_rng(++salt);
    const int64_t rows = 9;
    // Coarse values (multiples of 1/4 in [-2, 2]) so that ties of the maximum are common.
    auto x = uniform(rng, rows * cols, -2.0f, 2.0f);
    for (auto& v : x) v = std::round(v * 4.0f) / 4.0f;
    std::vector<int32_t> got(rows, -1);
    argmax_reference({cols, x.data(), got.data()}, 0, rows);
    std::set<int32_t> distinct;
    for (int64_t r = 0; r < rows; ++r) {
      // Naive: the max value first, then the first index holding it.
      float m = -kInf;
      for (int64_t i = 0; i < cols; ++i) m = std::fmax(m, x[r * cols + i]);
      int64_t first = 0;
      while (x[r * cols + first] != m) ++first;
      EXPECT_EQ(got[r], first) << "row " << r;
      distinct.insert(got[r]);
    }
    if (cols > 3) {
      EXPECT_GT(distinct.size(), 1u) << "all argmaxes identical: mistrusted data";
    }
    const int64_t cut[4] = {0, rows / 3, (2 * rows) / 3, rows};
    for (int s = 0; s < 3; ++s) {  // each slice writes exactly its rows
      std::vector<int32_t> sliced(rows, -1);
      argmax_reference({cols, x.data(), sliced.data()}, cut[s], cut[s + 1]);
      for (int64_t e = 0; e < rows; ++e) ASSERT_EQ(sliced[e], (e >= cut[s] && e < cut[s + 1]) ? got[e] : -1);
    }
  }
}

TEST(ArgmaxReference, TiesAndNaN) {
  auto argmax = [](std::vector<float> row) {
    int32_t i = -1;
    argmax_reference({static_cast<int64_t>(row.size()), row.data(), &i}, 0, 1);
    return i;
  };
  EXPECT_EQ(argmax({1.0f, 3.0f, 3.0f, 2.0f}), 1);  // first of equal maxima
  EXPECT_EQ(argmax({-0.0f, 0.0f}), 0);             // -0.0 and +0.0 tie
  EXPECT_EQ(argmax({0.0f, -0.0f}), 0);
  EXPECT_EQ(argmax({1.0f, kNaN, 5.0f, kNaN}), 1);  // the first NaN wins
  EXPECT_EQ(argmax({kNaN, kInf}), 0);
  EXPECT_EQ(argmax({-kInf, -kInf, -1e30f}), 2);
  EXPECT_EQ(argmax({-kInf, -kInf}), 0);
  EXPECT_EQ(argmax({7.0f}), 0);
}

}  // namespace
}  // namespace bnnkit::kernels
