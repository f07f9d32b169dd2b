// Variants of the float average pools of pool.h: one ordered list, best first, "reference" last; each op is
// selected on its own (the first entry that implements it, fits the ISA cap and runs on this CPU). Every
// function has the contract of its reference (same rows or images, bit-identical floats, never allocates).
//
//   name        isa        how
//   avx512_16   kAvx512    16 channels per vector, the reference's summation order per lane, masked tails
//   avx2_8      kAvx2      8 channels per vector, VMASKMOVPS channel tails
//   reference   kPortable  the spec
//
// (max_pool2d has no variants yet: it is not in the profiles of the zoo models.)
#pragma once

#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/pool/pool.h"

namespace bnnkit::kernels {

struct PoolVariant {
  const char* name;
  Isa isa;  // minimum ISA
  void (*avg_pool2d)(const AvgPool2dArgs&, int row_begin, int row_end);
  void (*global_avg_pool)(const GlobalAvgPoolArgs&, int n_begin, int n_end);
};

std::span<const PoolVariant> pool_variants();
const PoolVariant* pool_find(std::string_view name);
// True iff the variant may run under the cap max_isa on this CPU.
bool pool_usable(const PoolVariant& v, Isa max_isa);

// The best usable variant implementing `op`, e.g. pool_select(&PoolVariant::avg_pool2d, isa).
template <class Fn>
const PoolVariant& pool_select(Fn PoolVariant::*op, Isa max_isa) {
  const auto list = pool_variants();
  for (const PoolVariant& v : list) {
    if (v.*op != nullptr && pool_usable(v, max_isa)) return v;
  }
  return list.back();
}

namespace pool_detail {
void avx512_16_avg_pool2d(const AvgPool2dArgs& a, int row_begin, int row_end);
void avx512_16_global_avg_pool(const GlobalAvgPoolArgs& a, int n_begin, int n_end);
void avx2_8_avg_pool2d(const AvgPool2dArgs& a, int row_begin, int row_end);
void avx2_8_global_avg_pool(const GlobalAvgPoolArgs& a, int n_begin, int n_end);
}  // namespace pool_detail

}  // namespace bnnkit::kernels
