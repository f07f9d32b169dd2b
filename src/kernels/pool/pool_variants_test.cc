// Every average-pool variant against the reference, byte for byte (memcmp of the whole output, a guard past
// the end included): avg_pool2d over windows, strides, symmetric and asymmetric padding, both count modes,
// and global_avg_pool over several image sizes; channel counts 1..70 and 129, rows / images in three slices.
// Inputs mix ordinary values with +-0, denormals, huge values and +-inf, so any change of the summation order
// or of the first add (0.0f + -0.0f = +0.0f) shows; a second pass adds NaNs and accepts any NaN for a NaN
// (with two NaN operands the payload is the compiler's choice, see elementwise.h). Variants the CPU cannot
// run are skipped.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/pool/pool.h"
#include "kernels/pool/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr int kGuard = 37;
constexpr uint32_t kSentinel = 0x7fa5a5a5u;

std::vector<float> awkward_floats(std::mt19937_64& rng, size_t count, bool nans) {
  return ::bnnkit::testing::awkward_floats(rng, count, nans, 16);
}

std::vector<int64_t> channel_counts() {
  std::vector<int64_t> c;
  const int step = ::bnnkit::testing::light_sweep() ? 7 : 1;
  for (int64_t i = 1; i <= 70; i += step) c.push_back(i);
  c.push_back(129);
  return c;
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b, bool any_nan) {
  return ::bnnkit::testing::same_float_bytes(a, b, any_nan, kGuard);
}

class PoolVariants : public ::testing::TestWithParam<const char*> {
 protected:
  const PoolVariant* v = nullptr;
  std::mt19937_64 rng = ::bnnkit::testing::make_rng(0x9001);

  void SetUp() override {
    v = pool_find(GetParam());
    ASSERT_NE(v, nullptr);
    if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  }
};

TEST_P(PoolVariants, AvgPool2d) {
  struct Window {
    int kh, kw, sh, sw, ph, pw, ph_end, pw_end;
  };
  // FracBNN's 2x2/2, PokeBNN's 3x3/2 SAME (0 before, 1 after), symmetric 3x3/1 pad 1, a non-square one.
  const Window windows[] = {{2, 2, 2, 2, 0, 0, -1, -1},
                            {3, 3, 2, 2, 0, 0, 1, 1},
                            {3, 3, 1, 1, 1, 1, -1, -1},
                            {2, 3, 1, 2, 1, 0, 0, 2}};
  for (const bool nans : {false, true}) {
    for (const Window& w : windows) {
      for (const bool include_pad : {true, false}) {
        for (const int64_t ch : channel_counts()) {
          AvgPool2dArgs a;
          a.g.n = 2, a.g.ih = 5, a.g.iw = 6, a.g.ic = a.g.oc = static_cast<int>(ch);
          a.g.kh = w.kh, a.g.kw = w.kw, a.g.sh = w.sh, a.g.sw = w.sw, a.g.ph = w.ph, a.g.pw = w.pw;
          a.ph_end = w.ph_end, a.pw_end = w.pw_end;
          a.count_include_pad = include_pad;
          const std::vector<float> src =
              awkward_floats(rng, static_cast<size_t>(a.g.n) * a.g.ih * a.g.iw * a.g.ic, nans);
          a.src = src.data();
          const size_t out = static_cast<size_t>(a.out_rows()) * a.ow() * a.g.ic;
          auto run = [&](void (*fn)(const AvgPool2dArgs&, int, int)) {
            std::vector<float> dst(out + kGuard, std::bit_cast<float>(kSentinel));
            AvgPool2dArgs b = a;
            b.dst = dst.data();
            const std::vector<int> cuts = ::bnnkit::testing::three_slices(a.out_rows());
            for (size_t i = 0; i + 1 < cuts.size(); ++i) fn(b, cuts[i], cuts[i + 1]);
            return dst;
          };
          ASSERT_TRUE(same_bytes(run(v->avg_pool2d), run(avg_pool2d_reference), nans))
              << "nans " << nans << ", window " << w.kh << "x" << w.kw << "/" << w.sh << "x" << w.sw
              << " pad " << w.ph << "," << w.pw << " end " << w.ph_end << "," << w.pw_end << " include_pad "
              << include_pad << " channels " << ch;
        }
      }
    }
  }
}

TEST_P(PoolVariants, GlobalAvgPool) {
  for (const bool nans : {false, true}) {
    for (const auto& [h, w] : {std::pair{1, 1}, std::pair{3, 5}, std::pair{8, 8}}) {
      for (const int64_t ch : channel_counts()) {
        GlobalAvgPoolArgs a{4, h, w, static_cast<int>(ch)};
        const std::vector<float> src = awkward_floats(rng, static_cast<size_t>(a.n) * h * w * a.c, nans);
        a.src = src.data();
        auto run = [&](void (*fn)(const GlobalAvgPoolArgs&, int, int)) {
          std::vector<float> dst(static_cast<size_t>(a.n) * a.c + kGuard, std::bit_cast<float>(kSentinel));
          GlobalAvgPoolArgs b = a;
          b.dst = dst.data();
          const std::vector<int> cuts = ::bnnkit::testing::three_slices(a.n);
          for (size_t i = 0; i + 1 < cuts.size(); ++i) fn(b, cuts[i], cuts[i + 1]);
          return dst;
        };
        ASSERT_TRUE(same_bytes(run(v->global_avg_pool), run(global_avg_pool_reference), nans))
            << "nans " << nans << ", " << h << "x" << w << " channels " << ch;
      }
    }
  }
}

TEST(PoolVariantsList, Selection) {
  EXPECT_STREQ(pool_variants().back().name, "reference");
  EXPECT_EQ(pool_find("nope"), nullptr);
  EXPECT_STREQ(pool_select(&PoolVariant::avg_pool2d, Isa::kPortable).name, "reference");
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(pool_select(&PoolVariant::global_avg_pool, Isa::kAvx512).name, "avx512_16");
  }
}

std::vector<const char*> names() {
  std::vector<const char*> n;
  for (const auto& v : pool_variants()) n.push_back(v.name);
  return n;
}

INSTANTIATE_TEST_SUITE_P(All, PoolVariants, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

}  // namespace
}  // namespace bnnkit::kernels
