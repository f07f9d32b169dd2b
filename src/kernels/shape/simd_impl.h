// The channel reshaping ops of shape.h written once over the vector traits of elementwise/simd.h, for
// avx512_16.cc and avx2_8.cc. The copies move whole vectors with masked tails. channel_group_avg keeps the
// reference's summation order per output lane: for a block of kLanes outputs starting at o it loads the
// kLanes * g floats src[o g ..) into g registers, and for k = 0, 1, ..., g - 1 permutes out the vector whose
// lane j is src[(o + j) g + k] and adds it to the running sum (0.0f first, so -0.0 sums like the
// reference's). float addition is not associative, so this order is what makes the outputs bit-identical.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/elementwise/simd.h"
#include "kernels/shape/shape.h"

namespace bnnkit::kernels {
namespace {

// Which floats of a block feed lane j of the k-th addend: element j * G + k of the kLanes * G loaded floats,
// read by a permute whose table is W consecutive floats ("chunk" c = floats [c W, (c + 1) W)). idx is the
// position inside the chunk; lanes has bit j set when lane j reads chunk c.
template <int L, int W, int G>
struct LaneMap {
  static constexpr int kChunks = (L * G + W - 1) / W;
  std::array<std::array<std::array<int32_t, L>, kChunks>, G> idx{};
  std::array<std::array<uint32_t, kChunks>, G> lanes{};

  constexpr LaneMap() {
    for (int k = 0; k < G; ++k) {
      for (int j = 0; j < L; ++j) {
        const int flat = j * G + k;
        idx[k][flat / W][j] = flat % W;
        lanes[k][flat / W] |= 1u << j;
      }
    }
  }
};

template <class V, int G>
struct Deinterleave;

#if defined(__AVX512F__)
// Chunks of 32 floats (two zmm) through VPERMT2PS; lanes from later chunks are blended over the first.
template <int G>
struct Deinterleave<Avx512, G> {
  static constexpr LaneMap<16, 32, G> kMap{};

  template <int K, int C>
  static void merge(const __m512* r, __m512& x) {
    constexpr uint32_t lanes = kMap.lanes[K][C];
    if constexpr (lanes != 0) {
      const __m512i idx = _mm512_loadu_si512(kMap.idx[K][C].data());
      // An odd G's last chunk has one register (its indices are all below 16).
      const __m512 y = _mm512_permutex2var_ps(r[2 * C], idx, r[std::min(2 * C + 1, G - 1)]);
      x = (lanes == 0xffffu) ? y : _mm512_mask_blend_ps(static_cast<__mmask16>(lanes), x, y);
    }
  }
  // Lane j of the result is element j * G + K of r[0..G).
  template <int K>
  static __m512 pick(const __m512* r) {
    __m512 x = _mm512_setzero_ps();
    [&]<int... C>(std::integer_sequence<int, C...>) {
      (merge<K, C>(r, x), ...);
    }
    (std::make_integer_sequence<int, LaneMap<16, 32, G>::kChunks>{});
    return x;
  }
};
#endif  // __AVX512F__

#if defined(__AVX2__)
// Chunks of one ymm through VPERMPS, blended with immediate masks.
template <int G>
struct Deinterleave<Avx2, G> {
  static constexpr LaneMap<8, 8, G> kMap{};

  template <int K, int C>
  static void merge(const __m256* r, __m256& x) {
    constexpr uint32_t lanes = kMap.lanes[K][C];
    if constexpr (lanes != 0) {
      const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMap.idx[K][C].data()));
      const __m256 y = _mm256_permutevar8x32_ps(r[C], idx);
      x = (lanes == 0xffu) ? y : _mm256_blend_ps(x, y, static_cast<int>(lanes));
    }
  }
  template <int K>
  static __m256 pick(const __m256* r) {
    __m256 x = _mm256_setzero_ps();
    [&]<int... C>(std::integer_sequence<int, C...>) {
      (merge<K, C>(r, x), ...);
    }
    (std::make_integer_sequence<int, LaneMap<8, 8, G>::kChunks>{});
    return x;
  }
};
#endif  // __AVX2__

template <class V>
void copy_floats(float* d, const float* s, int64_t n) {
  for_blocks<V>(n, [&](int64_t c, auto m) { V::store(d + c, V::load(s + c, m), m); });
}

// dst[p] = `times` copies of src[p][0..ic), then src[p][0..rest): each source vector is loaded once.
template <class V>
void repeat_channels(const float* src, float* dst, int64_t ic, int64_t times, int64_t rest,
                     int64_t pixel_begin, int64_t pixel_end) {
  const int64_t oc = ic * times + rest;
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = src + p * ic;
    float* d = dst + p * oc;
    for_blocks<V>(ic, [&](int64_t c, auto m) {
      const auto x = V::load(s + c, m);
      for (int64_t t = 0; t < times; ++t) V::store(d + t * ic + c, x, m);
    });
    copy_floats<V>(d + times * ic, s, rest);
  }
}

template <class V>
void channel_duplicate_simd(const ChannelDuplicateArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  repeat_channels<V>(a.src, a.dst, a.ic, a.times, 0, pixel_begin, pixel_end);
}

template <class V>
void channel_tile_simd(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  repeat_channels<V>(a.src, a.dst, a.ic, a.oc / a.ic, a.oc % a.ic, pixel_begin, pixel_end);
}

template <class V>
void channel_zero_pad_simd(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const auto zero = V::set1(0.0f);
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    float* d = a.dst + p * a.oc;
    copy_floats<V>(d, a.src + p * a.ic, a.ic);
    for_blocks<V>(a.oc - a.ic, [&](int64_t c, auto m) { V::store(d + a.ic + c, zero, m); });
  }
}

template <class V, int G>
void group_avg_fixed(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  constexpr int L = V::kLanes;
  const auto zero = V::set1(0.0f);
  // x / 2^n and x * 2^-n are the same exact value, so they round alike (subnormals, infinities, NaN
  // included).
  constexpr bool kPow2 = (G & (G - 1)) == 0;
  const auto scale = V::set1(kPow2 ? 1.0f / static_cast<float>(G) : static_cast<float>(G));
  auto block = [&](float* d, const typename V::Reg* r, auto store_mask) {
    auto sum = zero;
    [&]<int... K>(std::integer_sequence<int, K...>) {
      ((sum = V::add(sum, Deinterleave<V, G>::template pick<K>(r))), ...);
    }
    (std::make_integer_sequence<int, G>{});
    V::store(d, kPow2 ? V::mul(sum, scale) : V::div(sum, scale), store_mask);
  };
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = a.src + p * a.ic;
    float* d = a.dst + p * a.oc;
    typename V::Reg r[G];
    int64_t o = 0;
    for (; o + L <= a.oc; o += L) {
      for (int i = 0; i < G; ++i) r[i] = V::load(s + o * G + i * L, Full{});
      block(d + o, r, Full{});
    }
    if (o < a.oc) {
      // Only the floats of the remaining groups are read: never past the pixel's last used channel.
      const int64_t n = (a.oc - o) * G;
      for (int i = 0; i < G; ++i) {
        const int64_t count = std::min<int64_t>(L, n - int64_t{i} * L);
        r[i] = count > 0 ? V::load(s + o * G + i * L, V::tail(count)) : zero;
      }
      block(d + o, r, V::tail(a.oc - o));
    }
  }
}

template <class V>
void channel_group_avg_simd(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  switch (a.ic / a.oc) {
    case 1:
      return group_avg_fixed<V, 1>(a, pixel_begin, pixel_end);
    case 2:
      return group_avg_fixed<V, 2>(a, pixel_begin, pixel_end);
    case 3:
      return group_avg_fixed<V, 3>(a, pixel_begin, pixel_end);
    case 4:
      return group_avg_fixed<V, 4>(a, pixel_begin, pixel_end);
    case 5:
      return group_avg_fixed<V, 5>(a, pixel_begin, pixel_end);
    case 6:
      return group_avg_fixed<V, 6>(a, pixel_begin, pixel_end);
    case 7:
      return group_avg_fixed<V, 7>(a, pixel_begin, pixel_end);
    case 8:
      return group_avg_fixed<V, 8>(a, pixel_begin, pixel_end);
    default:
      return channel_group_avg_reference(a, pixel_begin, pixel_end);
  }
}

}  // namespace
}  // namespace bnnkit::kernels
