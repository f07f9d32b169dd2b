// Every bdense variant in bdense_variants() against bdense_reference, byte for byte (int32 exact, float
// bit-exact, packed bits exact including zero tail bits), over channel counts that hit word and vector tails,
// batch sizes that hit the tile remainders, every output kind, and 2-3 slices over rows and output channels
// on a sentinel-filled buffer (a slice must write exactly its own rows x channels). Variants the CPU cannot
// run are skipped with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/bdense/bdense.h"
#include "kernels/bdense/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::light_sweep;
using ::bnnkit::testing::random_words;
using ::bnnkit::testing::three_slices;

constexpr unsigned char kSentinel = 0x5A;

constexpr int kCounts[] = {1, 3, 63, 64, 65, 96, 127, 128, 129, 256};
constexpr int kBatches[] = {1, 2, 5, 7, 13};
constexpr OutputKind kKinds[] = {OutputKind::kInt32, OutputKind::kFloat, OutputKind::kBits};

struct Problem {
  int n, ic, oc;
  OutputKind kind;
  std::vector<Word> src, weights;
  std::vector<float> scale, bias;
  std::vector<int32_t> threshold;
  std::vector<uint8_t> flip;

  Problem(int n_, int ic_, int oc_, OutputKind k, std::mt19937_64& rng) : n(n_), ic(ic_), oc(oc_), kind(k) {
    src = random_words(rng, n, ic);
    weights = random_words(rng, oc, ic);
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    for (int c = 0; c < oc; ++c) {
      scale.push_back(u(rng) * 0.37f);
      bias.push_back(u(rng) * 10.0f);
      const auto r = rng() % 16;
      threshold.push_back(r == 0   ? std::numeric_limits<int32_t>::min()
                          : r == 1 ? std::numeric_limits<int32_t>::max()
                                   : static_cast<int32_t>(rng() % (2 * (ic / 8 + 2) + 1)) - (ic / 8 + 2));
      flip.push_back(static_cast<uint8_t>(rng() & 1));
    }
  }
  size_t row_bytes() const { return static_cast<size_t>(output_pixel_bytes(kind, oc)); }

  // Runs every (row slice) x (channel slice) block on a sentinel-filled buffer.
  std::vector<unsigned char> compute(void (*run)(const BDenseArgs&, int, int, int, int), const Word* w,
                                     const std::vector<int>& rows, const std::vector<int>& chans) const {
    std::vector<unsigned char> dst(n * row_bytes(), kSentinel);
    BDenseArgs a;
    a.n = n;
    a.ic = ic;
    a.oc = oc;
    a.src = src.data();
    a.weights = w;
    a.out.kind = kind;
    a.out.scale = scale.data();
    a.out.bias = bias.data();
    a.out.threshold = threshold.data();
    a.out.flip = flip.data();
    a.dst = dst.data();
    for (size_t i = 0; i + 1 < rows.size(); ++i)
      for (size_t j = 0; j + 1 < chans.size(); ++j) run(a, rows[i], rows[i + 1], chans[j], chans[j + 1]);
    return dst;
  }
};

// Cut points of [0, total) into up to 3 slices; for kBits channel cuts are multiples of 64 (whole words).
std::vector<int> cuts(int total, int align) {
  std::vector<int> c = {0};
  for (int k = 1; k <= 2; ++k) {
    int p = total * k / 3;
    p -= p % align;
    if (p > c.back() && p < total) c.push_back(p);
  }
  c.push_back(total);
  return c;
}

class BDenseVariants : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    v_ = bdense_find(GetParam());
    ASSERT_NE(v_, nullptr);
    if (!cpu_supports(v_->isa))
      GTEST_SKIP() << "CPU lacks " << isa_name(v_->isa) << " for variant " << v_->name;
  }
  void check(const Problem& p) {
    const std::string what = "n" + std::to_string(p.n) + " " + std::to_string(p.ic) + "->" +
                             std::to_string(p.oc) + " kind " + std::to_string(static_cast<int>(p.kind));
    ASSERT_EQ(v_->rejects(p.ic, p.oc, p.kind), nullptr) << what;
    const auto want = p.compute(bdense_reference, p.weights.data(), {0, p.n}, {0, p.oc});
    std::vector<Word> packed(v_->packed_weight_words(p.ic, p.oc) + 1, ~Word{0});
    v_->pack_weights(p.ic, p.oc, p.weights.data(), packed.data());
    ASSERT_EQ(packed.back(), ~Word{0}) << what << ": pack_weights wrote past packed_weight_words()";
    const int align = p.kind == OutputKind::kBits ? kWordBits : 1;
    const auto got = p.compute(v_->run, packed.data(), cuts(p.n, 1), cuts(p.oc, align));
    ASSERT_EQ(got, want) << what;
    // One block alone writes exactly its rows x channels.
    if (p.n >= 2 && p.oc > align) {
      const int r0 = 1, r1 = p.n, c0 = align == 1 ? 1 : kWordBits, c1 = p.oc;
      if (c0 < c1) {
        const auto part = p.compute(v_->run, packed.data(), {r0, r1}, {c0, c1});
        const size_t rb = p.row_bytes();
        for (size_t i = 0; i < part.size(); ++i) {
          const int row = static_cast<int>(i / rb);
          const int byte = static_cast<int>(i % rb);
          const int chan = p.kind == OutputKind::kBits ? byte * 8 : byte / 4;
          const bool inside =
              row >= r0 && row < r1 && chan >= c0 && chan < (p.kind == OutputKind::kBits ? p.oc + 63 : c1);
          ASSERT_EQ(part[i], inside ? want[i] : kSentinel) << what << " row " << row << " byte " << byte;
        }
      }
    }
  }
  const BDenseVariant* v_ = nullptr;
};

TEST_P(BDenseVariants, MatchesReference) {
  auto rng = ::bnnkit::testing::make_rng(0xD0);
  const bool light = light_sweep();
  for (const int n : kBatches) {
    if (light && n != 7) continue;
    for (const int ic : kCounts) {
      for (const int oc : kCounts) {
        if (light && (ic + oc) % 3 != 0) continue;
        if ((ic + oc) % 3 != n % 3 && n != 7)
          continue;  // a third of the grid per batch size, all of it at n = 7
        for (const OutputKind k : kKinds) {
          check(Problem(n, ic, oc, k, rng));
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

TEST_P(BDenseVariants, MatchesReferenceOnLayerShapes) {
  auto rng = ::bnnkit::testing::make_rng(0xD1);
  const int shapes[][3] = {{1, 1024, 1024}, {64, 1024, 256}, {19, 4096, 130}, {8, 2000, 70}};
  for (const auto& s : shapes) {
    if (light_sweep() && &s != &shapes[0]) break;
    for (const OutputKind k : kKinds) {
      check(Problem(s[0], s[1], s[2], k, rng));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(BDenseVariantsList, ReferenceLastAndSelectable) {
  const auto list = bdense_variants();
  ASSERT_FALSE(list.empty());
  EXPECT_STREQ(list.back().name, "reference");
  for (const BDenseVariant& v : list) EXPECT_EQ(bdense_find(v.name), &v);
  EXPECT_EQ(bdense_find("nope"), nullptr);
  EXPECT_STREQ(bdense_select(1024, 1024, OutputKind::kFloat, Isa::kPortable).name, "portable_2x4");
  const BDenseVariant& best = bdense_select(1024, 1024, OutputKind::kFloat, Isa::kAvx512);
  EXPECT_TRUE(cpu_supports(best.isa));
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_STREQ(best.name, "avx512_6x4");
  }
}

std::vector<const char*> variant_names() {
  std::vector<const char*> names;
  for (const BDenseVariant& v : bdense_variants()) names.push_back(v.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(All, BDenseVariants, ::testing::ValuesIn(variant_names()),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace bnnkit::kernels
