// Float pooling over NHWC tensors: average pool (FracBNN's AvgPool 2x2 shortcut, the 8x8 / 7x7 head
// pools, PokeBNN's 3x3/2 shortcut pool), max pool, and the global average pool (PokeBNN's global mean, the
// SE input).
//
// avg_pool2d / max_pool2d use ConvGeometry with channels g.ic (g.oc is ignored: the output also has g.ic
// channels), window kh x kw, stride sh x sw, padding ph x pw before the input (top rows, left columns) and
// ph_end x pw_end after it (bottom, right; -1 = the same as before, symmetric as PyTorch), ceil_mode = false:
//
//   oh = (ih + ph + ph_end - kh) / sh + 1,   ow = (iw + pw + pw_end - kw) / sw + 1
//
// The padding after the input only decides how many windows there are; window (y, x) always starts at input
// (y*sh - ph, x*sw - pw). For output pixel (y, x) of image b and channel c, over the taps (i, j) in the order
// i in [0, kh), then j in [0, kw), where tap (y*sh - ph + i, x*sw - pw + j) lies inside the image:
//
//   avg:  sum = 0.0f;  sum = sum + src[..][c] for each inside tap;  dst = sum / count  (one float division)
//         count = kh * kw if count_include_pad, else the number of inside taps (as PyTorch's avg_pool2d)
//   max:  m = -inf;  m = (v > m || v is NaN) ? v : m for each inside tap
//         (padding never wins; a NaN in the window gives NaN, as PyTorch's max_pool2d)
//
// TF/Flax "SAME" padding is asymmetric when its total is odd: PokeBNN's shortcut avg_pool 3x3/2 SAME on an
// even input (56 -> 28 etc.) pads 0 before and 1 after (ph = 0, ph_end = 1), and Flax's nn.avg_pool divides
// by the whole window there too (count_include_pad = True, its default), so that pool is
// {kh = kw = 3, sh = sw = 2, ph = pw = 0, ph_end = pw_end = 1, count_include_pad = true}.
//
// global_avg_pool:  dst[b][c] = sum / (float)(h * w),  sum = 0.0f + src[b][0][0][c] + src[b][0][1][c] + ...
//                   (pixels in row-major (h, w) order, one float add each, then one float division; PyTorch's
//                   mean sums in another order, so they agree to a tolerance, not bit-exactly).
//
// Preconditions: ph, ph_end < kh and pw, pw_end < kw (every window then holds an inside tap),
// oh(), ow() >= 1; h * w <= 2^24; dst does not overlap src.
#pragma once

#include "kernels/common/conv_geometry.h"

namespace bnnkit::kernels {

// Output size of one pool dimension with padding p_begin before and p_end after (-1: p_begin).
constexpr int pool_out_dim(int in, int k, int s, int p_begin, int p_end) {
  return (in + p_begin + (p_end < 0 ? p_begin : p_end) - k) / s + 1;
}

// ConvGeometry stays symmetric (the convolutions need nothing else); the pools carry their padding after the
// input beside it, and their output size comes from oh()/ow() here, not from g.oh()/g.ow().
struct AvgPool2dArgs {
  ConvGeometry g;                 // channels are g.ic; g.oc is ignored; g.ph / g.pw pad before the input
  bool count_include_pad = true;  // PyTorch's and Flax's default
  const float* src = nullptr;     // [n][ih][iw][ic]
  float* dst = nullptr;           // [n][oh()][ow()][ic]
  int ph_end = -1, pw_end = -1;   // padding after the input; -1 = g.ph / g.pw

  constexpr int oh() const { return pool_out_dim(g.ih, g.kh, g.sh, g.ph, ph_end); }
  constexpr int ow() const { return pool_out_dim(g.iw, g.kw, g.sw, g.pw, pw_end); }
  constexpr int out_rows() const { return g.n * oh(); }
};

struct MaxPool2dArgs {
  ConvGeometry g;                // channels are g.ic; g.oc is ignored; g.ph / g.pw pad before the input
  const float* src = nullptr;    // [n][ih][iw][ic]
  float* dst = nullptr;          // [n][oh()][ow()][ic]
  int ph_end = -1, pw_end = -1;  // padding after the input; -1 = g.ph / g.pw

  constexpr int oh() const { return pool_out_dim(g.ih, g.kh, g.sh, g.ph, ph_end); }
  constexpr int ow() const { return pool_out_dim(g.iw, g.kw, g.sw, g.pw, pw_end); }
  constexpr int out_rows() const { return g.n * oh(); }
};

struct GlobalAvgPoolArgs {
  int n = 1, h = 1, w = 1, c = 1;
  const float* src = nullptr;  // [n][h][w][c]
  float* dst = nullptr;        // [n][c]
};

// Compute output rows [row_begin, row_end) of the n * oh rows (out_rows()). Never allocate.
void avg_pool2d_reference(const AvgPool2dArgs& a, int row_begin, int row_end);
void max_pool2d_reference(const MaxPool2dArgs& a, int row_begin, int row_end);

// Computes the images [n_begin, n_end) (one output row of c values per image). Never allocates.
void global_avg_pool_reference(const GlobalAvgPoolArgs& a, int n_begin, int n_end);

}  // namespace bnnkit::kernels

// The optimized variants and their selection, for the runtime (kept at the end: variants.h needs the args
// structs above).
#include "kernels/pool/variants.h"  // IWYU pragma: export
