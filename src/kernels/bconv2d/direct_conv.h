// Window bookkeeping shared by the direct (no im2col) bconv2d variants.
//
// Every optimized variant walks one output row at a time and splits it the same way:
//   - the kernel rows i in [i0, i1) that land inside the image are the same for every pixel of the row, so a
//     top/bottom edge row just runs fewer kernel rows (padded taps are skipped, never read);
//   - the interior columns, whose whole kw-wide window is inside the image, share one tap range j in [0, kw)
//   and
//     are computed in register tiles of several pixels;
//   - the few edge columns get their own tap range [j0, j1) and run one pixel at a time.
// Skipping the padded taps gives Padding::kZero directly (a padded tap contributes 0). Padding::kOne is the
// same sum plus, for every skipped tap, ic - 2 * popcount(w[o][tap]); the variants precompute
// popcount(w[o][tap]) at pack time and add the correction only on edge rows and columns.
//
// Within one kernel row the window of a pixel is kw consecutive NHWC pixels, i.e. kw * words_for(ic)
// consecutive words, whatever the stride. So a kernel row is one contiguous run of activation words, and the
// packed weights store the taps of a kernel row in the same order, which keeps the inner loop a plain stream.
#pragma once

#include <algorithm>

#include "kernels/bconv2d/bconv2d.h"
#include "kernels/common/conv_geometry.h"

namespace bnnkit::kernels::bconv2d_detail {

struct TapRange {
  int begin = 0, end = 0;
  int size() const { return end - begin; }
};

// Taps t in [0, k) with 0 <= o * stride - pad + t < in.
inline TapRange valid_taps(int o, int stride, int pad, int k, int in) {
  const int start = o * stride - pad;
  const int b = std::min(k, std::max(0, -start));
  const int e = std::max(b, std::min(k, in - start));
  return {b, e};
}

// Output columns [begin, end) whose whole window is inside the image, clipped to [lo, hi).
inline TapRange interior_cols(const ConvGeometry& g, int lo, int hi) {
  int b = lo;
  while (b < hi && b * g.sw - g.pw < 0) ++b;
  int e = hi;
  while (e > b && (e - 1) * g.sw - g.pw + g.kw > g.iw) --e;
  return {b, std::max(b, e)};
}

// A 1x1, stride-1, unpadded convolution maps output pixel p to input pixel p (oh = ih, ow = iw), so any range
// of output rows, across images too, is one contiguous run of pixels: a dense layer over n * oh * ow rows.
inline bool is_pointwise(const ConvGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

// The same problem as one output row of n * oh * ow pixels (see is_pointwise), for run_segment().
inline BConv2dArgs as_pixel_run(const BConv2dArgs& a) {
  BConv2dArgs r = a;
  r.g.n = 1;
  r.g.ih = 1;
  r.g.iw = a.g.n * a.g.ih * a.g.iw;
  return r;
}

// Largest kh * kw * ic the variants accept: accumulators, bases and thresholds then stay far from int32
// limits (thresholds are clamped to +-2^29, which keeps base - threshold inside int32).
inline constexpr long long kMaxTapBits = 1LL << 28;

inline bool too_deep(const ConvGeometry& g) {
  return static_cast<long long>(g.kh) * g.kw * g.ic >= kMaxTapBits;
}

}  // namespace bnnkit::kernels::bconv2d_detail
