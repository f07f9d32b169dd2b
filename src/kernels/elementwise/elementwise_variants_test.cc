// Every elementwise variant against the reference, byte for byte (memcmp of the whole output buffer, a guard
// past the end included), for every op the variant implements: channel counts 1..70 and 129 (vector bodies
// and every tail), rows run in three slices, and in place. The data mixes ordinary values with the awkward
// ones: +-0, denormals, FLT_MIN, huge values (overflow to inf), +-inf, quiet NaNs with payloads and a
// signalling NaN. Variants the CPU cannot run are skipped.
//
// NaNs: in the byte-for-byte pass they are in the inputs only (the parameters get every other awkward value),
// so no add or multiply sees two NaNs. A second pass puts NaNs in the parameters too and accepts any NaN
// where the reference has a NaN: with two NaN operands the payload is the compiler's choice (elementwise.h).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/elementwise/elementwise.h"
#include "kernels/elementwise/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

constexpr int kGuard = 37;                   // floats past the end that no variant may write
constexpr uint32_t kSentinel = 0x7fa5a5a5u;  // a NaN no op produces
constexpr int kRows = 7;                     // three_slices(7): 0, 2, 4, 7

constexpr size_t kNaNs = 4;  // the last kNaNs of kSpecial

// Random floats, a quarter of them from the list of awkward values (NaNs among them iff nans).
std::vector<float> awkward_floats(std::mt19937_64& rng, size_t count, bool nans = true) {
  static const float kSpecial[] = {
      0.0f,
      -0.0f,
      std::numeric_limits<float>::denorm_min(),
      -std::numeric_limits<float>::denorm_min(),
      1e-40f,
      -3e-39f,
      std::numeric_limits<float>::min(),
      -std::numeric_limits<float>::min(),
      1e30f,
      -1e30f,
      std::numeric_limits<float>::max(),
      -std::numeric_limits<float>::max(),
      std::numeric_limits<float>::infinity(),
      -std::numeric_limits<float>::infinity(),
      3.0f,
      -3.0f,
      6.0f,
      -6.0f,
      std::numeric_limits<float>::quiet_NaN(),
      std::bit_cast<float>(0xffc00000u),  // -NaN (x86's default NaN)
      std::bit_cast<float>(0x7fc12345u),  // quiet NaN with a payload
      std::bit_cast<float>(0x7f800001u),  // signalling NaN
  };
  const size_t specials = std::size(kSpecial) - (nans ? 0 : kNaNs);
  std::uniform_real_distribution<float> uniform(-8.0f, 8.0f);
  std::vector<float> v(count);
  for (auto& x : v) {
    const uint64_t r = rng();
    x = (r & 3) == 0 ? kSpecial[(r >> 2) % specials] : uniform(rng);
  }
  return v;
}

std::vector<float> sentinel_buffer(size_t count) {
  return std::vector<float>(count + kGuard, std::bit_cast<float>(kSentinel));
}

std::string hex(float x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", std::bit_cast<uint32_t>(x));
  return buf;
}

// memcmp of two whole buffers; on a mismatch, the first differing float's index and bit patterns. With
// any_nan, a NaN matches any NaN (the sentinels of the guard are still compared bit for bit).
::testing::AssertionResult same_bytes(const std::vector<float>& got, const std::vector<float>& want,
                                      bool any_nan = false) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  if (std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0)
    return ::testing::AssertionSuccess();
  for (size_t i = 0; i < got.size(); ++i) {
    const bool in_guard = i + kGuard >= got.size();
    if (any_nan && !in_guard && std::isnan(got[i]) && std::isnan(want[i])) continue;
    if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i]))
      return ::testing::AssertionFailure() << "float " << i << ": got " << hex(got[i]) << " (" << got[i]
                                           << "), want " << hex(want[i]) << " (" << want[i] << ")";
  }
  return ::testing::AssertionSuccess();
}

std::vector<int64_t> channel_counts() {
  std::vector<int64_t> c;
  for (int64_t i = 1; i <= 70; ++i) c.push_back(i);
  c.push_back(129);
  return c;
}

// Runs fn over rows [0, rows) in three slices into a fresh sentinel buffer (args made by make(dst)), and
// once in place (make(nullptr): the args alias dst = src, with src copied from `src`).
template <class Args, class Fn, class Make>
std::vector<float> run_slices(Fn fn, int64_t rows, size_t count, Make make) {
  std::vector<float> dst = sentinel_buffer(count);
  const Args a = make(dst.data());
  const std::vector<int> cuts = ::bnnkit::testing::three_slices(static_cast<int>(rows));
  for (size_t i = 0; i + 1 < cuts.size(); ++i) fn(a, cuts[i], cuts[i + 1]);
  return dst;
}

class ElementwiseVariants : public ::testing::TestWithParam<const char*> {
 protected:
  const ElementwiseVariant* v = nullptr;
  std::mt19937_64 rng = ::bnnkit::testing::make_rng(0xE1E);

  void SetUp() override {
    v = elementwise_find(GetParam());
    ASSERT_NE(v, nullptr);
    if (!cpu_supports(v->isa)) GTEST_SKIP() << "CPU lacks " << isa_name(v->isa) << " for variant " << v->name;
  }

  // Compares variant and reference over every channel count, out of place and in place, in both NaN passes.
  // make(ch, params, src, dst) builds the args over a [kRows][ch] source `src`, with parameters drawn once
  // per channel count by params(ch, nans).
  template <class Args, class Fn, class Params, class Make>
  void check(const char* op, Fn variant, Fn reference, Params params, Make make) {
    if (variant == nullptr) GTEST_SKIP() << v->name << " has no " << op;
    for (const bool nan_params : {false, true}) {
      check_pass<Args>(op, variant, reference, params, make, nan_params);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  template <class Args, class Fn, class Params, class Make>
  void check_pass(const char* op, Fn variant, Fn reference, Params params, Make make, bool nan_params) {
    SCOPED_TRACE(nan_params ? "NaNs in the parameters too (any NaN for a NaN)" : "NaNs in the inputs only");
    for (const int64_t ch : channel_counts()) {
      const size_t count = static_cast<size_t>(kRows * ch);
      const std::vector<float> src = awkward_floats(rng, count);
      const auto p = params(ch, nan_params);
      auto out_of_place = [&](Fn fn) {
        return run_slices<Args>(fn, kRows, count, [&](float* dst) { return make(ch, p, src.data(), dst); });
      };
      ASSERT_TRUE(same_bytes(out_of_place(variant), out_of_place(reference), nan_params))
          << op << ", channels " << ch;
      auto in_place = [&](Fn fn) {
        std::vector<float> buf = sentinel_buffer(count);
        std::memcpy(buf.data(), src.data(), count * sizeof(float));
        const Args a = make(ch, p, buf.data(), buf.data());
        const std::vector<int> cuts = ::bnnkit::testing::three_slices(kRows);
        for (size_t i = 0; i + 1 < cuts.size(); ++i) fn(a, cuts[i], cuts[i + 1]);
        return buf;
      };
      ASSERT_TRUE(same_bytes(in_place(variant), in_place(reference), nan_params))
          << op << " in place, channels " << ch;
    }
  }

  // n per-channel parameter arrays of ch floats each.
  auto per_channel(int n) {
    return [this, n](int64_t ch, bool nans) {
      std::vector<std::vector<float>> p;
      for (int i = 0; i < n; ++i) p.push_back(awkward_floats(rng, static_cast<size_t>(ch), nans));
      return p;
    };
  }
};

using Params = std::vector<std::vector<float>>;

TEST_P(ElementwiseVariants, Affine) {
  check<AffineArgs>("affine", v->affine, affine_reference, per_channel(2),
                    [](int64_t ch, const Params& p, const float* s, float* d) {
                      return AffineArgs{ch, s, p[0].data(), p[1].data(), d};
                    });
}

TEST_P(ElementwiseVariants, PRelu) {
  check<PReluArgs>("prelu", v->prelu, prelu_reference, per_channel(1),
                   [](int64_t ch, const Params& p, const float* s, float* d) {
                     return PReluArgs{ch, s, p[0].data(), d};
                   });
}

TEST_P(ElementwiseVariants, RPRelu) {
  check<RPReluArgs>("rprelu", v->rprelu, rprelu_reference, per_channel(3),
                    [](int64_t ch, const Params& p, const float* s, float* d) {
                      return RPReluArgs{ch, s, p[0].data(), p[1].data(), p[2].data(), d};
                    });
}

TEST_P(ElementwiseVariants, DPRelu) {
  check<DPReluArgs>("dprelu", v->dprelu, dprelu_reference, per_channel(4),
                    [](int64_t ch, const Params& p, const float* s, float* d) {
                      return DPReluArgs{ch, s, p[0].data(), p[1].data(), p[2].data(), p[3].data(), d};
                    });
}

TEST_P(ElementwiseVariants, Activation) {
  for (const Activation kind :
       {Activation::kIdentity, Activation::kRelu, Activation::kRelu6, Activation::kHardSigmoid}) {
    SCOPED_TRACE("activation kind " + std::to_string(static_cast<int>(kind)));
    check<ActivationArgs>("activation", v->activation, activation_reference, per_channel(0),
                          [kind](int64_t ch, const Params&, const float* s, float* d) {
                            return ActivationArgs{kind, ch, s, d};
                          });
  }
}

TEST_P(ElementwiseVariants, QuantUniform) {
  for (const auto& [bits, lo, hi] :
       {std::tuple{4, -1.0f, 1.0f}, std::tuple{8, -3.5f, 2.25f}, std::tuple{1, 0.0f, 6.0f},
        std::tuple{2, -0.1f, 0.1f}, std::tuple{16, -8.0f, 8.0f}}) {
    SCOPED_TRACE("bits " + std::to_string(bits) + " [" + std::to_string(lo) + ", " + std::to_string(hi) +
                 "]");
    for (const bool codes : {false, true}) {
      SCOPED_TRACE(codes ? "codes" : "values");
      check<QuantUniformArgs>("quant_uniform", v->quant_uniform, quant_uniform_reference, per_channel(0),
                              [bits, lo, hi, codes](int64_t ch, const Params&, const float* s, float* d) {
                                return QuantUniformArgs{bits, lo, hi, ch, s, d, codes};
                              });
    }
  }
}

// add is flat: the "rows" of check() are elements here (channels only set the length, kRows * ch).
TEST_P(ElementwiseVariants, Add) {
  if (v->add == nullptr) GTEST_SKIP() << v->name << " has no add";
  // Pass 0: NaNs in a only, 1: in b only (byte for byte); 2: in both (any NaN for a NaN).
  for (int pass = 0; pass < 3; ++pass) {
    for (const int64_t ch : channel_counts()) {
      const size_t count = static_cast<size_t>(kRows * ch);
      const std::vector<float> x = awkward_floats(rng, count, pass != 1),
                               y = awkward_floats(rng, count, pass != 0);
      auto run = [&](void (*fn)(const AddArgs&, int64_t, int64_t), int in_place) {
        std::vector<float> dst = sentinel_buffer(count);
        // in_place 1: dst == a, 2: dst == b.
        if (in_place) std::memcpy(dst.data(), (in_place == 1 ? x : y).data(), count * sizeof(float));
        const AddArgs a{in_place == 1 ? dst.data() : x.data(), in_place == 2 ? dst.data() : y.data(),
                        dst.data()};
        const std::vector<int> cuts = ::bnnkit::testing::three_slices(static_cast<int>(count));
        for (size_t i = 0; i + 1 < cuts.size(); ++i) fn(a, cuts[i], cuts[i + 1]);
        return dst;
      };
      for (int in_place = 0; in_place < 3; ++in_place) {
        ASSERT_TRUE(same_bytes(run(v->add, in_place), run(add_reference, in_place), pass == 2))
            << "pass " << pass << ", count " << count << ", in place " << in_place;
      }
    }
  }
}

// Rows cross image boundaries inside the slices (3 images of 3 pixels would be 9 rows; kRows = 7 covers
// images 0..2 partly, and the slices cut at rows 2 and 4).
TEST_P(ElementwiseVariants, ScaleChannels) {
  constexpr int64_t kPixels = 3;
  check<ScaleChannelsArgs>(
      "scale_channels", v->scale_channels, scale_channels_reference,
      [this](int64_t ch, bool nans) {
        const size_t images = (kRows + kPixels - 1) / kPixels;
        return Params{awkward_floats(rng, images * ch, nans)};
      },
      [](int64_t ch, const Params& p, const float* s, float* d) {
        return ScaleChannelsArgs{kPixels, ch, s, p[0].data(), d};
      });
}

TEST(ElementwiseVariantsList, Selection) {
  EXPECT_STREQ(elementwise_variants().back().name, "reference");
  EXPECT_EQ(elementwise_find("nope"), nullptr);
  // Capped at portable: the branch-free selects where there is one, else the reference.
  EXPECT_STREQ(elementwise_select(&ElementwiseVariant::rprelu, Isa::kPortable).name, "portable_bitselect");
  EXPECT_STREQ(elementwise_select(&ElementwiseVariant::affine, Isa::kPortable).name, "reference");
  if (cpu_supports(Isa::kAvx2)) {
    EXPECT_STREQ(elementwise_select(&ElementwiseVariant::add, Isa::kAvx2).name, "avx2_8");
  }
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(elementwise_select(&ElementwiseVariant::rprelu, Isa::kAvx512).name, "avx512_16");
  }
  // Every entry but the reference is a real alternative for at least one op; the reference has them all.
  const ElementwiseVariant& r = elementwise_variants().back();
  EXPECT_TRUE(r.affine && r.prelu && r.rprelu && r.dprelu && r.activation && r.add && r.scale_channels);
}

std::vector<const char*> names() {
  std::vector<const char*> n;
  for (const auto& v : elementwise_variants()) n.push_back(v.name);
  return n;
}

INSTANTIATE_TEST_SUITE_P(All, ElementwiseVariants, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

}  // namespace
}  // namespace bnnkit::kernels
