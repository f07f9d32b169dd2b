// bitpack and quant2bit with AVX2: 8 floats per compare, VMOVMSKPS to bits, eight per 64-bit word. The tail
// of a row is read with VMASKMOVPS (nothing past `channels` is touched) and its bits stay zero. The compares
// are those of avx512_bitpack.cc (see there for why they equal the reference).
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include <immintrin.h>

#include "kernels/bitpack/variants.h"
#include "kernels/elementwise/simd.h"  // Avx2::tail

namespace bnnkit::kernels::bitpack_detail {
namespace {

constexpr int kLanes = 8;

inline unsigned lane_bits(int count) {
  return count >= kLanes ? 0xffu : (1u << count) - 1;
}

}  // namespace

void bitpack_avx2_8(const BitpackArgs& a, int64_t row_begin, int64_t row_end) {
  const int words = words_for(a.channels);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    Word* dst = a.dst + r * words;
    for (int w = 0; w < words; ++w) {
      uint64_t word = 0;
      for (int v = 0; v < kWordBits / kLanes; ++v) {
        const int c = w * kWordBits + v * kLanes;
        if (c >= a.channels) break;
        const int count = a.channels - c;
        __m256 x, t = _mm256_setzero_ps();
        if (count >= kLanes) {
          x = _mm256_loadu_ps(src + c);
          if (a.threshold != nullptr) t = _mm256_loadu_ps(a.threshold + c);
        } else {
          const __m256i lanes = Avx2::tail(count);
          x = _mm256_maskload_ps(src + c, lanes);
          if (a.threshold != nullptr) t = _mm256_maskload_ps(a.threshold + c, lanes);
        }
        const auto minus = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(x, t, _CMP_NGE_UQ)));
        word |= static_cast<uint64_t>(minus & lane_bits(count)) << (v * kLanes);
      }
      dst[w] = word;
    }
  }
}

void quant2bit_avx2_8(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end) {
  const int words = words_for(a.channels);
  const __m256 t1 = _mm256_set1_ps(kQuant2BitThreshold[0]), t2 = _mm256_set1_ps(kQuant2BitThreshold[1]),
               t3 = _mm256_set1_ps(kQuant2BitThreshold[2]);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    Word* msb = a.dst_msb + r * words;
    Word* lsb = a.dst_lsb + r * words;
    for (int w = 0; w < words; ++w) {
      uint64_t m = 0, l = 0;
      for (int v = 0; v < kWordBits / kLanes; ++v) {
        const int c = w * kWordBits + v * kLanes;
        if (c >= a.channels) break;
        const int count = a.channels - c;
        const __m256 x =
            count >= kLanes ? _mm256_loadu_ps(src + c) : _mm256_maskload_ps(src + c, Avx2::tail(count));
        // q >= L <=> x >= threshold L (bitpack.h); NaN fails every compare.
        const auto ge1 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(x, t1, _CMP_GE_OQ)));
        const auto ge2 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(x, t2, _CMP_GE_OQ)));
        const auto ge3 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(x, t3, _CMP_GE_OQ)));
        const Quant2BitMasks q = quant2bit_masks(ge1, ge2, ge3, lane_bits(count));
        m |= static_cast<uint64_t>(q.msb) << (v * kLanes);
        l |= static_cast<uint64_t>(q.lsb) << (v * kLanes);
      }
      msb[w] = m;
      lsb[w] = l;
    }
  }
}

}  // namespace bnnkit::kernels::bitpack_detail

#endif  // defined(__x86_64__)
