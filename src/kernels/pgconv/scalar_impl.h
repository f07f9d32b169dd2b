// The 64-bit scalar bit-serial pgconv (bitserial.h), compiled twice: portable_swar.cc (no POPCNT instruction
// assumed) and avx2_popcnt.cc (hardware POPCNT). Everything here has internal linkage, so the two copies,
// built with different ISA flags, can never be merged by the linker.
//
// Per output pixel the kh x kw window of all 2B planes is gathered into a stack buffer [K][2B] words, K = kh
// * kw * words(ic), padded taps as zero words (q = 0 there), so the dot products are plain streams. Packed
// weights: [oc][K][nw] words (the nw weight planes of a word adjacent). Per output channel the high part is
// computed, the gate tested, and the low part computed only if it opens.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/pgconv/bitserial.h"
#include "kernels/pgconv/pgconv.h"

namespace bnnkit::kernels::pgconv_detail {
namespace {

struct ScalarLayout {
  int cw, taps, k, nw, planes;
  ScalarLayout(const ConvGeometry& g, int act_bits, int wb)
      : cw(words_for(g.ic)),
        taps(g.kh * g.kw),
        k(g.kh * g.kw * words_for(g.ic)),
        nw(weight_planes(wb)),
        planes(2 * act_bits) {}
};

size_t scalar_packed_words(const ConvGeometry& g, int wb) {
  return static_cast<size_t>(g.oc) * g.kh * g.kw * words_for(g.ic) * weight_planes(wb);
}

void scalar_pack(const ConvGeometry& g, int wb, const int32_t* codes, Word* packed) {
  const int cw = words_for(g.ic), nw = weight_planes(wb), taps = g.kh * g.kw;
  for (size_t i = 0; i < scalar_packed_words(g, wb); ++i) packed[i] = 0;
  for (int o = 0; o < g.oc; ++o)
    for (int t = 0; t < taps; ++t)
      for (int c = 0; c < g.ic; ++c) {
        const int32_t w = codes[(static_cast<size_t>(o) * taps + t) * g.ic + c];
        Word* dst = packed + ((static_cast<size_t>(o) * taps + t) * cw + c / kWordBits) * nw;
        for (int j = 0; j < nw; ++j)
          if (weight_plane_bit(wb, j, w)) dst[j] |= Word{1} << (c % kWordBits);
      }
}

// sum over the window of (the N activation planes first..first+N-1) * w, as an exact integer.
template <int N, class Pop>
int64_t scalar_dot(const Word* win, const Word* wo, const ScalarLayout& l, int act_bits, int wb, int first,
                   Pop pop) {
  int64_t acc[kPGMaxBits] = {};
  for (int k = 0; k < l.k; ++k) {
    const Word* ap = win + static_cast<size_t>(k) * l.planes + first;
    Word p[N], n[N];
    for (int t = 0; t < N; ++t) p[t] = ap[t], n[t] = ap[act_bits + t];
    const Word* wk = wo + static_cast<size_t>(k) * l.nw;
    for (int j = 0; j < l.nw; ++j) {
      const Word wv = wk[j];
      int64_t s = 0;
      for (int t = 0; t < N; ++t) s += static_cast<int64_t>(pop(p[t] & wv) - pop(n[t] & wv)) << t;
      acc[j] += s;
    }
  }
  int64_t total = 0;
  for (int j = 0; j < l.nw; ++j) {
    const int64_t v = acc[j] << weight_plane_shift(wb, j);
    total += weight_plane_negative(wb, j) ? -v : v;
  }
  return total << first;
}

template <int HB, int LB, class Pop>
void scalar_run_bits(const PGConv2dArgs& a, int row_begin, int row_end, Pop pop) {
  const ConvGeometry& g = a.g;
  const ScalarLayout l(g, a.act_bits, a.weight_bits);
  const int oh = g.oh(), ow = g.ow();
  const int pw = pg_pixel_words(a.act_bits, g.ic);
  const size_t tap_words = static_cast<size_t>(l.cw) * l.planes;
  Word win[kMaxWindowWords];
  int64_t open_count = 0;
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    const float k = pg_step(a, a.src_scale[b]);
    for (int ox = 0; ox < ow; ++ox) {
      for (int i = 0; i < g.kh; ++i)
        for (int j = 0; j < g.kw; ++j) {
          Word* dst = win + static_cast<size_t>(i * g.kw + j) * tap_words;
          const int y = oy * g.sh - g.ph + i, x = ox * g.sw - g.pw + j;
          if (y < 0 || y >= g.ih || x < 0 || x >= g.iw) {
            for (size_t t = 0; t < tap_words; ++t) dst[t] = 0;
            continue;
          }
          // [plane][word] in the source, [word][plane] in the window.
          const Word* px = a.src + ((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * pw;
          for (int w = 0; w < l.cw; ++w)
            for (int p = 0; p < l.planes; ++p) dst[w * l.planes + p] = px[p * l.cw + w];
        }
      void* out = static_cast<char*>(a.dst) + (static_cast<size_t>(row) * ow + ox) * g.oc * 4;
      for (int o = 0; o < g.oc; ++o) {
        const Word* wo = a.packed + static_cast<size_t>(o) * l.k * l.nw;
        const auto hi = static_cast<int32_t>(scalar_dot<HB>(win, wo, l, a.act_bits, a.weight_bits, LB, pop));
        int32_t acc = hi;
        if (pg_gate(hi, k, a.delta[o])) {
          acc += static_cast<int32_t>(scalar_dot<LB>(win, wo, l, a.act_bits, a.weight_bits, 0, pop));
          ++open_count;
        }
        pg_write(a, o, acc, k, out);
      }
    }
  }
  if (a.open_count != nullptr) *a.open_count += open_count;
}

template <class Pop>
void scalar_run(const PGConv2dArgs& a, int row_begin, int row_end, Pop pop) {
  with_bits(a.high_bits, [&](auto hb) {
    with_bits(a.act_bits - a.high_bits, [&](auto lb) {
      if constexpr (hb() + lb() <= kPGMaxBits) scalar_run_bits<hb(), lb()>(a, row_begin, row_end, pop);
    });
  });
}

}  // namespace
}  // namespace bnnkit::kernels::pgconv_detail
