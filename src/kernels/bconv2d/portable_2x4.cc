// bconv2d in plain C++ for CPUs without AVX2 (and non-x86 CPUs): direct convolution, 2 output pixels x 4
// output channels per register tile, 64-bit words.
//
// The same walk as the SIMD variants (direct_conv.h): padded taps are skipped, interior pixels go in tiles,
// and each activation/weight word loaded feeds 4 or 2 popcounts instead of the reference's 1.
//
// Popcount: where the compiler has a popcount instruction (-mpopcnt, AArch64) std::popcount is used.
// Otherwise (a baseline x86-64 build, which the kernels library is) std::popcount becomes a libgcc call, so
// the kernel uses the SWAR bit-slice count of "Hacker's Delight" (Warren, 5-1) but stops at byte counts: the
// byte lanes of up to 31 words are summed before one horizontal reduction, which saves most of the per-word
// work.
//
// Weights stay in the reference layout [oc][kh][kw][words] (pack_weights copies them): within one kernel row
// the taps of one output channel are already contiguous, which is all this tile needs.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/bconv2d/direct_conv.h"
#include "kernels/bconv2d/variant_impls.h"

namespace bnnkit::kernels::bconv2d_detail {
namespace {

constexpr int kMr = 2;  // output pixels per tile
constexpr int kNr = 4;  // output channels per tile

#if defined(__POPCNT__) || defined(__aarch64__) || defined(__ARM_NEON)
// Hardware popcount: count each word fully.
struct Counter {
  uint64_t sum = 0;
  void add(Word x) { sum += static_cast<uint64_t>(std::popcount(x)); }
  void flush() {}
  int total() const { return static_cast<int>(sum); }
};
constexpr int kFlushWords = 1 << 30;
#else
// Byte-lane counts: each byte of `bytes` holds the popcount sum of that byte over up to 31 words (<= 248).
struct Counter {
  uint64_t bytes = 0, sum = 0;
  void add(Word x) {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    bytes += (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  }
  void flush() {
    // Bytes -> 16-bit lanes (<= 496 each), then one multiply sums the four lanes into the top 16 bits.
    const uint64_t h = (bytes & 0x00ff00ff00ff00ffull) + ((bytes >> 8) & 0x00ff00ff00ff00ffull);
    sum += (h * 0x0001000100010001ull) >> 48;
    bytes = 0;
  }
  int total() const { return static_cast<int>(sum); }
};
constexpr int kFlushWords = 31;
#endif

struct TileArgs {
  const Word* src;    // first pixel at tap (i0, j0)
  ptrdiff_t src_px;   // words between tile pixels
  ptrdiff_t src_row;  // words between input rows
  int rows, steps;    // kernel rows; words per kernel row
  const Word* w;      // channel o0's weights at (i0, j0)
  ptrdiff_t w_oc;     // words between output channels
  ptrdiff_t w_row;    // words between kernel rows
};

// pc[m][n] = popcount sum of pixel m against channel n (n < nr).
template <int MR, int NR>
inline void tile(const TileArgs& t, int pc[MR][kNr]) {
  Counter c[MR][NR];
  int pending = 0;
  for (int r = 0; r < t.rows; ++r) {
    const Word* a = t.src + r * t.src_row;
    const Word* w = t.w + r * t.w_row;
    for (int s = 0; s < t.steps; ++s) {
      Word wv[NR];
#pragma GCC unroll 4
      for (int n = 0; n < NR; ++n) wv[n] = w[n * t.w_oc + s];
#pragma GCC unroll 4
      for (int m = 0; m < MR; ++m) {
        const Word x = a[m * t.src_px + s];
#pragma GCC unroll 4
        for (int n = 0; n < NR; ++n) c[m][n].add(x ^ wv[n]);
      }
      if (++pending == kFlushWords) {
#pragma GCC unroll 4
        for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
          for (int n = 0; n < NR; ++n) c[m][n].flush();
        }
        pending = 0;
      }
    }
  }
  for (int m = 0; m < MR; ++m) {
    for (int n = 0; n < NR; ++n) {
      c[m][n].flush();
      pc[m][n] = c[m][n].total();
    }
  }
}

template <int MR>
void tile_nr(int nr, const TileArgs& t, int pc[MR][kNr]) {
  switch (nr) {
    case 1:
      tile<MR, 1>(t, pc);
      break;
    case 2:
      tile<MR, 2>(t, pc);
      break;
    case 3:
      tile<MR, 3>(t, pc);
      break;
    default:
      tile<MR, 4>(t, pc);
      break;
  }
}

}  // namespace

size_t portable_2x4_packed_weight_words(const ConvGeometry& g) {
  return static_cast<size_t>(g.oc) * g.kh * g.kw * words_for(g.ic);
}

void portable_2x4_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  std::memcpy(packed, ref, portable_2x4_packed_weight_words(g) * sizeof(Word));
}

void portable_2x4_run_segment(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, int oc_begin,
                              int oc_end, void* block) {
  const ConvGeometry& g = a.g;
  const int icw = words_for(g.ic);
  const int taps = g.kh * g.kw;
  const TapRange rows = valid_taps(oy, g.sh, g.ph, g.kh, g.ih);
  const int px_bytes = output_pixel_bytes(a.out.kind, g.oc);
  const ptrdiff_t src_row = static_cast<ptrdiff_t>(g.iw) * icw;
  const Word* src_image = a.src + static_cast<ptrdiff_t>(b) * g.ih * src_row;
  // Output of pixel ox_begin; pixel ox is (ox - ox_begin) pixels further.
  char* dst0 = block != nullptr
                   ? static_cast<char*>(block)
                   : static_cast<char*>(a.dst) +
                         ((static_cast<ptrdiff_t>(b) * g.oh() + oy) * g.ow() + ox_begin) * px_bytes;
  const int iy0 = oy * g.sh - g.ph + rows.begin;
  const TapRange inner = interior_cols(g, ox_begin, ox_end);

  TileArgs t;
  t.src_px = static_cast<ptrdiff_t>(g.sw) * icw;
  t.src_row = src_row;
  t.rows = rows.size();
  t.w_oc = static_cast<ptrdiff_t>(taps) * icw;
  t.w_row = static_cast<ptrdiff_t>(g.kw) * icw;

  // Output channels go in blocks of one word (as in the reference), so bit-packed output is written whole.
  int32_t acc[kMr][kWordBits];
  for (int c0 = oc_begin; c0 < oc_end; c0 += kWordBits) {
    const int nch = std::min(kWordBits, oc_end - c0);
    // Pixels [ox, ox + mr) with kernel columns [j0, j1).
    auto run = [&](int ox, int mr, int j0, int j1) {
      t.steps = (j1 - j0) * icw;
      const bool empty = t.rows <= 0 || t.steps <= 0;
      t.src =
          empty ? src_image : src_image + iy0 * src_row + static_cast<ptrdiff_t>(ox * g.sw - g.pw + j0) * icw;
      // Padding::kOne: each skipped tap adds ic - 2 * popcount(w); Padding::kZero: skipped taps add nothing.
      const int valid = rows.size() * (j1 - j0);
      const int base = (a.padding == Padding::kZero ? valid : taps) * g.ic;
      const bool correct = a.padding == Padding::kOne && valid != taps;
      for (int o = 0; o < nch; o += kNr) {
        const int nr = std::min(kNr, nch - o);
        t.w = a.weights + (static_cast<size_t>(c0 + o) * taps + rows.begin * g.kw + j0) * icw;
        int pc[kMr][kNr];
        if (mr == 2) {
          tile_nr<2>(nr, t, pc);
        } else {
          tile_nr<1>(nr, t, pc);
        }
        for (int n = 0; n < nr; ++n) {
          int skipped = 0;
          if (correct) {
            const Word* wo = a.weights + static_cast<size_t>(c0 + o + n) * taps * icw;
            for (int i = 0; i < g.kh; ++i)
              for (int j = 0; j < g.kw; ++j)
                if (i < rows.begin || i >= rows.end || j < j0 || j >= j1)
                  skipped += popcount_words(wo + (i * g.kw + j) * icw, icw);
          }
          for (int m = 0; m < mr; ++m) acc[m][o + n] = base - 2 * (pc[m][n] + skipped);
        }
      }
      for (int m = 0; m < mr; ++m)
        write_output_range(a.out, acc[m], c0, nch, dst0 + (ox + m - ox_begin) * px_bytes);
    };
    int ox = inner.begin;
    for (; ox + kMr <= inner.end; ox += kMr) run(ox, kMr, 0, g.kw);
    for (; ox < inner.end; ++ox) run(ox, 1, 0, g.kw);
    for (ox = ox_begin; ox < ox_end; ++ox) {
      if (ox >= inner.begin && ox < inner.end) {
        ox = inner.end - 1;
        continue;
      }
      const TapRange cols = valid_taps(ox, g.sw, g.pw, g.kw, g.iw);
      run(ox, 1, cols.begin, cols.end);
    }
  }
}

void portable_2x4_run(const BConv2dArgs& a, int row_begin, int row_end) {
  if (is_pointwise(a.g)) {
    // Output pixel p reads input pixel p: the rows form one run of pixels, tiled across row ends.
    portable_2x4_run_segment(as_pixel_run(a), 0, 0, row_begin * a.g.ow(), row_end * a.g.ow(), 0, a.g.oc);
    return;
  }
  const int oh = a.g.oh();
  for (int row = row_begin; row < row_end; ++row) {
    portable_2x4_run_segment(a, row / oh, row % oh, 0, a.g.ow(), 0, a.g.oc);
  }
}

}  // namespace bnnkit::kernels::bconv2d_detail
