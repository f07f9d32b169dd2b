// The gated fractional convolution (gated.h) for AVX-512 F/BW/VL + VPOPCNTDQ.
//
// MSB pass and dense LSB pass: bconv2d avx512_6x4, the MSB pass with its fused gate epilogue (gate compare,
// masks, output as if closed). The sparse LSB pass is direct (gated.h, Traits::direct): per pixel with an
// open gate, its window loaded from the input rows straight into NZ = ceil(k / 8) zmm registers (templated
// for NZ <= 8) by masked loads; the open channels walked by TZCNT over the masks; per open channel the window
// XOR its weight words, VPOPCNTQ, VPADDQ, one horizontal add, and its output rewritten in place through the
// output stage (a multiply then an add, as output_stage.h). The previous, compacted sparse pass (open-channel
// lists, batches of 8 pairs reduced by a transpose tree, the output vectors redone) cost ~255 units per pixel
// and ~26 per vector against the direct pass's ~178 and ~8.6, for ~4.8 per pair against ~9.3: the direct pass
// is faster up to ~25 % density, and from ~4 % the dense pass beats both.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593); see avx512_6x4.cc.
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <bit>
#include <cstring>

#include "kernels/bconv2d/variant_impls.h"
#include "kernels/fracconv/gated.h"
#include "kernels/fracconv/variant_impls.h"

namespace bnnkit::kernels::fracconv_detail {
namespace {

inline __mmask16 lane_mask(int oc, int v) {
  const int n = std::min(16, oc - 16 * v);
  return static_cast<__mmask16>((1u << n) - 1);
}

// Channel c's output from its popcount sum pc: 2 * D_msb + D_lsb through the output stage.
inline void direct_write(const OutputStage& out, const PixelOut& px, int c, int32_t pc) {
  const int32_t base = px.base_vec != nullptr ? px.base_vec[c] : px.base;
  const int32_t total = 2 * px.dmsb[c] + (base - 2 * pc);
  switch (out.kind) {
    case OutputKind::kInt32:
      static_cast<int32_t*>(px.dst)[c] = total;
      break;
    case OutputKind::kFloat:
      // A multiply, then an add (-ffp-contract=off): the rounding of output_stage.h.
      static_cast<float*>(px.dst)[c] = static_cast<float>(total) * out.scale[c] + out.bias[c];
      break;
    case OutputKind::kBits: {
      // bit 1 (value -1) iff (total >= threshold) == flip, as finish().
      const bool one = (total >= out.threshold[c]) == (out.flip[c] != 0);
      Word& word = static_cast<Word*>(px.dst)[c / 64];
      const Word bit = Word{1} << (c % 64);
      word = one ? word | bit : word & ~bit;
      break;
    }
  }
}

// The open channels of a pixel, lowest first: f(c) for each. Four 16-channel masks at a time as one 64-bit
// word, so the walk costs one TZCNT per open channel and a test per 64 channels (a test per 16-channel vector
// was a mispredicted branch for most vectors at low density).
template <class F>
[[gnu::always_inline]] inline void for_open(const PixelOut& px, int oc, F&& f) {
  const int nv = (oc + 15) / 16;
  int v = 0;
  for (; v + 4 <= nv; v += 4) {
    uint64_t m;
    std::memcpy(&m, px.masks + v, sizeof m);
    for (; m != 0; m &= m - 1) f(16 * v + std::countr_zero(m));
  }
  for (; v < nv; ++v)
    for (unsigned m = px.masks[v]; m != 0; m &= m - 1) f(16 * v + std::countr_zero(m));
}

// The window straight from the input rows into NZ registers: register z takes, from each row run that
// overlaps its 8 words, one masked load at the address that puts the run's words in their lanes (masked lanes
// are not read, so the address may start before the run). No copy: a copied window is read back with loads
// that span several of the copy's stores, which cannot be store-forwarded.
template <int NZ>
[[gnu::always_inline]] inline void load_window(const WindowRows& wr, __m512i (&wv)[NZ]) {
#pragma GCC unroll 8
  for (int z = 0; z < NZ; ++z) wv[z] = _mm512_setzero_si512();
  for (int i = 0; i < wr.rows; ++i) {
    const int p = wr.pos[i];
    const auto at = reinterpret_cast<uintptr_t>(wr.ptr[i]);
#pragma GCC unroll 8
    for (int z = 0; z < NZ; ++z) {
      const int lo = std::max(p - 8 * z, 0), hi = std::min(p + wr.len - 8 * z, 8);
      if (lo >= hi) continue;
      const auto m = static_cast<__mmask8>((0xFFu >> (8 - hi)) & (0xFFu << lo));
      const auto addr = at + static_cast<uintptr_t>(static_cast<intptr_t>(8 * z - p) * 8);
      wv[z] = _mm512_mask_loadu_epi64(wv[z], m, reinterpret_cast<const void*>(addr));
    }
  }
}

template <int NZ>
void direct_nz(const OutputStage& out, int oc, const PixelOut& px, const WindowRows& wr, int k,
               const Word* wl) {
  __m512i wv[NZ];
  load_window(wr, wv);  // zero past k
  const auto tail = static_cast<__mmask8>(k % 8 == 0 ? 0xFF : (1u << (k % 8)) - 1);
  // Each pair on its own: batching 8 pairs for the transpose tree (reduce8) measured slower here, 10-25 %.
  for_open(px, oc, [&](int c) {
    const Word* w = wl + static_cast<size_t>(c) * k;
    __m512i acc =
        _mm512_popcnt_epi64(_mm512_xor_si512(wv[NZ - 1], _mm512_maskz_loadu_epi64(tail, w + 8 * (NZ - 1))));
#pragma GCC unroll 8
    for (int z = 0; z < NZ - 1; ++z)
      acc =
          _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(wv[z], _mm512_loadu_si512(w + 8 * z))));
    direct_write(out, px, c, static_cast<int32_t>(_mm512_reduce_add_epi64(acc)));
  });
}

// Windows wider than 8 zmm: copied once, then streamed from memory.
void direct_wide(const OutputStage& out, int oc, const PixelOut& px, const WindowRows& wr, int k,
                 const Word* wl) {
  Word win[kMaxWindowWords];  // not over-aligned: ASan's fake stack does not honour alignas(64) (gated.h)
  std::fill(win, win + k, Word{0});
  for (int i = 0; i < wr.rows; ++i) std::copy(wr.ptr[i], wr.ptr[i] + wr.len, win + wr.pos[i]);
  for_open(px, oc, [&](int c) {
    const Word* w = wl + static_cast<size_t>(c) * k;
    __m512i acc = _mm512_setzero_si512();
    for (int z = 0; z < k; z += 8) {
      const auto m = static_cast<__mmask8>(k - z >= 8 ? 0xFF : (1u << (k - z)) - 1);
      acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_maskz_loadu_epi64(m, win + z),
                                                                       _mm512_maskz_loadu_epi64(m, w + z))));
    }
    direct_write(out, px, c, static_cast<int32_t>(_mm512_reduce_add_epi64(acc)));
  });
}

struct Avx512Traits {
  static constexpr bool kFusedGates = true;
  static constexpr bool kTwoPlane = true;
  static constexpr bool kDirect = true;
  static void direct(const OutputStage& out, int oc, const PixelOut& px, const WindowRows& wr, int k,
                     const Word* wl) {
    constexpr decltype(&direct_nz<1>) kByZmm[] = {direct_nz<1>, direct_nz<2>, direct_nz<3>, direct_nz<4>,
                                                  direct_nz<5>, direct_nz<6>, direct_nz<7>, direct_nz<8>};
    const int nz = (k + 7) / 8;
    if (nz <= 8) {
      kByZmm[nz - 1](out, oc, px, wr, k, wl);
    } else {
      direct_wide(out, oc, px, wr, k, wl);
    }
  }
  static void two_plane(const BConv2dArgs& a, const Word* src_lsb, int b, int oy, int x0, int x1,
                        const bconv2d_detail::GateEpilogue& ge, int64_t* open) {
    bconv2d_detail::avx512_6x4_run_segment_two_plane(a, src_lsb, b, oy, x0, x1, ge, open);
  }
  static void msb_gated(const BConv2dArgs& a, int b, int oy, int x0, int x1, void* block,
                        const bconv2d_detail::GateEpilogue& ge) {
    bconv2d_detail::avx512_6x4_run_segment_gated(a, b, oy, x0, x1, block, ge);
  }
  static void msb_gated_rows(const BConv2dArgs& a, int row_begin, int row_end, void* block,
                             const bconv2d_detail::GateEpilogue& ge) {
    bconv2d_detail::avx512_6x4_run_rows_gated(a, row_begin, row_end, block, ge);
  }
  // 32 masks per VPOPCNTD (pairs of masks as dwords: the count is the same).
  static int count_open(const uint16_t* masks, int count) {
    __m512i sum = _mm512_setzero_si512();
    for (int i = 0; i < count; i += 32) {
      const auto in = static_cast<__mmask32>(count - i >= 32 ? ~0u : (1u << (count - i)) - 1);
      sum = _mm512_add_epi32(sum, _mm512_popcnt_epi32(_mm512_maskz_loadu_epi16(in, masks + i)));
    }
    return _mm512_reduce_add_epi32(sum);
  }
  static void msb(const BConv2dArgs& a, int b, int oy, int x0, int x1, void* block) {
    bconv2d_detail::avx512_6x4_run_segment(a, b, oy, x0, x1, 0, a.g.oc, block);
  }

  // gated.h zero_pad_base, 16 channels per step.
  static void zero_pad_base(int32_t* base, int oc, int32_t valid_bits, const int32_t* popw,
                            const ConvGeometry& g, TapRange rows, TapRange cols) {
    for (int c = 0; c < oc; c += 16) {
      const __mmask16 lanes = lane_mask(oc, c / 16);
      __m512i sum = _mm512_setzero_si512();
      for (int i = 0; i < g.kh; ++i) {
        for (int j = 0; j < g.kw; ++j) {
          if (i >= rows.begin && i < rows.end && j >= cols.begin && j < cols.end) continue;
          sum = _mm512_add_epi32(
              sum, _mm512_maskz_loadu_epi32(lanes, popw + static_cast<size_t>(i * g.kw + j) * oc + c));
        }
      }
      _mm512_mask_storeu_epi32(base + c, lanes,
                               _mm512_add_epi32(_mm512_set1_epi32(valid_bits), _mm512_slli_epi32(sum, 1)));
    }
  }

  // The dense pass's epilogue (D_lsb of every channel in px.dlsb; the sparse pass is direct()).
  static void finish(const OutputStage& out, int oc, const PixelOut& px) {
    const int nv = (oc + 15) / 16;
    uint64_t word = 0;
    for (int v = 0; v < nv; ++v) {
      const __mmask16 m = px.masks[v];
      if (px.skip_closed) {
        // The conv tile wrote every output as if closed: only a vector (bits: a word of 4) with an open gate
        // changes.
        if (out.kind != OutputKind::kBits && m == 0) continue;
        if (out.kind == OutputKind::kBits && v % 4 == 0) {
          const int end = std::min(nv, v + 4);
          unsigned any = 0;
          for (int u = v; u < end; ++u) any |= px.masks[u];
          if (any == 0) {
            v = end - 1;
            continue;
          }
        }
      }
      const __mmask16 lanes = lane_mask(oc, v);
      const int c = 16 * v;
      __m512i acc = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(lanes, px.dmsb + c), 1);
      acc = _mm512_mask_add_epi32(acc, m, acc, _mm512_maskz_loadu_epi32(m, px.dlsb + c));
      switch (out.kind) {
        // Full vectors store unmasked, a channel tail masked.
        case OutputKind::kInt32:
          if (lanes == 0xFFFF) {
            _mm512_storeu_si512(static_cast<int32_t*>(px.dst) + c, acc);
          } else {
            _mm512_mask_storeu_epi32(static_cast<int32_t*>(px.dst) + c, lanes, acc);
          }
          break;
        case OutputKind::kFloat: {
          // A multiply, then an add: the rounding of output_stage.h.
          const __m512 prod =
              _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_maskz_loadu_ps(lanes, out.scale + c));
          const __m512 y = _mm512_add_ps(prod, _mm512_maskz_loadu_ps(lanes, out.bias + c));
          if (lanes == 0xFFFF) {
            _mm512_storeu_ps(static_cast<float*>(px.dst) + c, y);
          } else {
            _mm512_mask_storeu_ps(static_cast<float*>(px.dst) + c, lanes, y);
          }
          break;
        }
        case OutputKind::kBits: {
          const __mmask16 ge =
              _mm512_mask_cmpge_epi32_mask(lanes, acc, _mm512_maskz_loadu_epi32(lanes, out.threshold + c));
          const __m128i f = _mm_maskz_loadu_epi8(lanes, out.flip + c);
          const auto plus = static_cast<__mmask16>(ge ^ _mm_test_epi8_mask(f, f));
          word |= static_cast<uint64_t>(static_cast<__mmask16>(~plus & lanes)) << (16 * (v % 4));
          if (v % 4 == 3 || v == nv - 1) {
            static_cast<Word*>(px.dst)[v / 4] = word;
            word = 0;
          }
          break;
        }
      }
    }
  }
};

}  // namespace

using Avx512Variant = GatedVariant<bconv2d_detail::avx512_6x4_packed_weight_words,
                                   bconv2d_detail::avx512_6x4_pack_weights, Avx512Traits>;

size_t avx512_gated_packed_weight_words(const ConvGeometry& g) {
  return Avx512Variant::packed_weight_words(g);
}

void avx512_gated_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  Avx512Variant::pack_weights(g, ref, packed);
}

void avx512_gated_run(const FracConv2dArgs& a, int row_begin, int row_end) {
  Avx512Variant::run(a, row_begin, row_end);
}

}  // namespace bnnkit::kernels::fracconv_detail

#endif  // defined(__x86_64__)
