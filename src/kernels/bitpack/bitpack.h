// Quantizers from float activations to bit-packed planes (layout: kernels/common/bits.h).
//
// bitpack (sign with a per-channel threshold), for row r and channel c with t_c = threshold[c] (0 if null):
//   value +1 (bit 0) iff x >= t_c, else -1 (bit 1).
// So x == t_c gives +1 (sign(0) = +1, and -0.0 >= 0), and a NaN input or threshold gives -1 (bit 1), because
// every ordered compare with NaN is false.
//
// quant2bit (FracBNN 2-bit activations), evaluated exactly in float32 in this order:
//   xc = min(max(x, -1), 1);  t = (xc + 1) * 1.5;  q = (int)floor(t + 0.5), clamped to [0, 3]
// q in {0, 1, 2, 3} stands for x in {-1, -1/3, +1/3, +1}. The rounding sends ties UP: t = 0.5, 1.5, 2.5 give
// q = 1, 2, 3 (x = 0 gives q = 2, value +1/3). This is the project's one documented tie rule; the trainer
// calls quant2bit_code() or reproduces it bit for bit. NaN gives q = 0. The expression must be compiled
// without FMA contraction (-ffp-contract=off), as the whole build is, so that t is rounded before the + 0.5.
// Two +-1 planes hold q:
//   p_msb = +1 iff q >= 2,   p_lsb = +1 iff q is odd,   value = (2/3) * p_msb + (1/3) * p_lsb,
// each plane packed like any binary tensor (bit 1 <=> -1, tail bits zero).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common/bits.h"

namespace bnnkit::kernels {

struct BitpackArgs {
  int64_t rows = 0;
  int channels = 0;
  const float* src = nullptr;        // [rows][channels]
  const float* threshold = nullptr;  // [channels], or nullptr for 0
  Word* dst = nullptr;               // [rows][words_for(channels)]
};

// Packs rows [row_begin, row_end). Never allocates.
void bitpack_reference(const BitpackArgs& a, int64_t row_begin, int64_t row_end);

struct Quant2BitArgs {
  int64_t rows = 0;
  int channels = 0;
  const float* src = nullptr;  // [rows][channels]
  Word* dst_msb = nullptr;     // [rows][words_for(channels)]
  Word* dst_lsb = nullptr;     // [rows][words_for(channels)]
};

// Quantizes rows [row_begin, row_end) into the two planes. Never allocates.
void quant2bit_reference(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end);

// Every step of that expression is monotonic in x, so q(x) >= L <=> x >= kQuant2BitThreshold[L - 1] for any
// non-NaN x, with these floats (the smallest x of each code, found by bisection over the floats of [-1, 1];
// bitpack_test.cc checks them against quant2bit_code). The SIMD kernels compare x with them directly: three
// compares instead of the clamp, the three arithmetic ops and three compares. A NaN fails every ordered
// compare: q = 0, as quant2bit_code.
inline constexpr float kQuant2BitThreshold[3] = {-0x1.555556p-1f, -0x1p-25f, 0x1.555554p-1f};

// The two planes' bits of lanes whose compares x >= kQuant2BitThreshold[0, 1, 2] gave the bit masks ge1, ge2,
// ge3 (bit i = lane i; `valid`: the lanes that exist, the others 0). Bit 1 <=> -1: the MSB plane is -1 iff
// q < 2 (!ge2), the LSB plane iff q is even (q is odd iff q == 1, ge1 && !ge2, or q == 3, ge3). The one
// statement of this rule for every SIMD packer (bitpack kernels, fused chains).
struct Quant2BitMasks {
  unsigned msb, lsb;
};
constexpr Quant2BitMasks quant2bit_masks(unsigned ge1, unsigned ge2, unsigned ge3, unsigned valid) {
  return {~ge2 & valid, ~((ge1 & ~ge2) | ge3) & valid};
}

// The 2-bit code q in [0, 3] of x (see the top of this file). The one definition of the rounding rule.
inline int quant2bit_code(float x) {
  if (std::isnan(x)) return 0;
  const float xc = x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
  const float t = (xc + 1.0f) * 1.5f;
  const int q = static_cast<int>(std::floor(t + 0.5f));
  return q < 0 ? 0 : (q > 3 ? 3 : q);
}

}  // namespace bnnkit::kernels
