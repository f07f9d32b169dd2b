// The specification of the float pools (see pool.h for the math, the evaluation order and the NaN rule).
// Every optimized variant must produce exactly what this produces.
#include <cmath>
#include <cstddef>
#include <limits>

#include "kernels/pool/pool.h"

namespace bnnkit::kernels {

void avg_pool2d_reference(const AvgPool2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int oh = a.oh(), ow = a.ow();
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    for (int ox = 0; ox < ow; ++ox) {
      float* dst = a.dst + (static_cast<size_t>(row) * ow + ox) * g.ic;
      for (int c = 0; c < g.ic; ++c) {
        float sum = 0.0f;
        int inside = 0;
        for (int i = 0; i < g.kh; ++i) {
          const int y = oy * g.sh - g.ph + i;
          if (y < 0 || y >= g.ih) continue;
          for (int j = 0; j < g.kw; ++j) {
            const int x = ox * g.sw - g.pw + j;
            if (x < 0 || x >= g.iw) continue;
            sum = sum + a.src[((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * g.ic + c];
            ++inside;
          }
        }
        const int count = a.count_include_pad ? g.kh * g.kw : inside;
        dst[c] = sum / static_cast<float>(count);
      }
    }
  }
}

void max_pool2d_reference(const MaxPool2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int oh = a.oh(), ow = a.ow();
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    for (int ox = 0; ox < ow; ++ox) {
      float* dst = a.dst + (static_cast<size_t>(row) * ow + ox) * g.ic;
      for (int c = 0; c < g.ic; ++c) {
        float m = -std::numeric_limits<float>::infinity();
        for (int i = 0; i < g.kh; ++i) {
          const int y = oy * g.sh - g.ph + i;
          if (y < 0 || y >= g.ih) continue;
          for (int j = 0; j < g.kw; ++j) {
            const int x = ox * g.sw - g.pw + j;
            if (x < 0 || x >= g.iw) continue;
            const float v = a.src[((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * g.ic + c];
            if (v > m || std::isnan(v)) m = v;
          }
        }
        dst[c] = m;
      }
    }
  }
}

void global_avg_pool_reference(const GlobalAvgPoolArgs& a, int n_begin, int n_end) {
  const size_t pixels = static_cast<size_t>(a.h) * a.w;
  const float count = static_cast<float>(pixels);
  for (int b = n_begin; b < n_end; ++b) {
    const float* src = a.src + static_cast<size_t>(b) * pixels * a.c;
    float* dst = a.dst + static_cast<size_t>(b) * a.c;
    for (int c = 0; c < a.c; ++c) {
      float sum = 0.0f;
      for (size_t p = 0; p < pixels; ++p) sum = sum + src[p * a.c + c];
      dst[c] = sum / count;
    }
  }
}

}  // namespace bnnkit::kernels
