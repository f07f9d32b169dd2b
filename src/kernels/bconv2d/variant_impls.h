// Entry points of the optimized bconv2d variants, for variants.cc (the one list) and for the binary dense
// variants, which run the same kernels as a 1x1 convolution over a 1 x n "image" (bdense/variants.cc).
//
// Each variant has the four functions of BConv2dVariant plus run_segment(), the unit everything else is built
// from: output pixels [ox_begin, ox_end) of output row oy of image b, output channels [oc_begin, oc_end).
// For kBits, oc_begin is a multiple of 64 and oc_end a multiple of 64 or oc (whole words are written).
// `block`, if not null, replaces the destination: pixel ox goes to block + (ox - ox_begin) * pixel bytes
// (same per-pixel layout as dst), so a caller can compute a row segment into a small scratch buffer (fracconv
// does). The avx2_* and avx512_* functions may only be called when cpu_supports() says so.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/bconv2d/bconv2d.h"
#include "kernels/common/output_stage.h"

namespace bnnkit::kernels::bconv2d_detail {

// The fused gate epilogue of the fractional convolution (kernels/fracconv/gated.h), for
// avx512_6x4_run_segment_gated: each tile computes D (the run's own kInt32 output, written into `block` only
// for pixels with an open gate in the tile's channel group), compares D > threshold[o] (the gate), stores the
// 16-channel gate masks, and writes the fractional
// conv's final output as if every gate were closed (2 * D through `out`), so the LSB pass only visits pixels
// with an open gate and only redoes their open channels.
struct GateEpilogue {
  const int32_t* threshold = nullptr;  // [oc]: open iff D > threshold[o]
  OutputStage out;                     // the fractional conv's output stage
  char* dst = nullptr;                 // final output of pixel ox_begin; pixel ox is (ox - ox_begin) further
  ptrdiff_t dst_px = 0;                // bytes per final output pixel
  uint16_t* masks = nullptr;           // gate masks of pixel ox_begin: (oc + 15) / 16 per pixel
};

// avx512_6x4.cc
size_t avx512_6x4_packed_weight_words(const ConvGeometry& g);
void avx512_6x4_pack_weights(const ConvGeometry& g, const Word* reference_weights, Word* packed);
void avx512_6x4_run(const BConv2dArgs& a, int row_begin, int row_end);
// Layers with ic <= 16 and stride 1 run their interior pixels in pairs (16-bit lanes, VPOPCNTW) when the CPU
// has AVX-512 BITALG; tests switch that off to cover the one-pixel tile too. Default on.
#if defined(__x86_64__)
void avx512_6x4_set_pixel_pairs(bool on);
#else
inline void avx512_6x4_set_pixel_pairs(bool /*on*/) {}
#endif
// For tests: f(true) with pixel pairs on, then f(false) with them off; on again afterwards, even if f throws.
template <class F>
void with_pixel_pairs_on_and_off(F&& f) {
  struct Restore {
    ~Restore() { avx512_6x4_set_pixel_pairs(true); }
  } restore;
  for (const bool on : {true, false}) {
    avx512_6x4_set_pixel_pairs(on);
    f(on);
  }
}
void avx512_6x4_run_segment(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, int oc_begin,
                            int oc_end, void* block = nullptr);
// All channels of pixels [ox_begin, ox_end) of row (b, oy); a.out.kind must be kInt32 (D goes to block).
void avx512_6x4_run_segment_gated(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, void* block,
                                  const GateEpilogue& gate);
// The whole fractional conv for pixels [ox_begin, ox_end) of row (b, oy), both planes in one tile (a.src the
// MSB plane, src_lsb the LSB plane, a.out.kind kInt32): the final output 2 * D_msb + (open ? D_lsb : 0)
// through gate.out, the open gates added to *open_count; gate.masks is not used.
void avx512_6x4_run_segment_two_plane(const BConv2dArgs& a, const Word* src_lsb, int b, int oy, int ox_begin,
                                      int ox_end, const GateEpilogue& gate, int64_t* open_count);

// avx2_4x2.cc
size_t avx2_4x2_packed_weight_words(const ConvGeometry& g);
void avx2_4x2_pack_weights(const ConvGeometry& g, const Word* reference_weights, Word* packed);
void avx2_4x2_run(const BConv2dArgs& a, int row_begin, int row_end);
void avx2_4x2_run_segment(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, int oc_begin,
                          int oc_end, void* block = nullptr);

// portable_2x4.cc
size_t portable_2x4_packed_weight_words(const ConvGeometry& g);
void portable_2x4_pack_weights(const ConvGeometry& g, const Word* reference_weights, Word* packed);
void portable_2x4_run(const BConv2dArgs& a, int row_begin, int row_end);
void portable_2x4_run_segment(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, int oc_begin,
                              int oc_end, void* block = nullptr);

}  // namespace bnnkit::kernels::bconv2d_detail
