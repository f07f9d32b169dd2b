// Tests of bdense_reference against a plain float matrix product of +-1 matrices written here:
// y[b][o] = sum_c x[b][c] * w[o][c], an exact integer in float. int32 outputs must match exactly, kFloat must
// equal float(y) * scale + bias rounded in that order, kBits the sign of (y - threshold) negated where flip
// is set, with zero tail bits. Each case is also computed in 2 x 2 tiles of (rows, output channels),
// 64-aligned for kBits, and must match the full call byte for byte without touching anything outside the
// tile.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/bdense/bdense.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::make_rng;
using ::bnnkit::testing::pack_pm1;
using ::bnnkit::testing::random_pm1;

constexpr unsigned char kSentinel = 0xC3;
constexpr int kChannels[] = {1, 3, 63, 64, 65, 96, 127, 128, 129};

const char* kind_name(OutputKind k) {
  return k == OutputKind::kInt32 ? "int32" : (k == OutputKind::kFloat ? "float" : "bits");
}

using CaseParam = std::tuple<int, int, int, OutputKind>;  // n, ic, oc, kind

std::string case_name(const CaseParam& c) {
  const auto& [n, ic, oc, kind] = c;
  return "n" + std::to_string(n) + "_ic" + std::to_string(ic) + "_oc" + std::to_string(oc) + "_" +
         kind_name(kind);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (const char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

class BDenseReference : public ::testing::TestWithParam<CaseParam> {};

TEST_P(BDenseReference, MatchesFloatMatmulAndTiles) {
  const auto& [n, ic, oc, kind] = GetParam();
  auto rng = make_rng(fnv1a(case_name(GetParam())));
  const auto x = random_pm1(rng, static_cast<size_t>(n) * ic);
  const auto w = random_pm1(rng, static_cast<size_t>(oc) * ic);
  const auto xb = pack_pm1(x, n, ic), wb = pack_pm1(w, oc, ic);
  std::vector<float> y(static_cast<size_t>(n) * oc);
  for (int b = 0; b < n; ++b)
    for (int o = 0; o < oc; ++o) {
      float s = 0.0f;
      for (int c = 0; c < ic; ++c)
        s += x[static_cast<size_t>(b) * ic + c] * w[static_cast<size_t>(o) * ic + c];
      y[static_cast<size_t>(b) * oc + o] = s;
    }

  // Stage: thresholds at one of the channel's y values other than the smallest (both signs and ties occur),
  // channel 5 of every 16 pinned to INT32_MIN; random scale, bias and flip.
  std::vector<float> scale(oc), bias(oc);
  std::vector<int32_t> thr(oc);
  std::vector<uint8_t> flip(oc);
  std::uniform_real_distribution<float> sd(-2.0f, 2.0f), bd(-5.0f, 5.0f);
  for (int o = 0; o < oc; ++o) {
    scale[o] = sd(rng);
    bias[o] = bd(rng);
    std::set<int32_t> values;
    for (int b = 0; b < n; ++b) values.insert(static_cast<int32_t>(y[static_cast<size_t>(b) * oc + o]));
    auto it = values.begin();
    if (values.size() > 1) std::advance(it, 1 + rng() % (values.size() - 1));
    thr[o] = o % 16 == 5 ? std::numeric_limits<int32_t>::min() : *it;
    flip[o] = static_cast<uint8_t>(rng() & 1);
  }

  const size_t row_bytes = output_pixel_bytes(kind, oc);
  std::vector<unsigned char> full(n * row_bytes, kSentinel);
  BDenseArgs a;
  a.n = n, a.ic = ic, a.oc = oc;
  a.src = xb.data();
  a.weights = wb.data();
  a.out = OutputStage{kind, scale.data(), bias.data(), thr.data(), flip.data()};
  a.dst = full.data();
  bdense_reference(a, 0, n, 0, oc);

  size_t bad = 0;
  std::set<float> distinct;
  for (int b = 0; b < n; ++b) {
    const unsigned char* row = full.data() + b * row_bytes;
    for (int o = 0; o < oc; ++o) {
      const float v = y[static_cast<size_t>(b) * oc + o];
      if (kind == OutputKind::kInt32) {
        int32_t got;
        std::memcpy(&got, row + 4 * o, 4);
        distinct.insert(v);
        if (got != static_cast<int32_t>(v) && bad++ < 5)
          ADD_FAILURE() << b << "," << o << ": got " << got << " want " << v;
      } else if (kind == OutputKind::kFloat) {
        const float want = v * scale[o] + bias[o];
        float got;
        std::memcpy(&got, row + 4 * o, 4);
        distinct.insert(want);
        if (std::memcmp(&got, &want, 4) != 0 && bad++ < 5)
          ADD_FAILURE() << b << "," << o << ": got " << got << " want " << want;
      } else {
        const bool plus = (static_cast<double>(v) - thr[o] >= 0.0) != (flip[o] != 0);
        const bool got = get_bit(reinterpret_cast<const Word*>(row), o);
        distinct.insert(plus ? 1.0f : -1.0f);
        if (got != !plus && bad++ < 5)
          ADD_FAILURE() << b << "," << o << ": bit " << got << " for y " << v << " thr " << thr[o];
      }
    }
    if (kind == OutputKind::kBits && oc % kWordBits != 0) {
      Word last;
      std::memcpy(&last, row + row_bytes - 8, 8);
      EXPECT_EQ(last & ~tail_mask(oc), 0u) << "tail bits of row " << b;
    }
  }
  EXPECT_EQ(bad, 0u);
  if (n * oc >= 16) {
    EXPECT_GE(distinct.size(), 2u) << "MISTRUSTED: every expected output is identical";
  }

  // Tiles: rows split at nb, channels at ob (a multiple of 64 for bits; may be 0 or oc, i.e. an empty tile).
  const int nb = n / 2;
  const int ob = kind == OutputKind::kBits ? (oc > 64 ? 64 : 0) : oc / 3 + (oc > 1 ? 1 : 0);
  std::vector<unsigned char> tiled(n * row_bytes, kSentinel);
  a.dst = tiled.data();
  bdense_reference(a, nb, n, ob, oc);  // alone first: must write only its tile
  const size_t el = kind == OutputKind::kBits ? 0 : 4;
  for (int b = 0; b < n; ++b) {
    for (size_t i = 0; i < row_bytes; ++i) {
      const bool in_rows = b >= nb;
      const bool in_cols = kind == OutputKind::kBits ? i >= static_cast<size_t>(ob / 8) : i >= ob * el;
      if (!(in_rows && in_cols)) {
        ASSERT_EQ(tiled[b * row_bytes + i], kSentinel)
            << "tile [" << nb << "," << n << ")x[" << ob << "," << oc << ") wrote row " << b << " byte " << i;
      }
    }
  }
  bdense_reference(a, 0, nb, 0, ob);
  bdense_reference(a, 0, nb, ob, oc);
  bdense_reference(a, nb, n, 0, ob);
  EXPECT_TRUE(tiled == full) << "tiles split at row " << nb << ", channel " << ob
                             << " differ from one full call";
}

INSTANTIATE_TEST_SUITE_P(
    Sweep, BDenseReference,
    ::testing::Combine(::testing::Values(1, 4), ::testing::ValuesIn(kChannels),
                       ::testing::ValuesIn(kChannels),
                       ::testing::Values(OutputKind::kInt32, OutputKind::kFloat, OutputKind::kBits)),
    [](const ::testing::TestParamInfo<CaseParam>& info) { return case_name(info.param); });

// x = (+1, -1, -1, +1, +1), w0 = x (D = 5), w1 = -x (D = -5), w2 = (+1, +1, +1, +1, +1) (D = 3 - 2 = 1).
TEST(BDenseReferenceFixed, KnownDots) {
  const auto x = pack_pm1({1, -1, -1, 1, 1}, 1, 5);
  const auto w = pack_pm1({1, -1, -1, 1, 1, -1, 1, 1, -1, -1, 1, 1, 1, 1, 1}, 3, 5);
  int32_t out[3] = {0, 0, 0};
  BDenseArgs a;
  a.n = 1, a.ic = 5, a.oc = 3;
  a.src = x.data();
  a.weights = w.data();
  a.dst = out;
  bdense_reference(a, 0, 1, 0, 3);
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(out[1], -5);
  EXPECT_EQ(out[2], 1);
}

// 130 output channels in three 64-aligned slices, kBits: each slice writes only its own words, and the last
// (2 channels) zeroes the 62 tail bits of the third word.
TEST(BDenseReferenceFixed, BitsSlicesWriteWholeWords) {
  const int ic = 2, oc = 130;
  const auto x = pack_pm1({1, 1}, 1, ic);
  std::vector<float> wf(static_cast<size_t>(oc) * ic, 1.0f);
  for (int o = 0; o < oc; o += 3)
    wf[static_cast<size_t>(o) * ic] = wf[static_cast<size_t>(o) * ic + 1] = -1.0f;
  const auto w = pack_pm1(wf, oc, ic);  // D = -2 for o % 3 == 0, else +2
  const std::vector<int32_t> thr(oc, 0);
  const std::vector<uint8_t> flip(oc, 0);
  Word out[3] = {~Word{0}, ~Word{0}, ~Word{0}};
  BDenseArgs a;
  a.n = 1, a.ic = ic, a.oc = oc;
  a.src = x.data();
  a.weights = w.data();
  a.out.kind = OutputKind::kBits;
  a.out.threshold = thr.data();
  a.out.flip = flip.data();
  a.dst = out;
  bdense_reference(a, 0, 1, 64, 128);
  EXPECT_EQ(out[0], ~Word{0});
  EXPECT_EQ(out[2], ~Word{0});
  Word want[3] = {0, 0, 0};
  for (int o = 0; o < oc; o += 3) want[o / 64] |= Word{1} << (o % 64);
  EXPECT_EQ(out[1], want[1]);
  bdense_reference(a, 0, 1, 128, 130);
  EXPECT_EQ(out[2], want[2]);
  EXPECT_EQ(out[2], Word{0b10});  // channel 129 = 3 * 43
  bdense_reference(a, 0, 1, 0, 64);
  EXPECT_EQ(out[0], want[0]);
}

}  // namespace
}  // namespace bnnkit::kernels
