// Entry points of the optimized pgconv variants, for variants.cc (the one list). The avx2_* and avx512_*
// functions may only be called when cpu_supports() says so. Each has the contract of PGConv2dVariant.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/pgconv/pgconv.h"

namespace bnnkit::kernels::pgconv_detail {

// avx512_vpopcntq.cc
size_t avx512_vpopcntq_packed_weight_words(const ConvGeometry& g, int wb);
void avx512_vpopcntq_pack_weights(const ConvGeometry& g, int wb, const int32_t* codes, Word* packed);
void avx512_vpopcntq_run(const PGConv2dArgs& a, int row_begin, int row_end);

// avx2_popcnt.cc
size_t avx2_popcnt_packed_weight_words(const ConvGeometry& g, int wb);
void avx2_popcnt_pack_weights(const ConvGeometry& g, int wb, const int32_t* codes, Word* packed);
void avx2_popcnt_run(const PGConv2dArgs& a, int row_begin, int row_end);

// portable_swar.cc
size_t portable_swar_packed_weight_words(const ConvGeometry& g, int wb);
void portable_swar_pack_weights(const ConvGeometry& g, int wb, const int32_t* codes, Word* packed);
void portable_swar_run(const PGConv2dArgs& a, int row_begin, int row_end);

}  // namespace bnnkit::kernels::pgconv_detail
