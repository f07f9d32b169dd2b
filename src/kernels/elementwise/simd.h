// Vector traits shared by the elementwise and pool variants (avx512_16.cc, avx2_8.cc in both folders), so one
// template per op (elementwise/simd_impl.h, pool/simd_impl.h) serves both ISAs.
//
// Each traits struct has the float ops the references use (add, sub, mul, div: one IEEE rounding each, never
// fused), ordered non-signalling compares (false for NaN, exactly as the scalar <, >, >= of the references;
// -0.0 >= 0 is true) and a lane select. Loads and stores take either Full{} (all lanes) or a tail mask from
// tail(n) (the first n lanes, 1 <= n < kLanes): masked-out lanes are neither read (no fault past the end of
// an array) nor written, and load as 0.
//
// Everything here sits in an anonymous namespace: the file is compiled once per ISA with different flags, and
// an inline function shared between those translation units would break the one-definition rule (the linker
// could keep the AVX-512 copy for the AVX2 caller).
#pragma once

#if defined(__x86_64__)
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 headers (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

#include <cstdint>

namespace bnnkit::kernels {
namespace {

struct Full {};

#if defined(__AVX512F__)
struct Avx512 {
  using Reg = __m512;
  using Cmp = __mmask16;
  using Tail = __mmask16;
  static constexpr int kLanes = 16;

  static Tail tail(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
  static Reg load(const float* p, Full) { return _mm512_loadu_ps(p); }
  static Reg load(const float* p, Tail t) { return _mm512_maskz_loadu_ps(t, p); }
  static void store(float* p, Reg v, Full) { _mm512_storeu_ps(p, v); }
  static void store(float* p, Reg v, Tail t) { _mm512_mask_storeu_ps(p, t, v); }

  static Reg set1(float x) { return _mm512_set1_ps(x); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm512_div_ps(a, b); }
  static Reg floor(Reg a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }

  static Cmp ge(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static Cmp gt(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static Cmp lt(Reg a, Reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  // c ? a : b per lane.
  static Reg select(Cmp c, Reg a, Reg b) { return _mm512_mask_blend_ps(c, b, a); }
  // A compare's lanes (or a block's: Full, Tail) as the low kLanes bits of an integer.
  static unsigned bits(Cmp c) { return c; }
  static unsigned bits(Full) { return 0xFFFFu; }
};
#endif  // __AVX512F__

#if defined(__AVX2__)
struct Avx2 {
  using Reg = __m256;
  using Cmp = __m256;
  using Tail = __m256i;
  static constexpr int kLanes = 8;

  // VMASKMOVPS: lanes whose mask sign bit is clear are not accessed (no fault) and load as 0.
  static Tail tail(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg load(const float* p, Full) { return _mm256_loadu_ps(p); }
  static Reg load(const float* p, Tail t) { return _mm256_maskload_ps(p, t); }
  static void store(float* p, Reg v, Full) { _mm256_storeu_ps(p, v); }
  static void store(float* p, Reg v, Tail t) { _mm256_maskstore_ps(p, t, v); }

  static Reg set1(float x) { return _mm256_set1_ps(x); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm256_div_ps(a, b); }
  static Reg floor(Reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }

  static Cmp ge(Reg a, Reg b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static Cmp gt(Reg a, Reg b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static Cmp lt(Reg a, Reg b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  // c ? a : b per lane (VBLENDVPS reads the sign bit of each all-ones / all-zeros compare lane).
  static Reg select(Cmp c, Reg a, Reg b) { return _mm256_blendv_ps(b, a, c); }
  // A compare's lanes (or a block's: Full, Tail) as the low kLanes bits of an integer.
  static unsigned bits(Cmp c) { return static_cast<unsigned>(_mm256_movemask_ps(c)); }
  static unsigned bits(Tail t) { return static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(t))); }
  static unsigned bits(Full) { return 0xFFu; }
};
#endif  // __AVX2__

// Calls fn(offset, Full{}) for each whole vector of [0, count) and fn(offset, V::tail(rest)) for the rest.
template <class V, class Fn>
inline void for_blocks(int64_t count, Fn&& fn) {
  int64_t i = 0;
  for (; i + V::kLanes <= count; i += V::kLanes) fn(i, Full{});
  if (i < count) fn(i, V::tail(count - i));
}

}  // namespace
}  // namespace bnnkit::kernels
