// Bit-packed tensors: the one layout every binary kernel shares.
//
// A binary value v in {-1, +1} is stored as one bit: 1 <=> -1, 0 <=> +1 (the IEEE sign bit of v), so
// sign(0) = +1. Feature maps are NHWC with the channels innermost; the channels of one pixel are packed
// little-endian into ceil(C / 64) 64-bit words: channel c is bit (c % 64) of word (c / 64). The unused high
// bits of the last word are 0 in activations and weights alike, so XOR leaves them 0 and they add nothing to
// a popcount; kernels still carry the true channel count C.
//
// The binary dot product over K taps that exist is D = K - 2 * popcount(a XOR w).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace bnnkit::kernels {

using Word = uint64_t;
inline constexpr int kWordBits = 64;

// Number of 64-bit words holding `channels` packed bits.
constexpr int words_for(int channels) {
  return (channels + kWordBits - 1) / kWordBits;
}

// Mask of the valid bits in the last word of a row of `channels` bits (all ones if channels % 64 == 0).
constexpr Word tail_mask(int channels) {
  const int r = channels % kWordBits;
  return r == 0 ? ~Word{0} : (Word{1} << r) - 1;
}

inline int popcount(Word w) {
  return std::popcount(w);
}

inline int popcount_words(const Word* w, int n) {
  int pc = 0;
  for (int k = 0; k < n; ++k) pc += std::popcount(w[k]);
  return pc;
}

// The bit of a float under the project's sign rule: 1 (value -1) iff x < 0. NaN maps to 1.
inline Word sign_bit(float x) {
  return (x >= 0.0f) ? Word{0} : Word{1};
}

// Reads/writes channel c of a packed row.
inline bool get_bit(const Word* row, int c) {
  return (row[c / kWordBits] >> (c % kWordBits)) & 1;
}
inline void set_bit(Word* row, int c, bool one) {
  const Word m = Word{1} << (c % kWordBits);
  if (one) {
    row[c / kWordBits] |= m;
  } else {
    row[c / kWordBits] &= ~m;
  }
}

}  // namespace bnnkit::kernels
