// Variants of the fused elementwise chain (fused.h): one ordered list, best first, "reference" last. Each
// run() has the reference's contract (rows [row_begin, row_end), every output bit identical, including
// -0.0, NaN and the zero tail bits of the packed planes; never allocates).
//
//   name                isa        how
//   avx512_16           kAvx512    tiles of rows (chain_impl.h); per 16-channel vector, 8 rows at a time go
//                                  through every step in registers, each step the single op's lane
//                                  expression (simd_steps.h over elementwise/simd.h), parameters loaded once
//                                  per 8 rows; packing by the bitpack family's avx512_16 kernels from L1
//   avx2_8              kAvx2      the same with 8-lane vectors and the avx2_8 packers
//   portable_bitselect  kPortable  each step over the whole tile (in L1) with the elementwise family's
//                                  portable kernels (branch-free PReLU family and activations, the
//                                  references for the rest), the reference packers
//   reference           kPortable  the spec: one row (or 256-channel part) at a time through the single-op
//                                  references
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/fused/fused.h"

namespace bnnkit::kernels {

struct FusedVariant {
  const char* name;
  Isa isa;  // minimum ISA
  void (*run)(const FusedChainArgs& args, int64_t row_begin, int64_t row_end);
};

std::span<const FusedVariant> fused_variants();
// The first variant whose isa <= max_isa and that the CPU supports (every variant handles every chain).
const FusedVariant& fused_select(Isa max_isa);
const FusedVariant* fused_find(std::string_view name);

namespace fused_detail {
void fused_avx512_16(const FusedChainArgs& a, int64_t row_begin, int64_t row_end);
void fused_avx2_8(const FusedChainArgs& a, int64_t row_begin, int64_t row_end);
void fused_portable_bitselect(const FusedChainArgs& a, int64_t row_begin, int64_t row_end);
}  // namespace fused_detail

}  // namespace bnnkit::kernels
