// Float pooling over NHWC tensors: average pool (FracBNN's AvgPool 2x2 shortcut, the 8x8 / 7x7 head
// pools, PokeBNN's 3x3/2 shortcut pool), max pool, and the global average pool (PokeBNN's global mean, the
// SE input).
//
// avg_pool2d / max_pool2d use ConvGeometry with channels g.ic (g.oc is ignored: the output also has g.ic
// channels), window kh x kw, stride sh x sw and symmetric padding ph x pw as PyTorch (ceil_mode = false). For
// output pixel (y, x) of image b and channel c, over the taps (i, j) in the order i in [0, kh), then
// j in [0, kw), where tap (y*sh - ph + i, x*sw - pw + j) lies inside the image:
//
//   avg:  sum = 0.0f;  sum = sum + src[..][c] for each inside tap;  dst = sum / count  (one float division)
//         count = kh * kw if count_include_pad, else the number of inside taps (as PyTorch's avg_pool2d)
//   max:  m = -inf;  m = (v > m || v is NaN) ? v : m for each inside tap
//         (padding never wins; a NaN in the window gives NaN, as PyTorch's max_pool2d)
//
// global_avg_pool:  dst[b][c] = sum / (float)(h * w),  sum = 0.0f + src[b][0][0][c] + src[b][0][1][c] + ...
//                   (pixels in row-major (h, w) order, one float add each, then one float division; PyTorch's
//                   mean sums in another order, so they agree to a tolerance, not bit-exactly).
//
// Preconditions: ph <= kh / 2 and pw <= kw / 2 (PyTorch's rule; every window then holds an inside tap),
// oh(), ow() >= 1; h * w <= 2^24; dst does not overlap src.
//
// NB: TF/Flax "SAME" padding with stride 2 on an even input pads 0 before and 1 after; this symmetric
// geometry cannot express that, so PokeBNN's shortcut avg_pool 3x3/2 SAME (56 -> 28 etc.) needs an
// asymmetric-padding geometry that ConvGeometry does not have yet. Flax divides that pool by 9 everywhere
// (count_include_pad).
#pragma once

#include "kernels/common/conv_geometry.h"

namespace bnnkit::kernels {

struct AvgPool2dArgs {
  ConvGeometry g;                 // channels are g.ic; g.oc is ignored
  bool count_include_pad = true;  // PyTorch's default
  const float* src = nullptr;     // [n][ih][iw][ic]
  float* dst = nullptr;           // [n][oh][ow][ic]
};

struct MaxPool2dArgs {
  ConvGeometry g;              // channels are g.ic; g.oc is ignored
  const float* src = nullptr;  // [n][ih][iw][ic]
  float* dst = nullptr;        // [n][oh][ow][ic]
};

struct GlobalAvgPoolArgs {
  int n = 1, h = 1, w = 1, c = 1;
  const float* src = nullptr;  // [n][h][w][c]
  float* dst = nullptr;        // [n][c]
};

// Compute output rows [row_begin, row_end) of the n * oh rows (g.out_rows()). Never allocate.
void avg_pool2d_reference(const AvgPool2dArgs& a, int row_begin, int row_end);
void max_pool2d_reference(const MaxPool2dArgs& a, int row_begin, int row_end);

// Computes the images [n_begin, n_end) (one output row of c values per image). Never allocates.
void global_avg_pool_reference(const GlobalAvgPoolArgs& a, int n_begin, int n_end);

}  // namespace bnnkit::kernels
