// pgconv for AVX-512 F + VPOPCNTDQ: the bit-serial decomposition of bitserial.h with VPOPCNTQ.
//
// High part (every output): each 64-bit lane of a zmm is one output channel, as in bconv2d's AVX-512 kernel.
// The signed high code h = a_hb / 2^lb is turned, once per output pixel and activation word, into the
// unsigned h' = h + 2^hb - 1 (hb + 1 planes, see offset_planes), so a (plane, weight plane) pair costs one
// VPOPCNTQ rather than two (P and N); (2^hb - 1) * sum(w) over the valid taps is subtracted at the end. Per
// valid tap and word the hb + 1 planes are broadcast and ANDed with the nw weight-plane vectors of 8
// channels; no horizontal reduction. Padded taps are skipped (h = 0 there). Packed: [oc/8][tap][word][nw][8]
// (lanes past oc zero), then the weight sums per tap, [oc/8][tap][8] int64.
//
// Gate and low part: after the high part of up to 256 channels of one pixel, the gate is tested per channel
// and the open channels are listed; only those get the low part. An open channel's low part runs over the
// pixel's window of the 2 * lb low planes, gathered once per pixel into [plane][K8] words (padded taps zero,
// K8 = K rounded up to 8), 8 window words per zmm, then one horizontal sum. Packed: [oc][nw][K8] after the
// weight sums. So the low part's time is proportional to the number of open gates, except that a block of 8
// channels with at least kDenseLanes open gates runs its low part densely (the high part's loop on the low
// planes, P and N) and keeps only the open lanes, which caps the cost of the high densities.
//
// Weight planes: planes 0..nw-2 have coefficient +2^j and plane nw-1 has -2^(nw-1) (bitserial.h, both for wb
// >= 2 and wb = 1), so the sum over j is a Horner scheme with immediate shifts plus one subtracted term.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/pgconv/bitserial.h"
#include "kernels/pgconv/variant_impls.h"

namespace bnnkit::kernels::pgconv_detail {
namespace {

constexpr int kLanes = 8;    // output channels (high part) or window words (low part) per zmm
constexpr int kChunk = 256;  // output channels whose gates are tested together
// A block of 8 channels with at least this many open gates runs its low part densely: one dense block costs
// about as much as 6 single open channels on a 3x3x128 W8 A3 hb2 layer (bench/pgconv_bench.cc).
constexpr int kDenseLanes = 7;

static_assert(weight_plane_shift(1, 1) == 1 && weight_plane_negative(1, 1) && weight_plane_negative(8, 7),
              "the Horner scheme below assumes planes 0..nw-2 positive, plane nw-1 negative, shift j");

struct Layout {
  int cw, taps, nw, ocb, k, k8;
  Layout(const ConvGeometry& g, int wb)
      : cw(words_for(g.ic)),
        taps(g.kh * g.kw),
        nw(weight_planes(wb)),
        ocb((g.oc + kLanes - 1) / kLanes),
        k(g.kh * g.kw * words_for(g.ic)),
        k8((g.kh * g.kw * words_for(g.ic) + kLanes - 1) / kLanes * kLanes) {}
  size_t high_words() const { return static_cast<size_t>(ocb) * taps * cw * nw * kLanes; }
  size_t wsum_words() const { return static_cast<size_t>(ocb) * taps * kLanes; }
  size_t low_words(int oc) const { return static_cast<size_t>(oc) * nw * k8; }
};

inline __m512i load(const Word* p) {
  return _mm512_loadu_si512(p);
}

// sum_t 2^t (popcount(p[t] & w) - popcount(n[t] & w)) per lane.
template <int N>
inline __m512i planes_dot(const __m512i* p, const __m512i* n, __m512i w) {
  __m512i s = _mm512_sub_epi64(_mm512_popcnt_epi64(_mm512_and_si512(p[0], w)),
                               _mm512_popcnt_epi64(_mm512_and_si512(n[0], w)));
  for (int t = 1; t < N; ++t) {
    const __m512i d = _mm512_sub_epi64(_mm512_popcnt_epi64(_mm512_and_si512(p[t], w)),
                                       _mm512_popcnt_epi64(_mm512_and_si512(n[t], w)));
    s = _mm512_add_epi64(s, _mm512_sll_epi64(d, _mm_cvtsi32_si128(t)));
  }
  return s;
}

// sum_t 2^t popcount(h[t] & w) per lane (unsigned activation planes).
template <int N>
inline __m512i unsigned_dot(const __m512i* h, __m512i w) {
  __m512i s = _mm512_popcnt_epi64(_mm512_and_si512(h[0], w));
  for (int t = 1; t < N; ++t)
    s = _mm512_add_epi64(
        s, _mm512_sll_epi64(_mm512_popcnt_epi64(_mm512_and_si512(h[t], w)), _mm_cvtsi32_si128(t)));
  return s;
}

// sum_j c_j * dot(w_j) for the nw weight planes at w (stride `stride` words between planes).
template <class Dot>
inline __m512i weights_dot(Dot dot, const Word* w, size_t stride, int nw) {
  __m512i pos = _mm512_setzero_si512();
  for (int j = nw - 2; j >= 0; --j)
    pos = _mm512_add_epi64(_mm512_slli_epi64(pos, 1), dot(load(w + j * stride)));
  const __m512i top = dot(load(w + static_cast<size_t>(nw - 1) * stride));
  return _mm512_sub_epi64(pos, _mm512_sll_epi64(top, _mm_cvtsi32_si128(nw - 1)));
}

// The high part of one activation word in offset form: with h = a_hb / 2^lb = P - N in [-(2^HB - 1), 2^HB -
// 1] (P, N: the HB high magnitude planes of the positive and negative channels), h' = h + 2^HB - 1 is
// unsigned, HB + 1 bits, so each (activation plane, weight plane) pair costs one popcount instead of two;
// the kernel subtracts (2^HB - 1) * sum(w) afterwards. Bitwise: h' = 2^HB + (P - 1) where P > 0 (a borrow
// chain), else 2^HB - 1 - N = ~N over HB bits. Tail channels get junk bits; their weight bits are zero.
template <int HB>
inline void offset_planes(const Word* px_high_p, const Word* px_high_n, int stride, Word* h) {
  Word pos = 0;
  for (int t = 0; t < HB; ++t) pos |= px_high_p[t * stride];
  Word borrow = ~Word{0};
  for (int t = 0; t < HB; ++t) {
    const Word p = px_high_p[t * stride];
    const Word dec = p ^ borrow;
    borrow &= ~p;
    h[t] = (pos & dec) | (~pos & ~px_high_n[t * stride]);
  }
  h[HB] = pos;
}

template <int HB, int LB>
void run_bits(const PGConv2dArgs& a, int row_begin, int row_end) {
  constexpr int B = HB + LB;
  const ConvGeometry& g = a.g;
  const Layout l(g, a.weight_bits);
  const int oh = g.oh(), ow = g.ow();
  const int pw = pg_pixel_words(B, g.ic);
  const Word* high = a.packed;
  const Word* wsums = high + l.high_words();
  const Word* low = wsums + l.wsum_words();
  alignas(64) Word win[kMaxWindowWords];   // the low planes of one pixel's window: [2 * LB][k8]
  alignas(64) Word hwin[kMaxWindowWords];  // its high part in offset form: [tap][word][HB + 1]
  int32_t acc[kChunk];
  int open[kChunk];
  int64_t open_count = 0;
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    const float k = pg_step(a, a.src_scale[b]);
    const Word* image = a.src + static_cast<size_t>(b) * g.ih * g.iw * pw;
    // f(pixel planes, tap) for the taps of output pixel (oy, ox) inside the image.
    const auto for_valid_taps = [&](int ox, auto&& f) {
      for (int i = 0; i < g.kh; ++i) {
        const int y = oy * g.sh - g.ph + i;
        if (y < 0 || y >= g.ih) continue;
        for (int j = 0; j < g.kw; ++j) {
          const int x = ox * g.sw - g.pw + j;
          if (x >= 0 && x < g.iw) f(image + (static_cast<size_t>(y) * g.iw + x) * pw, i * g.kw + j);
        }
      }
    };
    for (int ox = 0; ox < ow; ++ox) {
      // Low-part window; padded taps stay zero.
      std::fill(win, win + 2 * LB * l.k8, Word{0});
      for (int i = 0; i < g.kh; ++i)
        for (int j = 0; j < g.kw; ++j) {
          const int y = oy * g.sh - g.ph + i, x = ox * g.sw - g.pw + j;
          if (y < 0 || y >= g.ih || x < 0 || x >= g.iw) continue;
          const Word* px = image + (static_cast<size_t>(y) * g.iw + x) * pw;
          const int at = (i * g.kw + j) * l.cw;
          for (int t = 0; t < LB; ++t)
            for (int w = 0; w < l.cw; ++w) {
              win[t * l.k8 + at + w] = px[t * l.cw + w];
              win[(LB + t) * l.k8 + at + w] = px[(B + t) * l.cw + w];
            }
          for (int w = 0; w < l.cw; ++w)
            offset_planes<HB>(px + LB * l.cw + w, px + (B + LB) * l.cw + w, l.cw, hwin + (at + w) * (HB + 1));
        }
      void* out = static_cast<char*>(a.dst) + (static_cast<size_t>(row) * ow + ox) * g.oc * 4;
      for (int c0 = 0; c0 < g.oc; c0 += kChunk) {
        const int c1 = std::min(g.oc, c0 + kChunk);
        // High part, 8 channels per vector.
        for (int ob = c0 / kLanes; ob * kLanes < c1; ++ob) {
          __m512i sum = _mm512_setzero_si512(), wsum = _mm512_setzero_si512();
          for_valid_taps(
              ox, [&](const Word*, int tap) {  // padded taps: h = 0, skipped with their weight sums
                const size_t ot = static_cast<size_t>(ob) * l.taps + tap;
                wsum = _mm512_add_epi64(wsum, load(wsums + ot * kLanes));
                const Word* wt = high + ot * l.cw * l.nw * kLanes;
                for (int w = 0; w < l.cw; ++w) {
                  const Word* hw = hwin + (tap * l.cw + w) * (HB + 1);
                  __m512i h[HB + 1];
                  for (int t = 0; t <= HB; ++t) h[t] = _mm512_set1_epi64(static_cast<long long>(hw[t]));
                  const auto dot = [&h](__m512i wv) { return unsigned_dot<HB + 1>(h, wv); };
                  sum = _mm512_add_epi64(
                      sum, weights_dot(dot, wt + static_cast<size_t>(w) * l.nw * kLanes, kLanes, l.nw));
                }
              });
          // sum h * w = sum h' * w - (2^HB - 1) * sum w
          sum = _mm512_sub_epi64(sum, _mm512_sub_epi64(_mm512_slli_epi64(wsum, HB), wsum));
          alignas(64) int64_t lanes[kLanes];
          _mm512_store_si512(lanes, _mm512_slli_epi64(sum, LB));
          for (int q = 0; q < kLanes && ob * kLanes + q < c1; ++q)
            acc[ob * kLanes + q - c0] = static_cast<int32_t>(lanes[q]);
        }
        // Gates. A block of 8 channels with at least kDenseLanes open gates runs its low part like the high
        // part, all 8 lanes at once (cheaper than that many single channels), and keeps the open lanes; the
        // open channels of the other blocks are listed and run one by one below.
        int n_open = 0;
        for (int ob = c0 / kLanes; ob * kLanes < c1; ++ob) {
          const int o0 = ob * kLanes, o1 = std::min(c1, o0 + kLanes);
          unsigned mask = 0;
          for (int o = o0; o < o1; ++o) mask |= (pg_gate(acc[o - c0], k, a.delta[o]) ? 1u : 0u) << (o - o0);
          const int count = __builtin_popcount(mask);
          open_count += count;
          if (count < kDenseLanes) {
            for (int o = o0; o < o1; ++o) {  // branch-free: at mid densities the gate is a coin flip
              open[n_open] = o;
              n_open += static_cast<int>((mask >> (o - o0)) & 1u);
            }
            continue;
          }
          __m512i sum = _mm512_setzero_si512();
          for_valid_taps(ox, [&](const Word* px, int tap) {
            const Word* wt = high + (static_cast<size_t>(ob) * l.taps + tap) * l.cw * l.nw * kLanes;
            for (int w = 0; w < l.cw; ++w) {
              __m512i p[LB], n[LB];
              for (int t = 0; t < LB; ++t) {
                p[t] = _mm512_set1_epi64(static_cast<long long>(px[t * l.cw + w]));
                n[t] = _mm512_set1_epi64(static_cast<long long>(px[(B + t) * l.cw + w]));
              }
              const auto dot = [&p, &n](__m512i wv) { return planes_dot<LB>(p, n, wv); };
              sum = _mm512_add_epi64(
                  sum, weights_dot(dot, wt + static_cast<size_t>(w) * l.nw * kLanes, kLanes, l.nw));
            }
          });
          alignas(64) int64_t lanes[kLanes];
          _mm512_store_si512(lanes, sum);
          for (int o = o0; o < o1; ++o)
            if ((mask >> (o - o0)) & 1u) acc[o - c0] += static_cast<int32_t>(lanes[o - o0]);
        }
        for (int idx = 0; idx < n_open; ++idx) {
          const int o = open[idx];
          const Word* wl = low + static_cast<size_t>(o) * l.nw * l.k8;
          if (idx + 1 < n_open) {
            // The next open channel is anywhere in the weights: fetch it while this one computes.
            const char* next =
                reinterpret_cast<const char*>(low + static_cast<size_t>(open[idx + 1]) * l.nw * l.k8);
            for (size_t b = 0; b < static_cast<size_t>(l.nw) * l.k8 * sizeof(Word); b += 64)
              _mm_prefetch(next + b, _MM_HINT_T0);
          }
          __m512i sum = _mm512_setzero_si512();
          for (int c = 0; c < l.k8; c += kLanes) {
            __m512i p[LB], n[LB];
            for (int t = 0; t < LB; ++t) {
              p[t] = _mm512_load_si512(win + t * l.k8 + c);
              n[t] = _mm512_load_si512(win + (LB + t) * l.k8 + c);
            }
            const auto dot = [&p, &n](__m512i wv) { return planes_dot<LB>(p, n, wv); };
            sum = _mm512_add_epi64(sum, weights_dot(dot, wl + c, l.k8, l.nw));
          }
          acc[o - c0] += static_cast<int32_t>(_mm512_reduce_add_epi64(sum));
        }
        for (int o = c0; o < c1; ++o) pg_write(a, o, acc[o - c0], k, out);
      }
    }
  }
  if (a.open_count != nullptr) *a.open_count += open_count;
}

}  // namespace

size_t avx512_vpopcntq_packed_weight_words(const ConvGeometry& g, int wb) {
  const Layout l(g, wb);
  return l.high_words() + l.wsum_words() + l.low_words(g.oc);
}

void avx512_vpopcntq_pack_weights(const ConvGeometry& g, int wb, const int32_t* codes, Word* packed) {
  const Layout l(g, wb);
  std::fill(packed, packed + avx512_vpopcntq_packed_weight_words(g, wb), Word{0});
  Word* wsums = packed + l.high_words();
  Word* low = wsums + l.wsum_words();
  for (int o = 0; o < g.oc; ++o)
    for (int t = 0; t < l.taps; ++t)
      for (int c = 0; c < g.ic; ++c) {
        const int32_t w = codes[(static_cast<size_t>(o) * l.taps + t) * g.ic + c];
        const Word bit = Word{1} << (c % kWordBits);
        const int word = c / kWordBits;
        for (int j = 0; j < l.nw; ++j) {
          if (!weight_plane_bit(wb, j, w)) continue;
          packed[(((static_cast<size_t>(o / kLanes) * l.taps + t) * l.cw + word) * l.nw + j) * kLanes +
                 o % kLanes] |= bit;
          low[(static_cast<size_t>(o) * l.nw + j) * l.k8 + t * l.cw + word] |= bit;
        }
        // Two's complement in a word, read back as an int64 lane.
        Word& ws = wsums[(static_cast<size_t>(o / kLanes) * l.taps + t) * kLanes + o % kLanes];
        ws = static_cast<Word>(static_cast<int64_t>(ws) + w);
      }
}

void avx512_vpopcntq_run(const PGConv2dArgs& a, int row_begin, int row_end) {
  with_bits(a.high_bits, [&](auto hb) {
    with_bits(a.act_bits - a.high_bits, [&](auto lb) {
      if constexpr (hb() + lb() <= kPGMaxBits) run_bits<hb(), lb()>(a, row_begin, row_end);
    });
  });
}

}  // namespace bnnkit::kernels::pgconv_detail
#endif
