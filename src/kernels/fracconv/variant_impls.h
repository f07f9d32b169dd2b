// Entry points of the gated fracconv2d variants, for variants.cc (the one list). The avx2_* and avx512_*
// functions may only be called when cpu_supports() says so.
#pragma once

#include <cstddef>

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
