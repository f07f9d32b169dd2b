// Thermometer encoding a word at a time, for any level count. Channel c turns on n = (p + res/2) / res of its
// L levels; its L output bits are 0 (+1) for levels i < n and 1 (-1) above, i.e. the field ~0 << n. With
// L < 64 each word holds 64 / L whole fields; with L >= 64 a field spans L / 64 whole words (L is a power of
// two), and word k of it is all ones, all zeros, or ~0 << (n - 64k).
#include <cstdint>

#include "kernels/thermometer/variants.h"

namespace bnnkit::kernels::thermometer_detail {

void thermometer_portable_words(const ThermometerArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const int levels = a.levels;
  const int res = 256 / levels;
  const int words = words_for(a.channels * levels);
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const uint8_t* src = a.src + p * a.channels;
    Word* dst = a.dst + p * words;
    if (levels >= kWordBits) {
      const int per = levels / kWordBits;  // words per channel
      for (int c = 0; c < a.channels; ++c) {
        const int n = (src[c] + res / 2) / res;
        for (int k = 0; k < per; ++k) {
          const int lo = k * kWordBits;
          dst[c * per + k] = n <= lo ? ~Word{0} : (n >= lo + kWordBits ? Word{0} : ~Word{0} << (n - lo));
        }
      }
    } else {
      const int per = kWordBits / levels;  // channels per word
      const Word field = (Word{1} << levels) - 1;
      for (int w = 0; w < words; ++w) {
        Word word = 0;
        for (int j = 0; j < per; ++j) {
          const int c = w * per + j;
          if (c >= a.channels) break;
          const int n = (src[c] + res / 2) / res;  // 0..levels, and levels < 64
          word |= ((~Word{0} << n) & field) << (j * levels);
        }
        dst[w] = word;
      }
    }
  }
}

}  // namespace bnnkit::kernels::thermometer_detail
