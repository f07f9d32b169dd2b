// The gated fractional convolution (gated.h) for AVX-512 F/BW/VL + VPOPCNTDQ.
//
// MSB pass and dense LSB pass: bconv2d avx512_6x4, the MSB pass with its fused gate epilogue (gate compare,
// masks, output as if closed). Open channels: a table of set-bit positions per mask byte. The per-pair LSB
// dot product keeps the pixel's window in NZ = ceil(k / 8) zmm registers (templated for NZ <= 8) and XORs it
// with each open channel's weight words, VPOPCNTQ, VPADDQ; 8 pairs' vectors of qword partial sums are reduced
// to 8 totals by a transpose tree (21 ops, against 8 horizontal reductions of ~6 ops each), 1 or 2 leftover
// pairs each by a horizontal add. The epilogue redoes only the 16-channel vectors with an open gate: the
// compacted sums back to channel lanes by a VPERMD, then the output stage with the multiply-then-add rounding
// of output_stage.h.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593); see avx512_6x4.cc.
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <array>
#include <bit>

#include "kernels/bconv2d/variant_impls.h"
#include "kernels/fracconv/gated.h"
#include "kernels/fracconv/variant_impls.h"

namespace bnnkit::kernels::fracconv_detail {
namespace {

// kBitPositions[b]: the positions of the set bits of byte b, one per byte, lowest first.
constexpr auto kBitPositions = [] {
  std::array<uint64_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b) {
    int n = 0;
    for (unsigned i = 0; i < 8; ++i) {
      if ((b >> i) & 1u) t[b] |= static_cast<uint64_t>(i) << (8 * n++);
    }
  }
  return t;
}();

inline __mmask16 lane_mask(int oc, int v) {
  const int n = std::min(16, oc - 16 * v);
  return static_cast<__mmask16>((1u << n) - 1);
}

// 8 vectors of 8 qword partial sums -> the 8 totals, as one vector in order.
inline __m512i reduce8(const __m512i (&s)[8]) {
  // Level 1: within 128-bit lanes, [a0 + a1, b0 + b1] for the pairs (0,1) (2,3) (4,5) (6,7).
  __m512i t[4];
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(s[2 * i], s[2 * i + 1]),
                            _mm512_unpackhi_epi64(s[2 * i], s[2 * i + 1]));
  }
  // Level 2: add 128-bit lanes pairwise: u[0] = [t0 L0+L1, t0 L2+L3, t1 L0+L1, t1 L2+L3].
  __m512i u[2];
  for (int i = 0; i < 2; ++i) {
    u[i] = _mm512_add_epi64(_mm512_shuffle_i64x2(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_i64x2(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
  // Level 3: lane k of the result holds the totals of pairs (2k, 2k + 1).
  return _mm512_add_epi64(_mm512_shuffle_i64x2(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i64x2(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// Sums of popcount(window XOR w[o]) over k words for the listed channels: the window (zero past k, to a
// multiple of 8 words) in NZ = ceil(k / 8) registers; each channel's k words at stride k, the last zmm loaded
// with a mask (zeros past k, and no read past the buffer).
template <int NZ>
void dots_nz(const Word* win, int k, const Word* wl, const int32_t* list, int n, int32_t* pcs) {
  __m512i wv[NZ];
#pragma GCC unroll 8
  for (int z = 0; z < NZ; ++z) wv[z] = _mm512_load_si512(win + 8 * z);
  const auto tail = static_cast<__mmask8>(k % 8 == 0 ? 0xFF : (1u << (k % 8)) - 1);
  wv[NZ - 1] = _mm512_maskz_mov_epi64(tail, wv[NZ - 1]);  // the window's words past k may be anything
  // The XOR-popcount sum of one pair, as 8 qword partial sums.
  auto pair = [&](int q) {
    const Word* w = wl + static_cast<size_t>(list[q]) * k;
    __m512i acc =
        _mm512_popcnt_epi64(_mm512_xor_si512(wv[NZ - 1], _mm512_maskz_loadu_epi64(tail, w + 8 * (NZ - 1))));
#pragma GCC unroll 8
    for (int z = 0; z < NZ - 1; ++z)
      acc =
          _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(wv[z], _mm512_loadu_si512(w + 8 * z))));
    return acc;
  };
  int q = 0;
  for (; q + 2 < n; q += 8) {  // batches of 8 (compact() pads the list), while 3 or more pairs remain
    __m512i s[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) s[j] = pair(q + j);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(pcs + q), _mm512_cvtepi64_epi32(reduce8(s)));
  }
  for (; q < n; ++q) pcs[q] = static_cast<int32_t>(_mm512_reduce_add_epi64(pair(q)));  // 1 or 2 left
}

// Windows wider than 8 zmm: streamed from memory.
void dots_wide(const Word* win, int k, const Word* wl, const int32_t* list, int n, int32_t* pcs) {
  for (int q = 0; q < n; q += 8) {
    __m512i s[8];
    for (int j = 0; j < 8; ++j) {
      const Word* w = wl + static_cast<size_t>(list[q + j]) * k;
      __m512i acc = _mm512_setzero_si512();
      for (int z = 0; z < k; z += 8) {
        const auto m = static_cast<__mmask8>(k - z >= 8 ? 0xFF : (1u << (k - z)) - 1);
        acc =
            _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_maskz_loadu_epi64(m, win + z),
                                                                       _mm512_maskz_loadu_epi64(m, w + z))));
      }
      s[j] = acc;
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(pcs + q), _mm512_cvtepi64_epi32(reduce8(s)));
  }
}

struct Avx512Traits {
  static constexpr bool kFusedGates = true;
  static constexpr bool kTwoPlane = true;
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

  // Windows are short runs (kw * words_for(ic) words per kernel row): masked loads (no read past the
  // tensor) and full stores, whose zeros past the run are overwritten by the next row or lie past the window
  // (gated.h gives each window 8 spare words; dots() masks words past k).
  static void copy(Word* dst, const Word* src, int n) {
    for (int z = 0; z < n; z += 8) {
      const auto m = static_cast<__mmask8>(n - z >= 8 ? 0xFF : (1u << (n - z)) - 1);
      _mm512_storeu_si512(dst + z, _mm512_maskz_loadu_epi64(m, src + z));
    }
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

  // The open list from a table of the set-bit positions of each mask byte rather than VPCOMPRESSD (and, in
  // finish(), a VPERMD by prefix popcounts rather than VPEXPANDD): measured a few percent faster on this Zen
  // 5 (134 -> 129 us at 10 % density), and not microcoded on any AVX-512 core.
  static int compact(const uint16_t* masks, int oc, int32_t* list) {
    int n = 0;
    const int nv = (oc + 15) / 16;
    // Only the vectors with an open gate: a bitmap of the non-zero masks, 32 at a time.
    for (int v0 = 0; v0 < nv; v0 += 32) {
      const int cnt = std::min(32, nv - v0);
      const auto in = static_cast<__mmask32>(cnt == 32 ? ~0u : (1u << cnt) - 1);
      const __m512i mv = _mm512_maskz_loadu_epi16(in, masks + v0);
      for (uint32_t nz = _mm512_test_epi16_mask(mv, mv); nz != 0; nz &= nz - 1) {
        const int v = v0 + std::countr_zero(nz);
        for (int h = 0; h < 2; ++h) {
          const unsigned byte = (masks[v] >> (8 * h)) & 0xFFu;
          const __m256i pos =
              _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(kBitPositions[byte])));
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(list + n),
                              _mm256_add_epi32(pos, _mm256_set1_epi32(16 * v + 8 * h)));
          n += std::popcount(byte);
        }
      }
    }
    // Pad to a multiple of 8 with a valid channel, so dots() needs no bounds test (the sums are unused).
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(list + n), _mm256_set1_epi32(n > 0 ? list[0] : 0));
    return n;
  }

  static void dots(const Word* win, int k, const Word* wl, const int32_t* list, int n, int32_t* pcs) {
    // The window in NZ = ceil(k / 8) registers for NZ <= 8; wider windows streamed from memory.
    constexpr decltype(&dots_wide) kByZmm[] = {dots_nz<1>, dots_nz<2>, dots_nz<3>, dots_nz<4>,
                                               dots_nz<5>, dots_nz<6>, dots_nz<7>, dots_nz<8>};
    const int nz = (k + 7) / 8;
    (nz <= 8 ? kByZmm[nz - 1] : dots_wide)(win, k, wl, list, n, pcs);
  }

  static void finish(const OutputStage& out, int oc, const PixelOut& px) {
    const int nv = (oc + 15) / 16;
    int rank = 0;
    uint64_t word = 0;
    const __m512i below =
        _mm512_setr_epi32(0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383, 32767);
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
      __m512i lsb;
      if (px.dlsb != nullptr) {
        lsb = _mm512_maskz_loadu_epi32(m, px.dlsb + c);
      } else {
        // pcs has room for oc + 16, so the 16-lane load past the open count stays inside the buffer.
        // Expand by VPERMD (see compact()): lane i takes sum number popcount(m & ((1 << i) - 1)).
        const __m512i ranks = _mm512_popcnt_epi32(_mm512_and_si512(_mm512_set1_epi32(m), below));
        const __m512i r = _mm512_maskz_permutexvar_epi32(m, ranks, _mm512_loadu_si512(px.pcs + rank));
        rank += std::popcount(static_cast<unsigned>(m));
        const __m512i base = px.base_vec != nullptr ? _mm512_maskz_loadu_epi32(m, px.base_vec + c)
                                                    : _mm512_set1_epi32(px.base);
        lsb = _mm512_sub_epi32(base, _mm512_slli_epi32(r, 1));
      }
      acc = _mm512_mask_add_epi32(acc, m, acc, lsb);
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
