// avg_pool2d and global_avg_pool of pool.h written once over the vector traits of elementwise/simd.h, for
// avx512_16.cc and avx2_8.cc. Channels go across the lanes, so each lane sums exactly the reference's taps in
// the reference's order (0.0f first, then taps by i then j, or pixels in row-major order) and divides once:
// float addition is not associative, so the order is kept, and the outputs are bit-identical.
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/elementwise/simd.h"
#include "kernels/pool/pool.h"

namespace bnnkit::kernels {
namespace {

template <class V>
void avg_pool2d_simd(const AvgPool2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int oh = a.oh(), ow = a.ow();
  const auto zero = V::set1(0.0f);
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    const int y0 = oy * g.sh - g.ph;
    // The inside taps are i in [i0, i1), j in [j0, j1): the ones the reference does not skip.
    const int i0 = std::max(0, -y0), i1 = std::min(g.kh, g.ih - y0);
    for (int ox = 0; ox < ow; ++ox) {
      const int x0 = ox * g.sw - g.pw;
      const int j0 = std::max(0, -x0), j1 = std::min(g.kw, g.iw - x0);
      const int count = a.count_include_pad ? g.kh * g.kw : (i1 - i0) * (j1 - j0);
      const auto divisor = V::set1(static_cast<float>(count));
      float* dst = a.dst + (static_cast<size_t>(row) * ow + ox) * g.ic;
      // The first inside tap (pointers never point before the tensor).
      const float* first = a.src + ((static_cast<size_t>(b) * g.ih + (y0 + i0)) * g.iw + (x0 + j0)) * g.ic;
      for_blocks<V>(g.ic, [&](int64_t c, auto m) {
        auto sum = zero;
        for (int i = 0; i < i1 - i0; ++i) {
          for (int j = 0; j < j1 - j0; ++j)
            sum = V::add(sum, V::load(first + (static_cast<size_t>(i) * g.iw + j) * g.ic + c, m));
        }
        V::store(dst + c, V::div(sum, divisor), m);
      });
    }
  }
}

template <class V>
void global_avg_pool_simd(const GlobalAvgPoolArgs& a, int n_begin, int n_end) {
  const size_t pixels = static_cast<size_t>(a.h) * a.w;
  const auto count = V::set1(static_cast<float>(pixels));
  for (int b = n_begin; b < n_end; ++b) {
    const float* src = a.src + static_cast<size_t>(b) * pixels * a.c;
    float* dst = a.dst + static_cast<size_t>(b) * a.c;
    for_blocks<V>(a.c, [&](int64_t c, auto m) {
      auto sum = V::set1(0.0f);
      for (size_t p = 0; p < pixels; ++p) sum = V::add(sum, V::load(src + p * a.c + c, m));
      V::store(dst + c, V::div(sum, count), m);
    });
  }
}

}  // namespace
}  // namespace bnnkit::kernels
