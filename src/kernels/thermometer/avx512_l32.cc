// Thermometer encoding with 32 levels (FracBNN's resolution 8) on AVX-512: each channel's 32 output bits are
// one 32-bit lane. 16 channels at a time: zero-extend the bytes, n = (p + 4) >> 3, lane = ~0u << n (VPSLLVD
// gives 0 for n = 32, i.e. all levels on). A pixel's row is words_for(32 * C) words, so with an odd channel
// count one zero dword pads the last word; the stores are masked so nothing past the row is touched.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/thermometer/variants.h"

namespace bnnkit::kernels::thermometer_detail {

void thermometer_avx512_l32(const ThermometerArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  constexpr int kLanes = 16;
  const int channels = a.channels;
  const int row_dwords = 2 * words_for(channels * 32);  // channels rounded up to even
  const __m512i ones = _mm512_set1_epi32(-1), round = _mm512_set1_epi32(4);
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const uint8_t* src = a.src + p * channels;
    auto* dst = reinterpret_cast<int32_t*>(a.dst + p * (row_dwords / 2));
    for (int c = 0; c < row_dwords; c += kLanes) {
      const int valid = channels - c < kLanes ? channels - c : kLanes;  // > 0 except for the padding dword
      const int store = row_dwords - c < kLanes ? row_dwords - c : kLanes;
      const auto lanes =
          static_cast<__mmask16>(valid <= 0 ? 0 : (valid == kLanes ? 0xffff : (1u << valid) - 1));
      const auto stores = static_cast<__mmask16>(store == kLanes ? 0xffff : (1u << store) - 1);
      const __m512i px = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(lanes, src + c));
      const __m512i n = _mm512_srli_epi32(_mm512_add_epi32(px, round), 3);
      _mm512_mask_storeu_epi32(dst + c, stores, _mm512_maskz_mov_epi32(lanes, _mm512_sllv_epi32(ones, n)));
    }
  }
}

}  // namespace bnnkit::kernels::thermometer_detail

#endif  // defined(__x86_64__)
