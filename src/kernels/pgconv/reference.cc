// The specification of the PG quantizer and convolution (pgconv.h): plain loops over integer codes, the low
// part computed only where the gate is open. Every optimized variant must produce exactly what this produces.
#include <cstddef>
#include <limits>

#include "kernels/pgconv/pgconv.h"

namespace bnnkit::kernels {

void pgquant_reference(const PGQuantArgs& a, int image_begin, int image_end) {
  const int cw = words_for(a.channels);
  const int pw = pg_pixel_words(a.bits, a.channels);
  const float top = static_cast<float>((1 << a.bits) - 1);
  const int64_t per_image = a.pixels * a.channels;
  for (int b = image_begin; b < image_end; ++b) {
    const float* x = a.src + b * per_image;
    Word* planes = a.planes + static_cast<size_t>(b) * a.pixels * pw;
    float m = 0.0f;
    bool finite = true;
    for (int64_t i = 0; i < per_image; ++i) {
      const float v = x[i] < 0.0f ? -x[i] : x[i];
      finite = finite && v <= std::numeric_limits<float>::max();  // false for NaN and +-Inf
      m = v > m ? v : m;
    }
    for (int64_t i = 0; i < a.pixels * pw; ++i) planes[i] = 0;
    if (!finite) {
      a.scale[b] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    const float s = m + 1e-7f;
    a.scale[b] = s;
    for (int64_t p = 0; p < a.pixels; ++p) {
      Word* px = planes + p * pw;
      for (int c = 0; c < a.channels; ++c) {
        const float v = x[p * a.channels + c];
        const int q = pg_quant_code(v, s, top);
        Word* half = px + (v < 0.0f ? a.bits * cw : 0);
        for (int i = 0; i < a.bits; ++i)
          if ((q >> i) & 1) half[i * cw + c / kWordBits] |= Word{1} << (c % kWordBits);
      }
    }
  }
}

namespace {

// The signed code a of channel c of one pixel's planes.
int code_at(const Word* px, int bits, int cw, int c) {
  int q = 0, neg = 0;
  for (int i = 0; i < bits; ++i) {
    q |= static_cast<int>(get_bit(px + i * cw, c)) << i;
    neg |= static_cast<int>(get_bit(px + (bits + i) * cw, c)) << i;
  }
  return q - neg;  // one of the two is 0
}

}  // namespace

void pgconv2d_reference(const PGConv2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const int oh = g.oh(), ow = g.ow();
  const int cw = words_for(g.ic);
  const int pw = pg_pixel_words(a.act_bits, g.ic);
  const int lb = a.act_bits - a.high_bits;
  const int low_mask = (1 << lb) - 1;
  int64_t open_count = 0;
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / oh, oy = row % oh;
    const float k = pg_step(a, a.src_scale[b]);
    for (int ox = 0; ox < ow; ++ox) {
      void* dst = static_cast<char*>(a.dst) + (static_cast<size_t>(row) * ow + ox) * g.oc * 4;
      for (int o = 0; o < g.oc; ++o) {
        // part 0: high, part 1: low (only if the gate opens).
        int32_t acc[2] = {0, 0};
        bool open = false;
        for (int part = 0; part < 2; ++part) {
          if (part == 1 && !open) break;
          for (int i = 0; i < g.kh; ++i) {
            for (int j = 0; j < g.kw; ++j) {
              const int y = oy * g.sh - g.ph + i, x = ox * g.sw - g.pw + j;
              if (y < 0 || y >= g.ih || x < 0 || x >= g.iw) continue;  // zero padding
              const Word* px = a.src + ((static_cast<size_t>(b) * g.ih + y) * g.iw + x) * pw;
              const int32_t* w = a.codes + ((static_cast<size_t>(o) * g.kh + i) * g.kw + j) * g.ic;
              for (int c = 0; c < g.ic; ++c) {
                const int v = code_at(px, a.act_bits, cw, c);
                const int mag = v < 0 ? -v : v;
                const int part_mag = part == 0 ? (mag >> lb) << lb : mag & low_mask;
                acc[part] += (v < 0 ? -part_mag : part_mag) * w[c];
              }
            }
          }
          if (part == 0) open = pg_gate(acc[0], k, a.delta[o]);
        }
        if (open) ++open_count;
        pg_write(a, o, acc[0] + acc[1], k, dst);
      }
    }
  }
  if (a.open_count != nullptr) *a.open_count += open_count;
}

}  // namespace bnnkit::kernels
