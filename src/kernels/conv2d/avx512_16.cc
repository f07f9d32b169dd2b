// Float conv2d for AVX-512 F: 16 output channels of one group in the lanes of a zmm, up to 6 output pixels
// per tile. Each output lane runs exactly the reference's sequence (conv2d.h): over the valid taps i, j, k in
// order, acc = acc + x * w as a VMULPS then a VADDPS (no FMA), bias added last, so the floats are identical.
//
// Packed weights, per group and per vector of 16 of its output channels: [tap][k][16] floats (k < ic /
// groups), lanes past the group's channels zero (their outputs are not stored). Grouped convs with one input
// channel per group and a power-of-two number of outputs per group (depthwise, PokeBNN's stem) instead let a
// vector's lanes span several groups (tile<MR, true>).
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593); see avx512_6x4.cc.
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "kernels/bconv2d/direct_conv.h"
#include "kernels/conv2d/variants.h"

namespace bnnkit::kernels::conv2d_detail {
namespace {

using bconv2d_detail::interior_cols;
using bconv2d_detail::TapRange;
using bconv2d_detail::valid_taps;

constexpr int kLanes = 16;
constexpr int kMr = 6;

struct Layout {
  int icg, ocg, nvg, taps;
  Layout(const ConvGeometry& g, int groups)
      : icg(g.ic / groups),
        ocg(g.oc / groups),
        nvg((g.oc / groups + kLanes - 1) / kLanes),
        taps(g.kh * g.kw) {}
  size_t vector_floats() const { return static_cast<size_t>(taps) * icg * kLanes; }
};

// The input a tile's lanes read per tap: a broadcast of one input channel (general tile), or, for a vector
// spanning groups (kSpread, below), the 16 input channels from c_in on spread over the lanes by `idx`.
struct Spread {
  __m512i idx;
  __mmask16 in_lanes;  // input channels < ic
};

// One tile: MR pixels starting at output column ox, kernel rows [i0, i1), kernel columns [j0, j1) valid for
// all of them; the output channels [oc0, oc0 + 16) (lanes `lanes`): of group gr, whose input channels start
// at c_in, or (kSpread) of consecutive groups with one input channel each (weights [tap][16]).
template <int MR, bool kSpread>
void tile(const Conv2dArgs& a, const Layout& lay, const float* w, Spread sp, const __m512 bias, bool has_bias,
          __mmask16 lanes, int b, int oy, int ox, int row, int i0, int i1, int j0, int j1, int c_in,
          int oc0) {
  const ConvGeometry& g = a.g;
  __m512 acc[MR];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) acc[m] = _mm512_setzero_ps();
  for (int i = i0; i < i1; ++i) {
    const int y = oy * g.sh - g.ph + i;
    const float* src_row = a.src + (static_cast<size_t>(b) * g.ih + y) * g.iw * g.ic + c_in;
    for (int j = j0; j < j1; ++j) {
      const float* wt = w + static_cast<size_t>(i * g.kw + j) * lay.icg * kLanes;
      const float* s[MR];
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m) s[m] = src_row + static_cast<size_t>((ox + m) * g.sw - g.pw + j) * g.ic;
      for (int k = 0; k < lay.icg; ++k) {
        const __m512 wk = _mm512_loadu_ps(wt + k * kLanes);
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m) {
          const __m512 x = kSpread ? _mm512_permutexvar_ps(sp.idx, _mm512_maskz_loadu_ps(sp.in_lanes, s[m]))
                                   : _mm512_set1_ps(s[m][k]);
          acc[m] = _mm512_add_ps(acc[m], _mm512_mul_ps(x, wk));
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
    const __m512 out = has_bias ? _mm512_add_ps(acc[m], bias) : acc[m];
    float* d = a.dst + (static_cast<size_t>(row) * g.ow() + ox + m) * g.oc + oc0;
    if (lanes == 0xFFFF) {
      _mm512_storeu_ps(d, out);
    } else {
      _mm512_mask_storeu_ps(d, lanes, out);
    }
  }
}

// Grouped convs with one input channel per group and ocg output channels per group, ocg dividing 16
// (depthwise, and PokeBNN's stem conv: 16 groups of 1 -> 4): the lanes of a vector span 16 / ocg consecutive
// groups instead of one group's ocg channels, so no lane idles. Lane l of vector v (output channel o = 16 v +
// l) reads input channel o / ocg: per tap one (masked) load of the 16 input channels from (16 v) / ocg on and
// a VPERMPS to spread them over the lanes, then the same VMULPS + VADDPS per tap as the general tile (one k
// per group). Packed weights: per vector of 16 output channels, [tap][16] floats, lanes past oc zero.
bool spans_groups(const ConvGeometry& g, int groups) {
  const int icg = g.ic / groups, ocg = g.oc / groups;
  return icg == 1 && ocg <= kLanes && kLanes % ocg == 0;
}

}  // namespace

size_t avx512_16_packed_floats(const ConvGeometry& g, int groups) {
  if (spans_groups(g, groups))
    return static_cast<size_t>((g.oc + kLanes - 1) / kLanes) * g.kh * g.kw * kLanes;
  const Layout lay(g, groups);
  return static_cast<size_t>(groups) * lay.nvg * lay.vector_floats();
}

void avx512_16_pack(const ConvGeometry& g, int groups, const float* ref, float* packed) {
  std::memset(packed, 0, avx512_16_packed_floats(g, groups) * sizeof(float));
  if (spans_groups(g, groups)) {
    const int taps = g.kh * g.kw;
    for (int o = 0; o < g.oc; ++o)
      for (int t = 0; t < taps; ++t)
        packed[(static_cast<size_t>(o / kLanes) * taps + t) * kLanes + o % kLanes] =
            ref[static_cast<size_t>(o) * taps + t];
    return;
  }
  const Layout lay(g, groups);
  for (int o = 0; o < g.oc; ++o) {
    const int gr = o / lay.ocg, v = (o % lay.ocg) / kLanes, lane = (o % lay.ocg) % kLanes;
    float* pv = packed + (static_cast<size_t>(gr) * lay.nvg + v) * lay.vector_floats();
    for (int t = 0; t < lay.taps; ++t)
      for (int k = 0; k < lay.icg; ++k)
        pv[(static_cast<size_t>(t) * lay.icg + k) * kLanes + lane] =
            ref[(static_cast<size_t>(o) * lay.taps + t) * lay.icg + k];
  }
}

void avx512_16_run(const Conv2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int groups = a.groups;
  const Layout lay(g, groups);
  const int oh = g.oh(), ow = g.ow();
  const TapRange inner = interior_cols(g, 0, ow);
  const bool has_bias = a.bias != nullptr;
  const bool spread = spans_groups(g, groups);
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    const TapRange rows = valid_taps(oy, g.sh, g.ph, g.kh, g.ih);
    // run(ox, mr, j0, j1): a tile of mr pixels from column ox with kernel columns [j0, j1). Interior columns
    // go in tiles of 6 (every kernel column valid), edge columns one by one.
    auto sweep = [&](auto&& run) {
      int ox = inner.begin;
      for (; ox + kMr <= inner.end; ox += kMr) run(ox, kMr, 0, g.kw);
      if (ox < inner.end) run(ox, inner.end - ox, 0, g.kw);
      for (int x = 0; x < ow; ++x) {
        if (x >= inner.begin && x < inner.end) continue;
        const TapRange cols = valid_taps(x, g.sw, g.pw, g.kw, g.iw);
        run(x, 1, cols.begin, cols.end);
      }
    };
    if (spread) {
      const int ocg = g.oc / groups;
      for (int oc0 = 0; oc0 < g.oc; oc0 += kLanes) {
        const int n = std::min(kLanes, g.oc - oc0);
        const auto lanes = static_cast<__mmask16>(n == kLanes ? 0xFFFF : (1u << n) - 1);
        const int c_in = oc0 / ocg;  // lane l reads input channel c_in + l / ocg
        const int n_in = std::min(kLanes, g.ic - c_in);
        const auto in_lanes = static_cast<__mmask16>(n_in == kLanes ? 0xFFFF : (1u << n_in) - 1);
        // l / ocg, ocg a power of two.
        const __m512i idx =
            _mm512_srlv_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                              _mm512_set1_epi32(std::countr_zero(static_cast<unsigned>(ocg))));
        const float* w = a.weights + static_cast<size_t>(oc0 / kLanes) * g.kh * g.kw * kLanes;
        const __m512 bias = has_bias ? _mm512_maskz_loadu_ps(lanes, a.bias + oc0) : _mm512_setzero_ps();
        constexpr decltype(&tile<1, true>) kTiles[kMr] = {tile<1, true>, tile<2, true>, tile<3, true>,
                                                          tile<4, true>, tile<5, true>, tile<6, true>};
        sweep([&](int ox, int mr, int j0, int j1) {
          kTiles[mr - 1](a, lay, w, Spread{idx, in_lanes}, bias, has_bias, lanes, b, oy, ox, row, rows.begin,
                         rows.end, j0, j1, c_in, oc0);
        });
      }
      continue;
    }
    for (int gr = 0; gr < groups; ++gr) {
      for (int v = 0; v < lay.nvg; ++v) {
        const int n = std::min(kLanes, lay.ocg - v * kLanes);
        const auto lanes = static_cast<__mmask16>(n == kLanes ? 0xFFFF : (1u << n) - 1);
        const int oc0 = gr * lay.ocg + v * kLanes;
        const float* w = a.weights + (static_cast<size_t>(gr) * lay.nvg + v) * lay.vector_floats();
        const __m512 bias = has_bias ? _mm512_maskz_loadu_ps(lanes, a.bias + oc0) : _mm512_setzero_ps();
        const int c_in = gr * lay.icg;
        // tile<1..6>, by pixel count.
        constexpr decltype(&tile<1, false>) kTiles[kMr] = {tile<1, false>, tile<2, false>, tile<3, false>,
                                                           tile<4, false>, tile<5, false>, tile<6, false>};
        sweep([&](int ox, int mr, int j0, int j1) {
          kTiles[mr - 1](a, lay, w, Spread{}, bias, has_bias, lanes, b, oy, ox, row, rows.begin, rows.end, j0,
                         j1, c_in, oc0);
        });
      }
    }
  }
}

}  // namespace bnnkit::kernels::conv2d_detail

#endif  // defined(__x86_64__)
