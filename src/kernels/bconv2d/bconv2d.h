// Binary 2-D convolution: bit-packed NHWC input, bit-packed weights, exact integer accumulation, then the
// shared output stage (kernels/common/output_stage.h).
//
// For output pixel (y, x) and channel o, over the taps (i, j) of the kh x kw window:
//   tap inside the image:      D += ic - 2 * popcount(src[y*sh - ph + i][x*sw - pw + j] XOR w[o][i][j])
//   tap in the padding, kZero: nothing (the padded activation is 0, as PyTorch pads a +-1 tensor)
//   tap in the padding, kOne:  D += ic - 2 * popcount(w[o][i][j])   (the padded activation is +1, bits 0)
//
// Reference weight layout: [oc][kh][kw][words_for(ic)], tail bits zero. Optimized variants repack it once at
// plan time into their own blocked layout.
#pragma once

#include <cstdint>

#include "kernels/common/bits.h"
#include "kernels/common/conv_geometry.h"
#include "kernels/common/output_stage.h"

namespace bnnkit::kernels {

enum class Padding : uint8_t { kZero = 0, kOne = 1 };

struct BConv2dArgs {
  ConvGeometry g;
  Padding padding = Padding::kZero;
  const Word* src = nullptr;      // [n][ih][iw][words_for(ic)]
  const Word* weights = nullptr;  // reference layout, see above
  OutputStage out;
  void* dst = nullptr;  // [n][oh][ow][oc] int32/float, or [n][oh][ow][words_for(oc)] words
};

// Computes output rows [row_begin, row_end) of the n * oh rows. Never allocates.
void bconv2d_reference(const BConv2dArgs& a, int row_begin, int row_end);

}  // namespace bnnkit::kernels
