// Bit-serial decomposition shared by the optimized pgconv variants (variants.h).
//
// Activations come from pgquant as magnitude bit planes split by sign: a = sum_i 2^i (P_i - N_i). Weights
// are held as nw bit planes b_j with a signed power-of-two coefficient each, w = sum_j c_j b_j:
//   wb >= 2: the wb bits of w's two's complement, c_j = 2^j, except c_{wb-1} = -2^(wb-1)
//   wb == 1: b_0 = 1 for every channel (c_0 = +1) and b_1 = (w < 0) (c_1 = -2), so w = 1 - 2 b_1 = +-1
// Then, over the 64 channels of one word (tail bits of activations are zero, so tail weight bits add
// nothing),
//   sum_c a * w = sum_i sum_j 2^i c_j (popcount(P_i AND b_j) - popcount(N_i AND b_j)),
// an exact integer. The high part sums i over [lb, B), the low part over [0, lb).
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/common/bits.h"
#include "kernels/common/conv_geometry.h"

namespace bnnkit::kernels::pgconv_detail {

// Number of weight planes.
constexpr int weight_planes(int wb) {
  return wb == 1 ? 2 : wb;
}
// Bit j of the plane encoding of code w.
constexpr bool weight_plane_bit(int wb, int j, int32_t w) {
  if (wb == 1) return j == 0 ? true : w < 0;
  return ((static_cast<uint32_t>(w) >> j) & 1u) != 0;
}
// |c_j| = 2^shift, and whether c_j < 0.
constexpr int weight_plane_shift(int wb, int j) {
  return j;
}
constexpr bool weight_plane_negative(int wb, int j) {
  return wb == 1 ? j == 1 : j == wb - 1;
}

// The optimized variants gather one output pixel's window of planes on the stack; larger windows go to the
// reference.
inline constexpr int kMaxWindowWords = 8192;

inline int window_words(const ConvGeometry& g, int act_bits) {
  const long long w = static_cast<long long>(g.kh) * g.kw * words_for(g.ic) * 2 * act_bits;
  return w > kMaxWindowWords ? kMaxWindowWords + 1 : static_cast<int>(w);
}

// Calls f(std::integral_constant<int, N>{}) for runtime n in 1..7 (hb and lb are both in 1..7 since B <= 8).
template <class F>
void with_bits(int n, F&& f) {
  switch (n) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 5:
      return f(std::integral_constant<int, 5>{});
    case 6:
      return f(std::integral_constant<int, 6>{});
    default:
      return f(std::integral_constant<int, 7>{});
  }
}

}  // namespace bnnkit::kernels::pgconv_detail
