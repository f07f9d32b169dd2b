// The specification of the thermometer encoding (thermometer.h): one bit at a time. Each output word is built
// in a register and stored whole, so the tail bits past channels * levels are zero.
#include "kernels/thermometer/thermometer.h"

namespace bnnkit::kernels {

void thermometer_reference(const ThermometerArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const int res = 256 / a.levels;
  const int bits = a.channels * a.levels;
  const int words = words_for(bits);
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const uint8_t* src = a.src + p * a.channels;
    Word* dst = a.dst + p * words;
    for (int w = 0; w < words; ++w) {
      Word word = 0;
      const int k_end = w * kWordBits + kWordBits < bits ? w * kWordBits + kWordBits : bits;
      for (int k = w * kWordBits; k < k_end; ++k) {
        const int c = k / a.levels, i = k % a.levels;
        const int n = (src[c] + res / 2) / res;
        if (!(i < n)) word |= Word{1} << (k % kWordBits);
      }
      dst[w] = word;
    }
  }
}

}  // namespace bnnkit::kernels
