// Thermometer encoding of 8-bit pixels (FracBNN's input layer), so that even the first convolution is binary.
//
// With L levels (L divides 256, i.e. L is a power of two in [1, 256]) the resolution is res = 256 / L and a
// pixel value p in [0, 255] turns on
//   n = (p + res / 2) / res          (integer division: round(p / res) with ties up; n in [0, L])
// levels. Input channel c, level i becomes output channel c * L + i (channel-major), with
//   value +1 (bit 0) iff i < n,  else -1 (bit 1).
// FracBNN's resolution 8 is L = 32: p = 0..3 -> n = 0 (all -1), p = 4..11 -> n = 1, ..., p = 252..255 -> n =
// 32 (all +1). The output row of one pixel is words_for(channels * L) words, packed as in
// kernels/common/bits.h, tail bits zero. Integer-only: no rounding question can arise.
#pragma once

#include <cstdint>

#include "kernels/common/bits.h"

namespace bnnkit::kernels {

struct ThermometerArgs {
  int64_t pixels = 0;
  int channels = 0;
  int levels = 32;               // must satisfy thermometer_levels_valid()
  const uint8_t* src = nullptr;  // [pixels][channels]
  Word* dst = nullptr;           // [pixels][words_for(channels * levels)]
};

// True iff `levels` divides 256 (1, 2, 4, ..., 256). The kernel assumes it; callers check it when they parse.
constexpr bool thermometer_levels_valid(int levels) {
  return levels >= 1 && levels <= 256 && 256 % levels == 0;
}

// Encodes pixels [pixel_begin, pixel_end). Never allocates.
void thermometer_reference(const ThermometerArgs& a, int64_t pixel_begin, int64_t pixel_end);

}  // namespace bnnkit::kernels
