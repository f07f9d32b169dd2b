// Every bitpack and quant2bit variant against its reference, word for word (tail bits included), on rows
// whose channel counts hit the vector and word tails, with the values that decide the rules: NaN, +-0, +-inf,
// values equal to the threshold, and quant2bit's rounding ties and their float neighbours. Rows run in 3
// slices on sentinel-filled outputs. Variants the CPU cannot run are skipped with a message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/bitpack/bitpack.h"
#include "kernels/bitpack/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr Word kSentinel = 0xA5A5A5A5A5A5A5A5ull;
constexpr int kChannels[] = {1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200};
constexpr int64_t kRows = 7;

// Mostly values in [-1.6, 1.6], plus the special and boundary values.
std::vector<float> random_floats(std::mt19937_64& rng, size_t count) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  // quant2bit ties: (x + 1) * 1.5 + 0.5 in {1, 2, 3}, i.e. x near -2/3, 0, 2/3; and the clamp points +-1.
  const float specials[] = {nan,   -nan,         inf,         -inf,   0.0f,    -0.0f, 1.0f,
                            -1.0f, -2.0f / 3.0f, 2.0f / 3.0f, 1e-30f, -1e-30f, 0.25f, -0.25f};
  std::uniform_real_distribution<float> u(-1.6f, 1.6f);
  std::vector<float> v(count);
  for (auto& x : v) {
    const auto r = rng() % 8;
    if (r == 0) {
      x = specials[rng() % std::size(specials)];
    } else if (r == 1) {
      const float s = specials[4 + rng() % (std::size(specials) - 4)];
      x = std::nextafter(s, (rng() & 1) ? inf : -inf);
    } else {
      x = u(rng);
    }
  }
  return v;
}

template <typename Fn>
std::vector<Word> run_slices(Fn fn, size_t words_total) {
  std::vector<Word> out(words_total, kSentinel);
  fn(out.data(), 0, 2);
  fn(out.data(), 2, 5);
  fn(out.data(), 5, kRows);
  return out;
}

class BitpackVariants : public ::testing::TestWithParam<const char*> {};
class Quant2BitVariants : public ::testing::TestWithParam<const char*> {};

TEST_P(BitpackVariants, MatchesReference) {
  const BitpackVariant* v = bitpack_find(GetParam());
  ASSERT_NE(v, nullptr);
  if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  auto rng = ::bnnkit::testing::make_rng(0xB0);
  for (const int channels : kChannels) {
    for (const bool with_threshold : {false, true}) {
      const auto src = random_floats(rng, kRows * channels);
      auto thr = random_floats(rng, channels);
      // Thresholds equal to some inputs, so x == t (-> +1) occurs.
      for (int c = 0; c < channels; c += 3) thr[c] = src[c];
      BitpackArgs a;
      a.rows = kRows;
      a.channels = channels;
      a.src = src.data();
      a.threshold = with_threshold ? thr.data() : nullptr;
      const size_t total = kRows * words_for(channels);
      auto run = [&](auto fn) {
        return run_slices(
            [&](Word* dst, int64_t r0, int64_t r1) {
              BitpackArgs b = a;
              b.dst = dst;
              fn(b, r0, r1);
            },
            total);
      };
      ASSERT_EQ(run(v->run), run(bitpack_reference))
          << "channels " << channels << " threshold " << with_threshold;
    }
  }
}

TEST_P(Quant2BitVariants, MatchesReference) {
  const Quant2BitVariant* v = quant2bit_find(GetParam());
  ASSERT_NE(v, nullptr);
  if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  auto rng = ::bnnkit::testing::make_rng(0xB1);
  for (const int channels : kChannels) {
    const auto src = random_floats(rng, kRows * channels);
    const size_t total = kRows * words_for(channels);
    auto run = [&](void (*fn)(const Quant2BitArgs&, int64_t, int64_t)) {
      std::vector<Word> msb(total, kSentinel), lsb(total, kSentinel);
      Quant2BitArgs a;
      a.rows = kRows;
      a.channels = channels;
      a.src = src.data();
      a.dst_msb = msb.data();
      a.dst_lsb = lsb.data();
      fn(a, 0, 3);
      fn(a, 3, kRows);
      msb.insert(msb.end(), lsb.begin(), lsb.end());
      return msb;
    };
    ASSERT_EQ(run(v->run), run(quant2bit_reference)) << "channels " << channels;
  }
}

TEST(BitpackVariantsList, ReferenceLast) {
  EXPECT_STREQ(bitpack_variants().back().name, "reference");
  EXPECT_STREQ(quant2bit_variants().back().name, "reference");
  EXPECT_STREQ(bitpack_select(Isa::kPortable).name, "reference");
  EXPECT_TRUE(cpu_supports(bitpack_select(Isa::kAvx512).isa));
  EXPECT_TRUE(cpu_supports(quant2bit_select(Isa::kAvx512).isa));
  EXPECT_EQ(bitpack_find("nope"), nullptr);
}

std::vector<const char*> bitpack_names() {
  std::vector<const char*> n;
  for (const auto& v : bitpack_variants()) n.push_back(v.name);
  return n;
}
std::vector<const char*> quant2bit_names() {
  std::vector<const char*> n;
  for (const auto& v : quant2bit_variants()) n.push_back(v.name);
  return n;
}

INSTANTIATE_TEST_SUITE_P(All, BitpackVariants, ::testing::ValuesIn(bitpack_names()),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });
INSTANTIATE_TEST_SUITE_P(All, Quant2BitVariants, ::testing::ValuesIn(quant2bit_names()),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

}  // namespace
}  // namespace bnnkit::kernels
