// Every thermometer variant against thermometer_reference, word for word (tail bits included), for every
// level count the variant accepts, channel counts 1..33 around the vector and word tails, and every pixel
// value 0..255. Pixels run in slices on sentinel-filled outputs. Variants the CPU cannot run are skipped.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/thermometer/thermometer.h"
#include "kernels/thermometer/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr Word kSentinel = 0x5A5A5A5A5A5A5A5Aull;

class ThermometerVariants : public ::testing::TestWithParam<const char*> {};

TEST_P(ThermometerVariants, MatchesReference) {
  const ThermometerVariant* v = thermometer_find(GetParam());
  ASSERT_NE(v, nullptr);
  if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  auto rng = ::bnnkit::testing::make_rng(0x7E);
  int checked = 0;
  for (int levels = 1; levels <= 256; levels *= 2) {
    for (const int channels : {1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33}) {
      if (v->rejects(channels, levels) != nullptr) continue;
      // Pixel values: all 256 in order, then random ones.
      const int64_t pixels = (256 + channels - 1) / channels + 5;
      std::vector<uint8_t> src(pixels * channels);
      for (size_t i = 0; i < src.size(); ++i)
        src[i] = i < 256 ? static_cast<uint8_t>(i) : static_cast<uint8_t>(rng());
      const size_t words = words_for(channels * levels);
      auto run = [&](void (*fn)(const ThermometerArgs&, int64_t, int64_t)) {
        std::vector<Word> dst(pixels * words, kSentinel);
        ThermometerArgs a;
        a.pixels = pixels;
        a.channels = channels;
        a.levels = levels;
        a.src = src.data();
        a.dst = dst.data();
        fn(a, 0, pixels / 3);
        fn(a, pixels / 3, pixels);
        return dst;
      };
      ASSERT_EQ(run(v->run), run(thermometer_reference)) << "levels " << levels << " channels " << channels;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(ThermometerVariantsList, SelectsByLevels) {
  EXPECT_STREQ(thermometer_variants().back().name, "reference");
  EXPECT_STREQ(thermometer_select(3, 16, Isa::kAvx512).name, "portable_words");
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(thermometer_select(3, 32, Isa::kAvx512).name, "avx512_l32");
  }
  EXPECT_EQ(thermometer_find("nope"), nullptr);
}

std::vector<const char*> names() {
  std::vector<const char*> n;
  for (const auto& v : thermometer_variants()) n.push_back(v.name);
  return n;
}

INSTANTIATE_TEST_SUITE_P(All, ThermometerVariants, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

}  // namespace
}  // namespace bnnkit::kernels
