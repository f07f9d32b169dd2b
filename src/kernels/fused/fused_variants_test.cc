// The fused chain: its reference against the single-op references run one after the other over whole
// tensors (what the unfused graph does), and every variant against the reference, byte for byte, on random
// chains of every op kind (Add with the value on either side, every activation), with and without a packer
// (sign with and without thresholds, 2-bit), with and without the float output. Channel counts hit the
// vector tails, the word tails and rows longer than a tile (split into parts); rows cross tile and image
// boundaries and run in three slices on sentinel-filled outputs.
//
// NaNs: in the byte-for-byte pass only the chain's input holds NaNs (parameters and other operands get the
// other awkward values: infinities, zeros, huge values, which make NaNs inside the chain), so no operation
// sees two NaN operands. A second pass puts NaNs everywhere and accepts any NaN where the expected value is
// a NaN (with two NaN operands the payload is unspecified, kernels/elementwise/elementwise.h).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/bitpack/bitpack.h"
#include "kernels/fused/fused.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr uint32_t kSentinel = 0x7fa5a5a5u;  // a NaN no op produces
constexpr Word kWordSentinel = 0xA5A5A5A5A5A5A5A5ull;
constexpr int kGuard = 37;
constexpr int kImages = 2;

std::vector<float> awkward(std::mt19937_64& rng, size_t count, bool nans) {
  static const float kSpecial[] = {0.0f,
                                   -0.0f,
                                   std::numeric_limits<float>::denorm_min(),
                                   1e30f,
                                   -1e30f,
                                   std::numeric_limits<float>::infinity(),
                                   -std::numeric_limits<float>::infinity(),
                                   1.0f,
                                   -1.0f,
                                   3.0f,
                                   -3.0f,
                                   6.0f,
                                   std::numeric_limits<float>::quiet_NaN(),
                                   std::bit_cast<float>(0xffc00000u),
                                   std::bit_cast<float>(0x7fc12345u)};
  const size_t specials = std::size(kSpecial) - (nans ? 0 : 3);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> v(count);
  for (auto& x : v) {
    const uint64_t r = rng();
    x = (r % 8) == 0 ? kSpecial[(r >> 3) % specials] : u(rng);
  }
  return v;
}

// A random chain over [rows][channels] with the storage its pointers refer to.
struct Chain {
  int64_t rows, channels, pixels;
  std::vector<float> src, threshold;
  std::vector<std::vector<float>> data;  // parameters and other operands
  FusedChainArgs args;

  const float* keep(std::vector<float> v) {
    data.push_back(std::move(v));
    return data.back().data();
  }
};

Chain random_chain(std::mt19937_64& rng, int64_t pixels, int64_t channels, bool nans_everywhere) {
  Chain c;
  c.pixels = pixels;
  c.rows = pixels * kImages;
  c.channels = channels;
  c.data.reserve(64);
  const size_t n = static_cast<size_t>(c.rows * channels), ch = static_cast<size_t>(channels);
  c.src = awkward(rng, n, true);
  FusedChainArgs& a = c.args;
  a.rows = c.rows, a.channels = channels, a.pixels = pixels;
  a.steps = 1 + static_cast<int>(rng() % 6);
  for (int s = 0; s < a.steps; ++s) {
    FusedStep& st = a.step[s];
    st.op = static_cast<FusedOp>(rng() % 7);
    for (auto& p : st.p) p = c.keep(awkward(rng, ch, nans_everywhere));
    st.activation = static_cast<Activation>(rng() % 4);
    st.value_second = (rng() & 1) != 0;
    if (st.op == FusedOp::kAdd) st.other = c.keep(awkward(rng, n, nans_everywhere));
    if (st.op == FusedOp::kScaleChannels) st.other = c.keep(awkward(rng, kImages * ch, nans_everywhere));
  }
  a.pack = static_cast<FusedPack>(rng() % 3);
  if (a.pack == FusedPack::kSign && (rng() & 1)) {
    c.threshold = awkward(rng, ch, nans_everywhere);
    a.threshold = c.threshold.data();
  }
  return c;
}

struct Result {
  std::vector<float> dst;  // with a guard
  std::vector<Word> bits0, bits1;
};

Result sentinel_result(const Chain& c, bool with_dst) {
  const size_t n = static_cast<size_t>(c.rows * c.channels);
  const size_t words = static_cast<size_t>(c.rows * words_for(static_cast<int>(c.channels)));
  Result r;
  if (with_dst) r.dst.assign(n + kGuard, std::bit_cast<float>(kSentinel));
  r.bits0.assign(words + 1, kWordSentinel);
  r.bits1.assign(words + 1, kWordSentinel);
  return r;
}

// The unfused graph: each single-op reference over the whole tensor, then the packer.
Result unfused(const Chain& c, bool with_dst) {
  const FusedChainArgs& a = c.args;
  const int64_t n = c.rows * c.channels, ch = c.channels, rows = c.rows;
  std::vector<float> value = c.src, next(static_cast<size_t>(n));
  for (int s = 0; s < a.steps; ++s) {
    const FusedStep& st = a.step[s];
    const float* in = value.data();
    float* out = next.data();
    switch (st.op) {
      case FusedOp::kAffine:
        affine_reference({ch, in, st.p[0], st.p[1], out}, 0, rows);
        break;
      case FusedOp::kPRelu:
        prelu_reference({ch, in, st.p[0], out}, 0, rows);
        break;
      case FusedOp::kRPRelu:
        rprelu_reference({ch, in, st.p[0], st.p[1], st.p[2], out}, 0, rows);
        break;
      case FusedOp::kDPRelu:
        dprelu_reference({ch, in, st.p[0], st.p[1], st.p[2], st.p[3], out}, 0, rows);
        break;
      case FusedOp::kActivation:
        activation_reference({st.activation, ch, in, out}, 0, rows);
        break;
      case FusedOp::kAdd:
        add_reference(st.value_second ? AddArgs{st.other, in, out} : AddArgs{in, st.other, out}, 0, n);
        break;
      case FusedOp::kScaleChannels:
        scale_channels_reference({c.pixels, ch, in, st.other, out}, 0, rows);
        break;
    }
    std::swap(value, next);
  }
  Result r = sentinel_result(c, with_dst);
  if (with_dst) std::copy(value.begin(), value.end(), r.dst.begin());
  const int chi = static_cast<int>(ch);
  if (a.pack == FusedPack::kSign)
    bitpack_reference({rows, chi, value.data(), a.threshold, r.bits0.data()}, 0, rows);
  if (a.pack == FusedPack::kTwoBit)
    quant2bit_reference({rows, chi, value.data(), r.bits0.data(), r.bits1.data()}, 0, rows);
  return r;
}

Result fused(const Chain& c, bool with_dst, void (*run)(const FusedChainArgs&, int64_t, int64_t)) {
  Result r = sentinel_result(c, with_dst);
  FusedChainArgs a = c.args;
  a.src = c.src.data();
  a.dst = with_dst ? r.dst.data() : nullptr;
  a.bits0 = r.bits0.data();
  a.bits1 = r.bits1.data();
  // Three slices; the middle one crosses the image boundary.
  const int64_t cut1 = c.rows / 3, cut2 = c.pixels + 1;
  run(a, 0, cut1);
  run(a, cut1, cut2);
  run(a, cut2, c.rows);
  return r;
}

// Byte equality, or (nan_tolerant) both NaN.
::testing::AssertionResult same_floats(const std::vector<float>& want, const std::vector<float>& got,
                                       bool nan_tolerant) {
  if (want.size() != got.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (size_t i = 0; i < want.size(); ++i) {
    const uint32_t w = std::bit_cast<uint32_t>(want[i]), g = std::bit_cast<uint32_t>(got[i]);
    if (w == g ||
        (nan_tolerant && std::isnan(want[i]) && std::isnan(got[i]) && w != kSentinel && g != kSentinel))
      continue;
    return ::testing::AssertionFailure()
           << "element " << i << ": want 0x" << std::hex << w << ", got 0x" << g;
  }
  return ::testing::AssertionSuccess();
}

void check_chain(const Chain& c, void (*run)(const FusedChainArgs&, int64_t, int64_t), bool against_unfused,
                 bool nan_tolerant) {
  for (const bool with_dst : {true, false}) {
    if (!with_dst && c.args.pack == FusedPack::kNone) continue;
    const Result want = against_unfused ? unfused(c, with_dst) : fused(c, with_dst, fused_chain_reference);
    const Result got = fused(c, with_dst, run);
    SCOPED_TRACE("channels " + std::to_string(c.channels) + ", steps " + std::to_string(c.args.steps) +
                 ", pack " + std::to_string(static_cast<int>(c.args.pack)) + ", dst " +
                 std::to_string(with_dst));
    ASSERT_TRUE(same_floats(want.dst, got.dst, nan_tolerant));
    ASSERT_EQ(want.bits0, got.bits0);
    ASSERT_EQ(want.bits1, got.bits1);
  }
}

void check_variant(void (*run)(const FusedChainArgs&, int64_t, int64_t), bool against_unfused,
                   uint64_t salt) {
  auto rng = ::bnnkit::testing::make_rng(salt);
  // Short rows: many per image (tiles of whole rows). Long rows: more channels than a tile holds.
  const int64_t kShort[] = {1, 3, 8, 15, 16, 17, 31, 63, 64, 65, 129, 200};
  const int64_t kLong[] = {2047, 2048, 2049, 2100, 4200};
  for (const bool nans_everywhere : {false, true}) {
    for (int rep = 0; rep < 4; ++rep) {
      for (const int64_t ch : kShort) {
        check_chain(random_chain(rng, 150, ch, nans_everywhere), run, against_unfused, nans_everywhere);
        if (::testing::Test::HasFatalFailure()) return;
      }
      for (const int64_t ch : kLong) {
        check_chain(random_chain(rng, 3, ch, nans_everywhere), run, against_unfused, nans_everywhere);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

// The spec is what the unfused graph computes.
TEST(FusedChain, ReferenceEqualsOpsOneByOne) {
  check_variant(fused_chain_reference, true, 0xF0);
}

class FusedVariants : public ::testing::TestWithParam<const char*> {};

TEST_P(FusedVariants, MatchesReference) {
  const FusedVariant* v = fused_find(GetParam());
  ASSERT_NE(v, nullptr);
  if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  check_variant(v->run, false, 0xF1);
  check_variant(v->run, true, 0xF2);
}

std::vector<const char*> variant_names() {
  std::vector<const char*> names;
  for (const FusedVariant& v : fused_variants()) names.push_back(v.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(All, FusedVariants, ::testing::ValuesIn(variant_names()),
                         [](const auto& info) { return std::string(info.param); });

TEST(FusedVariants, SelectionFollowsTheIsaCap) {
  EXPECT_STREQ(fused_select(Isa::kPortable).name, "portable_bitselect");
  if (cpu_supports(Isa::kAvx2)) {
    EXPECT_STREQ(fused_select(Isa::kAvx2).name, "avx2_8");
  }
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(fused_select(Isa::kAvx512).name, "avx512_16");
  }
}

}  // namespace
}  // namespace bnnkit::kernels
