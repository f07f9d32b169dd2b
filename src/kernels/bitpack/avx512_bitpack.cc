// bitpack and quant2bit with AVX-512: 16 floats per compare into a k-mask, four masks per 64-bit word. The
// tail of a row is read with masked loads (nothing past `channels` is touched) and its bits stay zero.
//
// bitpack: bit = !(x >= t), i.e. VCMPPS with _CMP_NGE_UQ, which is also true for NaN (bitpack.h).
// quant2bit: q is read off three compares of x itself against kQuant2BitThreshold (bitpack.h:
// quant2bit_code's expression is monotonic in x, so each code starts at one float): q >= 2 <=> x >= T2, q odd
// <=> (T1 <= x < T2) or x >= T3. NaN fails every ordered compare, so q = 0, as quant2bit_code() says.
// (Computing quant2bit_code's clamp, + 1, * 1.5, + 0.5 per vector first, as before, took twice the vector
// ops.)
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <type_traits>

#include <algorithm>

#include "kernels/bitpack/variants.h"

namespace bnnkit::kernels::bitpack_detail {
namespace {

constexpr int kLanes = 16;

inline __mmask16 lanes_of(int count) {
  return count >= kLanes ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1);
}

// Rows of at most 64 channels (one word): NV vectors per row with the thresholds and lane masks loaded once
// for the call (see quant2bit_short_rows).
template <int NV>
void bitpack_short_rows(const BitpackArgs& a, int64_t row_begin, int64_t row_end) {
  __mmask16 lanes[NV];
  __m512 t[NV];
  for (int v = 0; v < NV; ++v) {
    lanes[v] = lanes_of(a.channels - v * kLanes);
    t[v] = a.threshold != nullptr ? _mm512_maskz_loadu_ps(lanes[v], a.threshold + v * kLanes)
                                  : _mm512_setzero_ps();
  }
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    uint64_t word = 0;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __m512 x = _mm512_maskz_loadu_ps(lanes[v], src + v * kLanes);
      word |= static_cast<uint64_t>(_mm512_mask_cmp_ps_mask(lanes[v], x, t[v], _CMP_NGE_UQ)) << (v * kLanes);
    }
    a.dst[r] = word;
  }
}

// Calls f(std::integral_constant<int, NV>{}) when a row is NV <= 4 vectors (at most 64 channels), else
// returns false.
template <class F>
bool with_short_rows(int channels, F&& f) {
  switch ((channels + kLanes - 1) / kLanes) {
    case 1:
      f(std::integral_constant<int, 1>{});
      return true;
    case 2:
      f(std::integral_constant<int, 2>{});
      return true;
    case 3:
      f(std::integral_constant<int, 3>{});
      return true;
    case 4:
      f(std::integral_constant<int, 4>{});
      return true;
    default:
      return false;
  }
}

}  // namespace

void bitpack_avx512_16(const BitpackArgs& a, int64_t row_begin, int64_t row_end) {
  if (with_short_rows(a.channels, [&](auto nv) { bitpack_short_rows<nv()>(a, row_begin, row_end); })) return;
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

namespace {

// Rows of at most 64 channels (one word per plane): NV vectors per row, their lane masks fixed for the call,
// so a row is NV loads and 3 NV compares (the general loop's per-vector bookkeeping cost more than the
// compares on the 16- and 32-channel layers of a ResNet-20).
template <int NV>
void quant2bit_short_rows(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end) {
  const __m512 t1 = _mm512_set1_ps(kQuant2BitThreshold[0]), t2 = _mm512_set1_ps(kQuant2BitThreshold[1]),
               t3 = _mm512_set1_ps(kQuant2BitThreshold[2]);
  __mmask16 lanes[NV];
  for (int v = 0; v < NV; ++v) lanes[v] = lanes_of(a.channels - v * kLanes);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    uint64_t m = 0, l = 0;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __m512 x = _mm512_maskz_loadu_ps(lanes[v], src + v * kLanes);
      const __mmask16 ge1 = _mm512_cmp_ps_mask(x, t1, _CMP_GE_OQ);
      const __mmask16 ge2 = _mm512_cmp_ps_mask(x, t2, _CMP_GE_OQ);
      const __mmask16 ge3 = _mm512_cmp_ps_mask(x, t3, _CMP_GE_OQ);
      const Quant2BitMasks q = quant2bit_masks(ge1, ge2, ge3, lanes[v]);
      m |= static_cast<uint64_t>(q.msb) << (v * kLanes);
      l |= static_cast<uint64_t>(q.lsb) << (v * kLanes);
    }
    a.dst_msb[r] = m;
    a.dst_lsb[r] = l;
  }
}

}  // namespace

void quant2bit_avx512_16(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end) {
  if (with_short_rows(a.channels, [&](auto nv) { quant2bit_short_rows<nv()>(a, row_begin, row_end); }))
    return;
  const int words = words_for(a.channels);
  const __m512 t1 = _mm512_set1_ps(kQuant2BitThreshold[0]), t2 = _mm512_set1_ps(kQuant2BitThreshold[1]),
               t3 = _mm512_set1_ps(kQuant2BitThreshold[2]);
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
        // q >= L <=> x >= threshold L (bitpack.h); NaN fails every compare.
        const __mmask16 ge1 = _mm512_cmp_ps_mask(x, t1, _CMP_GE_OQ);
        const __mmask16 ge2 = _mm512_cmp_ps_mask(x, t2, _CMP_GE_OQ);
        const __mmask16 ge3 = _mm512_cmp_ps_mask(x, t3, _CMP_GE_OQ);
        const Quant2BitMasks q = quant2bit_masks(ge1, ge2, ge3, lanes);
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
