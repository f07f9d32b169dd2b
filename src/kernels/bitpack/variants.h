// Variants of the float -> bit-plane quantizers of bitpack.h: one ordered list per op, best first,
// "reference" last. Each run() has the contract of its reference (rows [row_begin, row_end), exact same words
// including the zero tail bits, never allocates).
//
//   name        isa        how
//   avx512_16   kAvx512    16 floats per compare (VCMPPS into a k-mask); 4 masks form a word with KUNPCK
//   avx2_8      kAvx2      8 floats per compare (VCMPPS + VMOVMSKPS)
//   reference   kPortable  one float per bit
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/bitpack/bitpack.h"
#include "kernels/common/cpu_features.h"

namespace bnnkit::kernels {

struct BitpackVariant {
  const char* name;
  Isa isa;  // minimum ISA
  void (*run)(const BitpackArgs& args, int64_t row_begin, int64_t row_end);
};

struct Quant2BitVariant {
  const char* name;
  Isa isa;  // minimum ISA
  void (*run)(const Quant2BitArgs& args, int64_t row_begin, int64_t row_end);
};

std::span<const BitpackVariant> bitpack_variants();
// The first variant whose isa <= max_isa and that the CPU supports (every variant handles every shape).
const BitpackVariant& bitpack_select(Isa max_isa);
const BitpackVariant* bitpack_find(std::string_view name);

std::span<const Quant2BitVariant> quant2bit_variants();
const Quant2BitVariant& quant2bit_select(Isa max_isa);
const Quant2BitVariant* quant2bit_find(std::string_view name);

namespace bitpack_detail {
void bitpack_avx512_16(const BitpackArgs& a, int64_t row_begin, int64_t row_end);
void quant2bit_avx512_16(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end);
void bitpack_avx2_8(const BitpackArgs& a, int64_t row_begin, int64_t row_end);
void quant2bit_avx2_8(const Quant2BitArgs& a, int64_t row_begin, int64_t row_end);
}  // namespace bitpack_detail

}  // namespace bnnkit::kernels
