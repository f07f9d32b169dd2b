// Float 2-D convolution with groups and zero padding: the float stems (PokeInit's 4x4/4 conv and its grouped
// 3x3, run in float after dequantization), heads, and any float path between binary layers.
//
// NHWC float32. With icg = ic / groups and ocg = oc / groups, output channel o belongs to group o / ocg and
// reads the input channels [(o / ocg) * icg, (o / ocg + 1) * icg). For output pixel (y, x) of image b:
//
//   acc = 0.0f
//   for i in [0, kh), then j in [0, kw), then k in [0, icg)           (this order, nothing reassociated)
//     if the tap (y*sh - ph + i, x*sw - pw + j) lies inside the image:
//       acc = acc + src[b][y*sh - ph + i][x*sw - pw + j][(o / ocg) * icg + k] * w[o][i][j][k]
//   dst[b][y][x][o] = bias ? acc + bias[o] : acc                       (bias added last)
//
// Each tap is one float multiply, rounded, then one float add, rounded (the build uses -ffp-contract=off, so
// no FMA). Taps in the padding are skipped; that equals adding 0 * w for finite w, since acc starts at +0.0f.
// groups = 1 is a full conv; ic = oc = groups is depthwise; ic = 32, groups = 32, oc = 64 is PokeInit's
// grouped 3x3 (two filters per input channel).
//
// Preconditions: groups >= 1, ic % groups == 0, oc % groups == 0, oh() >= 1 and ow() >= 1, dst does not
// overlap src, weights or bias.
#pragma once

#include "kernels/common/conv_geometry.h"

namespace bnnkit::kernels {

struct Conv2dArgs {
  ConvGeometry g;
  int groups = 1;
  const float* src = nullptr;      // [n][ih][iw][ic]
  const float* weights = nullptr;  // [oc][kh][kw][ic / groups]
  const float* bias = nullptr;     // [oc], or nullptr for no bias
  float* dst = nullptr;            // [n][oh][ow][oc]
};

// Computes output rows [row_begin, row_end) of the n * oh rows (g.out_rows()). Never allocates.
void conv2d_reference(const Conv2dArgs& a, int row_begin, int row_end);

}  // namespace bnnkit::kernels
