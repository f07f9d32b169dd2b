// Variants of the thermometer encoding of thermometer.h: one ordered list, best first, "reference" last. Each
// run() has the contract of thermometer_reference (pixels [pixel_begin, pixel_end), exact same words
// including the zero tail bits, never allocates).
//
//   name            isa        levels   how
//   avx512_l32      kAvx512    32       16 channels per vector: n = (p + 4) >> 3, word = ~0u << n (VPSLLVD)
//   portable_words  kPortable  any      one shift per channel and word instead of one test per bit
//   reference       kPortable  any      one bit at a time
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/thermometer/thermometer.h"

namespace bnnkit::kernels {

struct ThermometerVariant {
  const char* name;
  Isa isa;  // minimum ISA
  // nullptr if this variant handles the problem, else a short reason.
  const char* (*rejects)(int channels, int levels);
  void (*run)(const ThermometerArgs& args, int64_t pixel_begin, int64_t pixel_end);
};

std::span<const ThermometerVariant> thermometer_variants();
const ThermometerVariant& thermometer_select(int channels, int levels, Isa max_isa);
const ThermometerVariant* thermometer_find(std::string_view name);

namespace thermometer_detail {
void thermometer_avx512_l32(const ThermometerArgs& a, int64_t pixel_begin, int64_t pixel_end);
void thermometer_portable_words(const ThermometerArgs& a, int64_t pixel_begin, int64_t pixel_end);
}  // namespace thermometer_detail

}  // namespace bnnkit::kernels
