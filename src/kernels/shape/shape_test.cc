// Tests of the channel reshaping references. The copies (concat, duplicate, tile, zero-pad) are checked
// exactly against the channel map built from the source channel index, written per output channel. The group
// average is checked against a double mean (|y - exact| <= (g + 2) * 2^-24 * sum|x| / g * 1.01) and against
// the documented float order replayed bit for bit; a strided grouping (channel o + k * oc) fails it.
#include "kernels/shape/shape.h"

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
constexpr float kSentinel = kNaN;   // one bit pattern: outputs left unwritten keep exactly these bits
const int64_t kPixels = 2 * 3 * 5;  // n = 2, h = 3, w = 5

std::vector<float> uniform(std::mt19937_64& rng, size_t count, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(count);
  for (auto& x : v) x = d(rng);
  return v;
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

void expect_varied(const std::vector<float>& v) {
  std::set<float> distinct(v.begin(), v.end());
  EXPECT_GT(distinct.size(), 1u) << "all outputs identical: mistrusted data";
}

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

// dst[p][o] must be src[p][source(o)], or +0.0f where source(o) < 0; exact bits.
void expect_channel_map(const std::vector<float>& dst, int64_t oc, const std::vector<float>& src, int64_t ic,
                        const std::function<int64_t(int64_t)>& source) {
  for (int64_t p = 0; p < kPixels; ++p)
    for (int64_t o = 0; o < oc; ++o) {
      const int64_t s = source(o);
      const float want = s < 0 ? 0.0f : src[p * ic + s];
      ASSERT_TRUE(same_bits(dst[p * oc + o], want)) << "pixel " << p << " channel " << o;
    }
}

TEST(ShapeReference, ConcatChannels) {
  uint64_t salt = 0;
  for (int64_t c0 : {1, 3, 5, 16, 63, 65})
    for (int64_t c1 : {1, 5, 64}) {
      SCOPED_TRACE(::testing::Message() << "c0 " << c0 << " c1 " << c1);
      auto rng = testing::make_rng(++salt);
      const auto a = uniform(rng, kPixels * c0, -1.0f, 1.0f), b = uniform(rng, kPixels * c1, 2.0f, 3.0f);
      const int64_t oc = c0 + c1;
      std::vector<float> y(kPixels * oc, kNaN);
      const ConcatChannelsArgs args{c0, c1, a.data(), b.data(), y.data()};
      concat_channels_reference(args, 0, kPixels);
      for (int64_t p = 0; p < kPixels; ++p)
        for (int64_t o = 0; o < oc; ++o) {
          const float want = o < c0 ? a[p * c0 + o] : b[p * c1 + (o - c0)];
          ASSERT_TRUE(same_bits(y[p * oc + o], want)) << "pixel " << p << " channel " << o;
        }
      expect_varied(y);
      expect_slices_match(kPixels, oc, y, [&](float* d, int64_t s, int64_t e) {
        ConcatChannelsArgs sa = args;
        sa.dst = d;
        concat_channels_reference(sa, s, e);
      });
    }
}

TEST(ShapeReference, ChannelDuplicateAndTile) {
  uint64_t salt = 100;
  for (int64_t ic : {1, 3, 5, 16, 63, 65})
    for (int times : {1, 2, 3, 4}) {
      SCOPED_TRACE(::testing::Message() << "ic " << ic << " times " << times);
      auto rng = testing::make_rng(++salt);
      const auto x = uniform(rng, kPixels * ic, -1.0f, 1.0f);
      const int64_t oc = ic * times;
      std::vector<float> dup(kPixels * oc, kNaN), tile(kPixels * oc, kNaN);
      const ChannelDuplicateArgs da{ic, times, x.data(), dup.data()};
      channel_duplicate_reference(da, 0, kPixels);
      const ChannelMapArgs ta{ic, oc, x.data(), tile.data()};
      channel_tile_reference(ta, 0, kPixels);
      // cat(x, x, ...) / jnp.tile: copy t of the channels sits at [t * ic, (t + 1) * ic).
      expect_channel_map(dup, oc, x, ic, [&](int64_t o) { return o - (o / ic) * ic; });
      expect_channel_map(tile, oc, x, ic, [&](int64_t o) { return o - (o / ic) * ic; });
      expect_varied(dup);
      expect_slices_match(kPixels, oc, dup, [&](float* d, int64_t s, int64_t e) {
        ChannelDuplicateArgs sa = da;
        sa.dst = d;
        channel_duplicate_reference(sa, s, e);
      });
      expect_slices_match(kPixels, oc, tile, [&](float* d, int64_t s, int64_t e) {
        ChannelMapArgs sa = ta;
        sa.dst = d;
        channel_tile_reference(sa, s, e);
      });
    }
}

TEST(ShapeReference, ChannelZeroPad) {
  const int64_t pairs[][2] = {{1, 1}, {1, 4}, {3, 5}, {5, 65}, {16, 32}, {63, 64}, {64, 256}};
  uint64_t salt = 200;
  for (const auto& pr : pairs) {
    const int64_t ic = pr[0], oc = pr[1];
    SCOPED_TRACE(::testing::Message() << "ic " << ic << " oc " << oc);
    auto rng = testing::make_rng(++salt);
    const auto x = uniform(rng, kPixels * ic, 1.0f, 2.0f);  // never zero, so a missing copy shows
    std::vector<float> y(kPixels * oc, kNaN);
    const ChannelMapArgs a{ic, oc, x.data(), y.data()};
    channel_zero_pad_reference(a, 0, kPixels);
    expect_channel_map(y, oc, x, ic, [&](int64_t o) { return o < ic ? o : -1; });
    expect_varied(y);
    expect_slices_match(kPixels, oc, y, [&](float* d, int64_t s, int64_t e) {
      ChannelMapArgs sa = a;
      sa.dst = d;
      channel_zero_pad_reference(sa, s, e);
    });
  }
}

TEST(ShapeReference, ChannelGroupAverage) {
  // {ic, oc}: PokeBNN's 4f -> f shrink, odd groups, g = 1 (a copy), and 65 -> 16 (last channel ignored).
  const int64_t pairs[][2] = {{256, 64}, {64, 16}, {3, 1}, {15, 5}, {32, 32}, {65, 16}, {63, 1}};
  uint64_t salt = 300;
  for (const auto& pr : pairs) {
    const int64_t ic = pr[0], oc = pr[1], g = ic / oc;
    SCOPED_TRACE(::testing::Message() << "ic " << ic << " oc " << oc);
    auto rng = testing::make_rng(++salt);
    auto x = uniform(rng, kPixels * ic, -1.0f, 1.0f);
    if (ic % oc != 0)  // the ignored trailing channels hold NaN: reading them would poison an output
      for (int64_t p = 0; p < kPixels; ++p)
        for (int64_t c = oc * g; c < ic; ++c) x[p * ic + c] = kNaN;
    std::vector<float> y(kPixels * oc, kNaN);
    const ChannelMapArgs a{ic, oc, x.data(), y.data()};
    channel_group_avg_reference(a, 0, kPixels);
    for (int64_t p = 0; p < kPixels; ++p)
      for (int64_t o = 0; o < oc; ++o) {
        double sum = 0.0, mag = 0.0;
        float replay = 0.0f;
        for (int64_t c = o * g; c < (o + 1) * g; ++c) {
          const float v = x[p * ic + c];
          sum += v;
          mag += std::fabs(v);
          replay = replay + v;
        }
        const float got = y[p * oc + o];
        ASSERT_LE(std::fabs(got - sum / g), (g + 2) * 0x1p-24 * mag / g * 1.01)
            << "pixel " << p << " o " << o;
        ASSERT_TRUE(same_bits(got, replay / static_cast<float>(g))) << "pixel " << p << " o " << o;
      }
    expect_varied(y);
    expect_slices_match(kPixels, oc, y, [&](float* d, int64_t s, int64_t e) {
      ChannelMapArgs sa = a;
      sa.dst = d;
      channel_group_avg_reference(sa, s, e);
    });
  }
}

}  // namespace
}  // namespace bnnkit::kernels
