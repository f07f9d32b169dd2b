// The specification of binary conv2d: plain loops, no blocking. Every optimized variant must produce exactly
// what this produces.
#include "kernels/bconv2d/bconv2d.h"

namespace bnnkit::kernels {

void bconv2d_reference(const BConv2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int icw = words_for(g.ic);
  const int oh = g.oh(), ow = g.ow();
  const int px_bytes = output_pixel_bytes(a.out.kind, g.oc);
  // Output channels go in chunks of one word, so the accumulators live on the stack and bit-packed output is
  // written a whole word at a time.
  int32_t acc[kWordBits];
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    for (int ox = 0; ox < ow; ++ox) {
      auto* dst = static_cast<char*>(a.dst) + (static_cast<size_t>(row) * ow + ox) * px_bytes;
      for (int o = 0; o < g.oc; ++o) {
        int32_t d = 0;
        for (int i = 0; i < g.kh; ++i) {
          for (int j = 0; j < g.kw; ++j) {
            const Word* w = a.weights + ((static_cast<size_t>(o) * g.kh + i) * g.kw + j) * icw;
            const int y = oy * g.sh - g.ph + i, x = ox * g.sw - g.pw + j;
            const bool inside = y >= 0 && y < g.ih && x >= 0 && x < g.iw;
            if (!inside && a.padding == Padding::kZero) continue;
            int pc = 0;
            if (inside) {
              const Word* s = a.src + ((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * icw;
              for (int k = 0; k < icw; ++k) pc += popcount(s[k] ^ w[k]);
            } else {
              for (int k = 0; k < icw; ++k) pc += popcount(w[k]);
            }
            d += g.ic - 2 * pc;
          }
        }
        acc[o % kWordBits] = d;
        if (o % kWordBits == kWordBits - 1 || o == g.oc - 1) {
          const int c0 = o - o % kWordBits;
          write_output_range(a.out, acc, c0, o - c0 + 1, dst);
        }
      }
    }
  }
}

}  // namespace bnnkit::kernels
