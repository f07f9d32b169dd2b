// Variants of the float elementwise ops of elementwise.h: one ordered list, best first, "reference" last. An
// entry implements some of the ops (nullptr for the others); each op is selected on its own: the first entry
// that implements it, fits the ISA cap and runs on this CPU. Every function has the contract of its reference
// (same rows, bit-identical floats including -0.0, NaN and infinities, in-place allowed, never allocates).
//
//   name                isa        ops        how
//   avx512_16           kAvx512    all        16 channels per vector, masked channel tails (quant_uniform's
//                                             floor: VRNDSCALEPS toward -inf)
//   avx2_8              kAvx2      all        8 channels per vector, VMASKMOVPS channel tails
//   portable_bitselect  kPortable  prelu, rprelu, dprelu, activation
//                                             both sides of each select computed, then an integer bit-select:
//                                             no data-dependent branch (the reference's mispredict on random
//                                             signs); the other ops have no branch to remove
//   reference           kPortable  all        the spec
//
// The vector variants compute both sides of each select and pick lanes with an ordered compare (NaN false),
// so each output is the exact value the reference picks.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/elementwise/elementwise.h"

namespace bnnkit::kernels {

struct ElementwiseVariant {
  const char* name;
  Isa isa;  // minimum ISA
  void (*affine)(const AffineArgs&, int64_t row_begin, int64_t row_end);
  void (*prelu)(const PReluArgs&, int64_t row_begin, int64_t row_end);
  void (*rprelu)(const RPReluArgs&, int64_t row_begin, int64_t row_end);
  void (*dprelu)(const DPReluArgs&, int64_t row_begin, int64_t row_end);
  void (*activation)(const ActivationArgs&, int64_t row_begin, int64_t row_end);
  void (*add)(const AddArgs&, int64_t begin, int64_t end);
  void (*scale_channels)(const ScaleChannelsArgs&, int64_t row_begin, int64_t row_end);
  void (*quant_uniform)(const QuantUniformArgs&, int64_t row_begin, int64_t row_end);
};

std::span<const ElementwiseVariant> elementwise_variants();
const ElementwiseVariant* elementwise_find(std::string_view name);
// True iff the variant may run under the cap max_isa on this CPU.
bool elementwise_usable(const ElementwiseVariant& v, Isa max_isa);

// The best usable variant implementing `op`, e.g. elementwise_select(&ElementwiseVariant::rprelu, isa); the
// reference (last, implements everything) if none is better.
template <class Fn>
const ElementwiseVariant& elementwise_select(Fn ElementwiseVariant::*op, Isa max_isa) {
  const auto list = elementwise_variants();
  for (const ElementwiseVariant& v : list) {
    if (v.*op != nullptr && elementwise_usable(v, max_isa)) return v;
  }
  return list.back();
}

namespace elementwise_detail {
#define BNNKIT_ELEMENTWISE_DECLARE(prefix)                                                      \
  void prefix##_affine(const AffineArgs& a, int64_t row_begin, int64_t row_end);                \
  void prefix##_prelu(const PReluArgs& a, int64_t row_begin, int64_t row_end);                  \
  void prefix##_rprelu(const RPReluArgs& a, int64_t row_begin, int64_t row_end);                \
  void prefix##_dprelu(const DPReluArgs& a, int64_t row_begin, int64_t row_end);                \
  void prefix##_activation(const ActivationArgs& a, int64_t row_begin, int64_t row_end);        \
  void prefix##_add(const AddArgs& a, int64_t begin, int64_t end);                              \
  void prefix##_scale_channels(const ScaleChannelsArgs& a, int64_t row_begin, int64_t row_end); \
  void prefix##_quant_uniform(const QuantUniformArgs& a, int64_t row_begin, int64_t row_end);
BNNKIT_ELEMENTWISE_DECLARE(avx512_16)
BNNKIT_ELEMENTWISE_DECLARE(avx2_8)
#undef BNNKIT_ELEMENTWISE_DECLARE

void portable_bitselect_prelu(const PReluArgs& a, int64_t row_begin, int64_t row_end);
void portable_bitselect_rprelu(const RPReluArgs& a, int64_t row_begin, int64_t row_end);
void portable_bitselect_dprelu(const DPReluArgs& a, int64_t row_begin, int64_t row_end);
void portable_bitselect_activation(const ActivationArgs& a, int64_t row_begin, int64_t row_end);
}  // namespace elementwise_detail

}  // namespace bnnkit::kernels
