// The pgconv variants: one ordered list, best first, "reference" last (it accepts every problem). Selection,
// tests and benchmarks all read this list, as for bconv2d (kernels/bconv2d/variants.h).
//
// A variant owns its packed weight layout: the runtime sizes a buffer with packed_weight_words(), fills it
// once at plan time with pack_weights() from the integer codes [oc][kh][kw][ic], and then calls run() with
// PGConv2dArgs::packed pointing at it (and codes still set: the reference reads those). run() has the
// contract of pgconv2d_reference: output rows [row_begin, row_end) of n * oh, the same bytes, never
// allocates, writes only its rows.
//
//   name             isa       method (bitserial.h)                                    packed layout
//   avx512_vpopcntq  kAvx512   high part: 8 output channels per zmm (64-bit lanes), [oc/8][tap][word][nw][8]
//                              broadcast activation words, VPOPCNTQ; low part: per      then [oc][nw][K8]
//                              open channel over the window's words (8 per zmm)
//   avx2_popcnt      kAvx2     64-bit scalar, POPCNT instruction                         [oc][K][nw]
//   portable_swar    kPortable 64-bit scalar, SWAR popcount                              [oc][K][nw]
//   reference        kPortable plain integer loops over the codes (pgconv2d_reference)   (codes)
// with nw weight planes, K = kh * kw * words(ic) window words, K8 = K rounded up to 8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/pgconv/pgconv.h"

namespace bnnkit::kernels {

struct PGConv2dVariant {
  const char* name;
  Isa isa;  // minimum ISA
  // nullptr if this variant handles the problem, else a short reason ("needs ...").
  const char* (*rejects)(const ConvGeometry& g, int act_bits, int high_bits, int weight_bits);
  size_t (*packed_weight_words)(const ConvGeometry& g, int weight_bits);
  void (*pack_weights)(const ConvGeometry& g, int weight_bits, const int32_t* codes, Word* packed);
  void (*run)(const PGConv2dArgs& args, int row_begin, int row_end);
};

// Best first, "reference" last (accepts everything).
std::span<const PGConv2dVariant> pgconv2d_variants();
// The first variant whose isa <= max_isa, that the CPU supports, and that does not reject the problem.
const PGConv2dVariant& pgconv2d_select(const ConvGeometry& g, int act_bits, int high_bits, int weight_bits,
                                       Isa max_isa);
// The variant called `name`, or nullptr.
const PGConv2dVariant* pgconv2d_find(std::string_view name);

}  // namespace bnnkit::kernels
