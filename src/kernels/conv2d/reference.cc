// The specification of float conv2d (see conv2d.h for the math and the evaluation order): plain loops, no
// blocking. Every optimized variant must produce exactly what this produces.
#include <cstddef>

#include "kernels/conv2d/conv2d.h"

namespace bnnkit::kernels {

void conv2d_reference(const Conv2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int icg = g.ic / a.groups, ocg = g.oc / a.groups;
  const int oh = g.oh(), ow = g.ow();
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    for (int ox = 0; ox < ow; ++ox) {
      float* dst = a.dst + (static_cast<size_t>(row) * ow + ox) * g.oc;
      for (int o = 0; o < g.oc; ++o) {
        const int c0 = (o / ocg) * icg;
        float acc = 0.0f;
        for (int i = 0; i < g.kh; ++i) {
          const int y = oy * g.sh - g.ph + i;
          if (y < 0 || y >= g.ih) continue;
          for (int j = 0; j < g.kw; ++j) {
            const int x = ox * g.sw - g.pw + j;
            if (x < 0 || x >= g.iw) continue;
            const float* s = a.src + ((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * g.ic + c0;
            const float* w = a.weights + ((static_cast<size_t>(o) * g.kh + i) * g.kw + j) * icg;
            for (int k = 0; k < icg; ++k) {
              const float p = s[k] * w[k];
              acc = acc + p;
            }
          }
        }
        dst[o] = a.bias != nullptr ? acc + a.bias[o] : acc;
      }
    }
  }
}

}  // namespace bnnkit::kernels
