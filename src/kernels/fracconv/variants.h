// The fracconv2d variants: one ordered list, best first, "reference" last (it accepts every problem), with
// the same contract as the bconv2d list (kernels/bconv2d/variants.h): a variant owns its packed weight
// layout, filled once at plan time from the reference layout [oc][kh][kw][words_for(ic)], and run() produces
// exactly the bytes of fracconv2d_reference (and the same open_count) for any split of the rows.
//
//   name            isa        MSB pass (every output)   LSB pass (open gates only)
//   avx512_gated    kAvx512    bconv2d avx512_6x4        per (pixel, open channel): VPOPCNTQ over the window
//   avx2_gated      kAvx2      bconv2d avx2_4x2          per (pixel, open channel): scalar POPCNT
//   portable_gated  kPortable  bconv2d portable_2x4      per (pixel, open channel): std::popcount
//   reference       kPortable  fracconv2d_reference
//
// How the gated variants skip (gated.h): the MSB plane is convolved for a segment of an output row into an
// int32 scratch; the gate compares give a channel mask per pixel; then, per pixel, the open channels are
// compacted into a list and only their LSB dot products are computed, against the pixel's LSB window copied
// once into a contiguous buffer. If a segment's density is high, the LSB plane is convolved densely instead
// (the dense tile is cheaper per output than the per-pair dot product), so full density costs about a dense
// 2-bit convolution.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/fracconv/fracconv.h"

namespace bnnkit::kernels {

struct FracConv2dVariant {
  const char* name;
  Isa isa;
  const char* (*rejects)(const ConvGeometry& g, Padding padding, OutputKind out);
  size_t (*packed_weight_words)(const ConvGeometry& g);
  void (*pack_weights)(const ConvGeometry& g, const Word* reference_weights, Word* packed);
  // Same contract as fracconv2d_reference, with args.weights pointing at the packed layout.
  void (*run)(const FracConv2dArgs& args, int row_begin, int row_end);
};

std::span<const FracConv2dVariant> fracconv2d_variants();
const FracConv2dVariant& fracconv2d_select(const ConvGeometry& g, Padding padding, OutputKind out,
                                           Isa max_isa);
const FracConv2dVariant* fracconv2d_find(std::string_view name);

}  // namespace bnnkit::kernels
