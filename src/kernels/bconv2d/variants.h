// The bconv2d variants: one ordered list, best first, "reference" last (it accepts every problem). Selection,
// tests and benchmarks all read this list (the XNNPACK/oneDNN "one list" idea, as data).
//
// A variant owns its packed weight layout: the runtime sizes a buffer with packed_weight_words(), fills it
// once at plan time with pack_weights() from the reference layout [oc][kh][kw][words_for(ic)], and then calls
// run() with BConv2dArgs::weights pointing at the packed buffer. run() has the contract of bconv2d_reference:
// output rows [row_begin, row_end) of n * oh, exact same bytes, never allocates, writes only its rows, so any
// split of the rows over threads gives identical results.
//
//   name          isa       tile                                          packed layout
//   avx512_6x4    kAvx512   6 pixels x 4 zmm of 16 channels (VPOPCNTD)    [64-ch group][tap][dword][nv][16]
//   avx2_4x2      kAvx2     4 pixels x 2 ymm of 4 channels (VPSHUFB LUT)  [8-ch chunk][tap][word][8]
//   portable_2x4  kPortable 2 pixels x 4 channels, 64-bit words           reference layout
//   reference     kPortable none (bconv2d_reference)                      reference layout
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "kernels/bconv2d/bconv2d.h"
#include "kernels/common/cpu_features.h"

namespace bnnkit::kernels {

struct BConv2dVariant {
  const char* name;  // "avx512_6x4", "avx2_4x2", "portable_2x4", "reference"
  Isa isa;           // minimum ISA
  // nullptr if this variant handles the problem, else a short reason ("needs ...").
  const char* (*rejects)(const ConvGeometry& g, Padding padding, OutputKind out);
  // Words of the variant's packed weight layout; pack_weights converts the reference layout
  // [oc][kh][kw][icw].
  size_t (*packed_weight_words)(const ConvGeometry& g);
  void (*pack_weights)(const ConvGeometry& g, const Word* reference_weights, Word* packed);
  // Same contract as bconv2d_reference, with args.weights pointing at the packed layout.
  void (*run)(const BConv2dArgs& args, int row_begin, int row_end);
};

// Best first, "reference" last (accepts everything).
std::span<const BConv2dVariant> bconv2d_variants();
// The first variant whose isa <= max_isa, that the CPU supports, and that does not reject the problem.
const BConv2dVariant& bconv2d_select(const ConvGeometry& g, Padding padding, OutputKind out, Isa max_isa);
// The variant called `name`, or nullptr.
const BConv2dVariant* bconv2d_find(std::string_view name);

}  // namespace bnnkit::kernels
