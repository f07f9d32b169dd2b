// Entry points of the gated fracconv2d variants, for variants.cc (the one list). The avx2_* and avx512_*
// functions may only be called when cpu_supports() says so.
#pragma once

#include <cstddef>

#include "kernels/bconv2d/variant_impls.h"
#include "kernels/fracconv/fracconv.h"

namespace bnnkit::kernels::fracconv_detail {

size_t avx512_gated_packed_weight_words(const ConvGeometry& g);
void avx512_gated_pack_weights(const ConvGeometry& g, const Word* reference_weights, Word* packed);
void avx512_gated_run(const FracConv2dArgs& a, int row_begin, int row_end);

size_t avx2_gated_packed_weight_words(const ConvGeometry& g);
void avx2_gated_pack_weights(const ConvGeometry& g, const Word* reference_weights, Word* packed);
void avx2_gated_run(const FracConv2dArgs& a, int row_begin, int row_end);

size_t portable_gated_packed_weight_words(const ConvGeometry& g);
void portable_gated_pack_weights(const ConvGeometry& g, const Word* reference_weights, Word* packed);
void portable_gated_run(const FracConv2dArgs& a, int row_begin, int row_end);

}  // namespace bnnkit::kernels::fracconv_detail

namespace bnnkit::kernels::bconv2d_detail {

// The gated MSB pass (avx512_6x4_run_segment_gated) over whole output rows [row_begin, row_end) of one call,
// channel groups outermost as in the plain conv (one set-up per group, not per row): pixel i of the call (row
// by row) has its D at block + i * oc, its masks at gate.masks + i * (oc + 15) / 16 and its output at
// gate.dst + i * gate.dst_px. Defined in bconv2d/avx512_6x4.cc beside its per-row sibling; only the gated
// fractional conv uses it.
void avx512_6x4_run_rows_gated(const BConv2dArgs& a, int row_begin, int row_end, void* block,
                               const GateEpilogue& gate);

}  // namespace bnnkit::kernels::bconv2d_detail
