// bitpack and quant2bit with AVX-512: 16 floats per compare into a k-mask, four masks per 64-bit word. The
// tail of a row is read with masked loads (nothing past `channels` is touched) and its bits stay zero.
//
// bitpack: bit = !(x >= t), i.e. VCMPPS with _CMP_NGE_UQ, which is also true for NaN (bitpack.h).
// quant2bit: the same float operations as quant2bit_code(), in the same order (clamp, + 1, * 1.5, + 0.5, no
// FMA), then q = floor(y) is read off three compares: q >= 2 <=> y >= 2, q odd <=> (1 <= y < 2) or y >= 3
// (y is in [0.5, 3.5] after the clamp). NaN: VMAXPS(x, -1) returns its second operand when x is NaN, so NaN
// becomes -1 and q = 0, as quant2bit_code() says.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>

#include "kernels/bitpack/variants.h"

namespace bnnkit::kernels::bitpack_detail {
namespace {

constexpr int kLanes = 16;

inline __mmask16 lanes_of(int count) {
  return count >= kLanes ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1);
}

}  // namespace

void bitpack_avx512_16(const BitpackArgs& a, int64_t row_begin, int64_t row_end) {
  const int words = words_for(a.channels);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    Word* dst = a.dst + r * words;
    for (int w = 0; w < words; ++w) {
      uint64_t word = 0;
      for (int v = 0; v < kWordBits / kLanes; ++v) {
        const int c = w * kWordBits + v * kLanes;
        if (c >= a.channels) break;
        const __mmask16 lanes = lanes_of(a.channels - c);
        const __m512 x = _mm512_maskz_loadu_ps(lanes, src + c);
        const __m512 t =
            a.threshold != nullptr ? _mm512_maskz_loadu_ps(lanes, a.threshold + c) : _mm512_setzero_ps();
        const __mmask16 minus = _mm512_mask_cmp_ps_mask(lanes, x, t, _CMP_NGE_UQ);
        word |= static_cast<uint64_t>(minus) << (v * kLanes);
      }
      dst[w] = word;
    }
  }
}

void quant2bit_avx512_16(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end) {
  const int words = words_for(a.channels);
  const __m512 minus_one = _mm512_set1_ps(-1.0f), one = _mm512_set1_ps(1.0f), one_half = _mm512_set1_ps(1.5f),
               half = _mm512_set1_ps(0.5f), two = _mm512_set1_ps(2.0f), three = _mm512_set1_ps(3.0f);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    Word* msb = a.dst_msb + r * words;
    Word* lsb = a.dst_lsb + r * words;
    for (int w = 0; w < words; ++w) {
      uint64_t m = 0, l = 0;
      for (int v = 0; v < kWordBits / kLanes; ++v) {
        const int c = w * kWordBits + v * kLanes;
        if (c >= a.channels) break;
        const __mmask16 lanes = lanes_of(a.channels - c);
        const __m512 x = _mm512_maskz_loadu_ps(lanes, src + c);
        const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, minus_one), one);
        const __m512 y = _mm512_add_ps(_mm512_mul_ps(_mm512_add_ps(xc, one), one_half), half);
        const __mmask16 ge1 = _mm512_cmp_ps_mask(y, one, _CMP_GE_OQ);
        const __mmask16 ge2 = _mm512_cmp_ps_mask(y, two, _CMP_GE_OQ);
        const __mmask16 ge3 = _mm512_cmp_ps_mask(y, three, _CMP_GE_OQ);
        const auto odd = static_cast<__mmask16>((ge1 & ~ge2) | ge3);
        // Bit 1 <=> -1: p_msb = -1 iff q < 2, p_lsb = -1 iff q is even.
        m |= static_cast<uint64_t>(static_cast<__mmask16>(~ge2 & lanes)) << (v * kLanes);
        l |= static_cast<uint64_t>(static_cast<__mmask16>(~odd & lanes)) << (v * kLanes);
      }
      msb[w] = m;
      lsb[w] = l;
    }
  }
}

}  // namespace bnnkit::kernels::bitpack_detail

#endif  // defined(__x86_64__)
