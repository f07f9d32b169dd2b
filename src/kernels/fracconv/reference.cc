// The specification of the fractional convolution (fracconv.h): plain loops, no blocking, the LSB plane read
// only where the gate is open. Every optimized variant must produce exactly what this produces.
#include "kernels/fracconv/fracconv.h"

#include <cstddef>

namespace bnnkit::kernels {

namespace {

// Binary conv accumulator of one plane at output pixel (b, oy, ox) and channel o (see bconv2d.h).
int32_t plane_dot(const FracConv2dArgs& a, const Word* plane, int b, int oy, int ox, int o) {
  const ConvGeometry& g = a.g;
  const int icw = words_for(g.ic);
  int32_t d = 0;
  for (int i = 0; i < g.kh; ++i) {
    for (int j = 0; j < g.kw; ++j) {
      const Word* w = a.weights + ((static_cast<size_t>(o) * g.kh + i) * g.kw + j) * icw;
      const int y = oy * g.sh - g.ph + i, x = ox * g.sw - g.pw + j;
      const bool inside = y >= 0 && y < g.ih && x >= 0 && x < g.iw;
      if (!inside && a.padding == Padding::kZero) continue;
      int pc = 0;
      if (inside) {
        const Word* s = plane + ((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * icw;
        for (int k = 0; k < icw; ++k) pc += popcount(s[k] ^ w[k]);
      } else {
        for (int k = 0; k < icw; ++k) pc += popcount(w[k]);
      }
      d += g.ic - 2 * pc;
    }
  }
  return d;
}

}  // namespace

void fracconv2d_reference(const FracConv2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int oh = g.oh(), ow = g.ow();
  const int px_bytes = output_pixel_bytes(a.out.kind, g.oc);
  int64_t open_count = 0;
  int32_t acc[kWordBits];  // one word of output channels, as in bconv2d
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    for (int ox = 0; ox < ow; ++ox) {
      auto* dst = static_cast<char*>(a.dst) + (static_cast<size_t>(row) * ow + ox) * px_bytes;
      for (int o = 0; o < g.oc; ++o) {
        const int32_t d_msb = plane_dot(a, a.src_msb, b, oy, ox, o);
        const bool open = d_msb > a.gate_threshold[o];
        int32_t d = 2 * d_msb;
        if (open) {
          d += plane_dot(a, a.src_lsb, b, oy, ox, o);
          ++open_count;
        }
        acc[o % kWordBits] = d;
        if (o % kWordBits == kWordBits - 1 || o == g.oc - 1) {
          const int c0 = o - o % kWordBits;
          write_output_range(a.out, acc, c0, o - c0 + 1, dst);
        }
      }
    }
  }
  if (a.open_count != nullptr) *a.open_count += open_count;
}

}  // namespace bnnkit::kernels
