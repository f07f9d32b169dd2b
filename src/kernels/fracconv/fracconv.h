// FracBNN fractional convolution: binary weights, 2-bit activations held as two +-1 planes (kernels/bitpack:
// x = (2/3) * p_msb + (1/3) * p_lsb), the LSB plane used only where a per-channel gate opens.
//
// For output pixel (y, x) and channel o, D_msb and D_lsb are binary convolution accumulators of the two
// planes with the same weights, exactly as in bconv2d (kernels/bconv2d/bconv2d.h), padding included:
//   kZero  a padded tap adds nothing to either plane (the padded activation is 0)
//   kOne   a padded tap counts as +1 in BOTH planes (the padded activation is 2/3 + 1/3 = +1)
// FracBNN's output is y = (2/3) * D_msb + gate * (1/3) * D_lsb with gate = (2/3) * D_msb > theta_o. The
// exporter turns the gate into the integer compare
//   open = D_msb > gate_threshold[o]
// and the kernel feeds the exact integer
//   acc = 2 * D_msb + (open ? D_lsb : 0)          (= 3 * y)
// to the shared output stage (kernels/common/output_stage.h), whose scale/threshold absorb the factor 3.
//
// Layouts as in bconv2d: src_msb and src_lsb [n][ih][iw][words_for(ic)], weights [oc][kh][kw][words_for(ic)],
// tail bits zero; dst [n][oh][ow][oc] int32/float or [n][oh][ow][words_for(oc)] words.
//
// open_count, if not null, gets += the number of open gates among the (pixel, channel) outputs of the slice
// (added once per call, not atomically: give each thread its own counter and sum them).
#pragma once

#include <cstdint>

#include "kernels/bconv2d/bconv2d.h"
#include "kernels/common/bits.h"
#include "kernels/common/conv_geometry.h"
#include "kernels/common/output_stage.h"

namespace bnnkit::kernels {

// kSparse: dot products for the open gates only; kDense: the whole LSB plane, then select.
enum class LsbPass : uint8_t { kAuto, kSparse, kDense };

struct FracConv2dArgs {
  ConvGeometry g;
  Padding padding = Padding::kZero;
  const Word* src_msb = nullptr;            // [n][ih][iw][words_for(ic)]
  const Word* src_lsb = nullptr;            // [n][ih][iw][words_for(ic)]
  const Word* weights = nullptr;            // [oc][kh][kw][words_for(ic)], as bconv2d
  const int32_t* gate_threshold = nullptr;  // [oc]: the LSB plane counts iff D_msb > gate_threshold[o]
  OutputStage out;
  void* dst = nullptr;            // [n][oh][ow][oc] int32/float, or [n][oh][ow][words_for(oc)] words
  int64_t* open_count = nullptr;  // nullable: += open gates in this slice
  // Gated variants only (variants.h): how a row segment's LSB plane is computed. kAuto picks the cheaper by a
  // cost model; the result is identical either way, only the time differs.
  LsbPass lsb_pass = LsbPass::kAuto;
};

// Computes output rows [row_begin, row_end) of the n * oh rows. Never allocates.
void fracconv2d_reference(const FracConv2dArgs& a, int row_begin, int row_end);

}  // namespace bnnkit::kernels
