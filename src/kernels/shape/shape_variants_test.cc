// Every channel-reshaping variant against the reference, bit for bit (the whole output and a guard past its
// end): channel_group_avg for group sizes 1..9 (9 takes the reference's loop) with 0, 1 and g - 1 trailing
// channels ignored, output counts around the vector widths; the zero pad, tile and duplicate over channel
// counts that are not multiples of 8 or 16. Pixels run in three slices. Inputs mix ordinary values with +-0,
// subnormals, huge values and +-inf, so any change of the summation order or of the first add
// (0.0f + -0.0f = +0.0f) shows; a second pass adds NaNs (the copies must keep their bits; an average accepts
// any NaN for a NaN: with two NaN operands the payload is the compiler's choice). The sources are exactly
// sized so a read past the last pixel faults under ASan. Variants the CPU cannot run are skipped.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/shape/shape.h"
#include "kernels/shape/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr int kGuard = 37;
constexpr uint32_t kSentinel = 0x7fa5a5a5u;
constexpr int kPixels = 7;

std::vector<float> awkward_floats(std::mt19937_64& rng, size_t count, bool nans) {
  return ::bnnkit::testing::awkward_floats(rng, count, nans, 8);
}

// Output channel counts: 1..40 (every tail of both widths), then a few whole and odd blocks.
std::vector<int64_t> channel_counts() {
  std::vector<int64_t> c;
  const int step = ::bnnkit::testing::light_sweep() ? 5 : 1;
  for (int64_t i = 1; i <= 40; i += step) c.push_back(i);
  for (int64_t i : {47, 64, 129}) c.push_back(i);
  return c;
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b, bool any_nan) {
  return ::bnnkit::testing::same_float_bytes(a, b, any_nan, kGuard);
}

// Runs fn over kPixels pixels in three slices into a fresh sentinel-filled buffer of out_channels per pixel.
template <class Args>
std::vector<float> run(void (*fn)(const Args&, int64_t, int64_t), Args a, int64_t out_channels) {
  std::vector<float> dst(static_cast<size_t>(kPixels * out_channels) + kGuard,
                         std::bit_cast<float>(kSentinel));
  a.dst = dst.data();
  const std::vector<int> cuts = ::bnnkit::testing::three_slices(kPixels);
  for (size_t i = 0; i + 1 < cuts.size(); ++i) fn(a, cuts[i], cuts[i + 1]);
  return dst;
}

class ShapeVariants : public ::testing::TestWithParam<const char*> {
 protected:
  const ShapeVariant* v = nullptr;
  std::mt19937_64 rng = ::bnnkit::testing::make_rng(0x5ba9e);

  void SetUp() override {
    v = shape_find(GetParam());
    ASSERT_NE(v, nullptr);
    if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  }
};

TEST_P(ShapeVariants, ChannelGroupAvg) {
  if (v->channel_group_avg == nullptr) GTEST_SKIP() << v->name << " has no channel_group_avg";
  for (const bool nans : {false, true}) {
    for (int g = 1; g <= 9; ++g) {
      for (const int64_t oc : channel_counts()) {
        for (const int64_t trailing : {int64_t{0}, int64_t{1}, int64_t{g - 1}}) {
          const int64_t ic = oc * g + trailing;
          if (trailing >= oc && trailing > 0) continue;  // ic / oc must stay g
          const std::vector<float> src = awkward_floats(rng, static_cast<size_t>(kPixels * ic), nans);
          const ChannelMapArgs a{ic, oc, src.data(), nullptr};
          ASSERT_TRUE(
              same_bytes(run(v->channel_group_avg, a, oc), run(channel_group_avg_reference, a, oc), nans))
              << "nans " << nans << ", g " << g << ", oc " << oc << ", ic " << ic;
        }
      }
    }
  }
}

TEST_P(ShapeVariants, ChannelZeroPad) {
  if (v->channel_zero_pad == nullptr) GTEST_SKIP() << v->name << " has no channel_zero_pad";
  for (const bool nans : {false, true}) {
    for (const int64_t ic : channel_counts()) {
      for (const int64_t extra : {0, 1, 5, 16, 23, 192}) {
        const int64_t oc = ic + extra;
        const std::vector<float> src = awkward_floats(rng, static_cast<size_t>(kPixels * ic), nans);
        const ChannelMapArgs a{ic, oc, src.data(), nullptr};
        ASSERT_TRUE(
            same_bytes(run(v->channel_zero_pad, a, oc), run(channel_zero_pad_reference, a, oc), false))
            << "nans " << nans << ", ic " << ic << ", oc " << oc;
      }
    }
  }
}

TEST_P(ShapeVariants, ChannelTile) {
  if (v->channel_tile == nullptr) GTEST_SKIP() << v->name << " has no channel_tile";
  for (const bool nans : {false, true}) {
    for (const int64_t ic : channel_counts()) {
      for (const int64_t times : {1, 2, 3, 4}) {
        const int64_t oc = ic * times;
        const std::vector<float> src = awkward_floats(rng, static_cast<size_t>(kPixels * ic), nans);
        const ChannelMapArgs a{ic, oc, src.data(), nullptr};
        ASSERT_TRUE(same_bytes(run(v->channel_tile, a, oc), run(channel_tile_reference, a, oc), false))
            << "nans " << nans << ", ic " << ic << ", oc " << oc;
      }
    }
  }
}

TEST_P(ShapeVariants, ChannelDuplicate) {
  if (v->channel_duplicate == nullptr) GTEST_SKIP() << v->name << " has no channel_duplicate";
  for (const bool nans : {false, true}) {
    for (const int64_t ic : channel_counts()) {
      for (const int times : {1, 2, 3, 4}) {
        const std::vector<float> src = awkward_floats(rng, static_cast<size_t>(kPixels * ic), nans);
        const ChannelDuplicateArgs a{ic, times, src.data(), nullptr};
        ASSERT_TRUE(same_bytes(run(v->channel_duplicate, a, ic * times),
                               run(channel_duplicate_reference, a, ic * times), false))
            << "nans " << nans << ", ic " << ic << ", times " << times;
      }
    }
  }
}

TEST(ShapeVariantsList, Selection) {
  EXPECT_STREQ(shape_variants().back().name, "reference");
  EXPECT_EQ(shape_find("nope"), nullptr);
  EXPECT_STREQ(shape_select(&ShapeVariant::channel_group_avg, Isa::kPortable).name, "portable_fixed_g");
  EXPECT_STREQ(shape_select(&ShapeVariant::channel_duplicate, Isa::kPortable).name, "reference");
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(shape_select(&ShapeVariant::channel_group_avg, Isa::kAvx512).name, "avx512_16");
  }
  if (cpu_supports(Isa::kAvx2)) {
    EXPECT_STREQ(shape_select(&ShapeVariant::channel_zero_pad, Isa::kAvx2).name, "avx2_8");
  }
}

std::vector<const char*> names() {
  std::vector<const char*> n;
  for (const auto& v : shape_variants()) n.push_back(v.name);
  return n;
}

INSTANTIATE_TEST_SUITE_P(All, ShapeVariants, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

}  // namespace
}  // namespace bnnkit::kernels
