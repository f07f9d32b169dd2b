// The bdense variants: one ordered list, best first, "reference" last (it accepts every problem).
//
// A dense layer is a 1x1 convolution over a 1 x n "image" (the batch rows are its pixels), so each optimized
// variant runs the bconv2d kernel of the same name (src/kernels/bconv2d/variants.h): the batch rows are the
// pixels of its register tiles, and the output channels its vector lanes. The packed weight layout is that
// kernel's layout for kh = kw = 1.
//
// run() has the contract of bdense_reference: rows [n_begin, n_end) x output channels [oc_begin, oc_end), the
// exact same bytes, never allocates, writes nothing else (for kBits, oc_begin % 64 == 0 and oc_end % 64 == 0
// or oc_end == oc).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "kernels/bdense/bdense.h"
#include "kernels/common/cpu_features.h"

namespace bnnkit::kernels {

struct BDenseVariant {
  const char* name;  // "avx512_6x4", "avx2_4x2", "portable_2x4", "reference"
  Isa isa;           // minimum ISA
  // nullptr if this variant handles the problem, else a short reason ("needs ...").
  const char* (*rejects)(int ic, int oc, OutputKind out);
  // Words of the variant's packed weight layout; pack_weights converts the reference layout
  // [oc][words_for(ic)].
  size_t (*packed_weight_words)(int ic, int oc);
  void (*pack_weights)(int ic, int oc, const Word* reference_weights, Word* packed);
  // Same contract as bdense_reference, with args.weights pointing at the packed layout.
  void (*run)(const BDenseArgs& args, int n_begin, int n_end, int oc_begin, int oc_end);
};

// Best first, "reference" last (accepts everything).
std::span<const BDenseVariant> bdense_variants();
// The first variant whose isa <= max_isa, that the CPU supports, and that does not reject the problem.
const BDenseVariant& bdense_select(int ic, int oc, OutputKind out, Isa max_isa);
// The variant called `name`, or nullptr.
const BDenseVariant* bdense_find(std::string_view name);

}  // namespace bnnkit::kernels
