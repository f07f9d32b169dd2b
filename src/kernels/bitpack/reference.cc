// The specification of the float -> bit-plane quantizers (bitpack.h): one float per bit, no vector tricks.
// Every output word is written whole, so the tail bits past `channels` are zero.
#include "kernels/bitpack/bitpack.h"

namespace bnnkit::kernels {

void bitpack_reference(const BitpackArgs& a, int64_t row_begin, int64_t row_end) {
  const int words = words_for(a.channels);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    Word* dst = a.dst + r * words;
    for (int w = 0; w < words; ++w) {
      Word bits = 0;
      const int c_end = w * kWordBits + kWordBits < a.channels ? w * kWordBits + kWordBits : a.channels;
      for (int c = w * kWordBits; c < c_end; ++c) {
        const float t = a.threshold != nullptr ? a.threshold[c] : 0.0f;
        const bool plus = src[c] >= t;  // false for NaN
        if (!plus) bits |= Word{1} << (c % kWordBits);
      }
      dst[w] = bits;
    }
  }
}

void quant2bit_reference(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end) {
  const int words = words_for(a.channels);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* src = a.src + r * a.channels;
    Word* msb = a.dst_msb + r * words;
    Word* lsb = a.dst_lsb + r * words;
    for (int w = 0; w < words; ++w) {
      Word m = 0, l = 0;
      const int c_end = w * kWordBits + kWordBits < a.channels ? w * kWordBits + kWordBits : a.channels;
      for (int c = w * kWordBits; c < c_end; ++c) {
        const int q = quant2bit_code(src[c]);
        const Word bit = Word{1} << (c % kWordBits);
        if (q < 2) m |= bit;       // p_msb = -1
        if (q % 2 == 0) l |= bit;  // p_lsb = -1
      }
      msb[w] = m;
      lsb[w] = l;
    }
  }
}

}  // namespace bnnkit::kernels
