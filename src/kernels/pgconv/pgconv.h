// Precision Gating (PG) convolution, the general form (papers.md §1; the trainer's train/nn/pg_conv2d.h):
// B-bit signed activations split into a high part (hb bits) and a low part (lb = B - hb bits); every output
// is computed from the high part, and the low part is added only where the high-part output passes a
// per-channel threshold. FracConv2d (kernels/fracconv) is FracBNN's binary special case.
//
// Two steps, so that the convolution itself is integer-only.
//
// 1. Quantizer (pgquant_reference), per image b of x (float NHWC [n][ih][iw][ic]), in float32, in this order:
//      s_b  = max |x| over the image + 1e-7f                  (the trainer takes max |x| over the whole batch
//                                                              tensor; the engine over each image: see
//                                                              docs/ARCHITECTURE.md, "General PG
//                                                              convolution")
//      q    = (int) floor(min(|x| / s_b, 1.0f) * top + 0.5f)   top = 2^B - 1, so q in [0, top]
//      sign = x < 0                                            (-0.0 and 0 are +; q = 0 there anyway)
//    Non-finite images: if any element of an image is NaN or +-Inf, s_b = NaN and every q of the image is 0.
//    The convolution below then gives acc = 0, every gate closed (0 * NaN > delta is false) and float outputs
//    NaN (float(0) * NaN), so the NaN propagates to the image's outputs as in the elementwise ops, without a
//    branch in any conv variant. (Graph inputs never get here: Session::set_input rejects non-finite floats;
//    an intermediate tensor can, e.g. after a float overflow.)
//    Output planes, per pixel 2B packed rows of ic bits (kernels/common/bits.h), [n][ih][iw][2B][words(ic)]:
//      plane i      (0 <= i < B): bit i of q where sign = 0   (the positive part q+ = x >= 0 ? q : 0)
//      plane B + i  (0 <= i < B): bit i of q where sign = 1   (the negative part q- = x < 0 ? q : 0)
//    so the signed code a = q+ - q- = sum_i 2^i (P_i - N_i). Tail bits are zero.
//
// 2. Convolution (pgconv2d_reference and the variants in variants.h). With lb = B - hb:
//      a_hb = +-((q >> lb) << lb)   a_lb = +-(q & (2^lb - 1))   (a = a_hb + a_lb)
//    weights w: integer codes [oc][kh][kw][ic]; weight_bits wb in 2..8 gives |w| <= 2^(wb-1) - 1, wb = 1
//    gives w in {-1, +1}. Zero padding (a padded tap adds nothing), any kh/kw, strides.
//      acc_hb[p][o] = sum a_hb * w     acc_lb[p][o] = sum a_lb * w      (exact int32)
//      k      = (s_b / float(top)) * weight_step                 (float32, this order; weight_step = s_w)
//      gate   = float(acc_hb) * k > delta[o]                     (NaN delta: never open; -inf: always)
//      acc    = acc_hb + (gate ? acc_lb : 0)
//      out    = kInt32: acc;  kFloat: (float(acc) * k) * scale[o] + bias[o]  (three roundings, no FMA: the
//               build uses -ffp-contract=off, so every variant rounds identically)
//    acc_lb is computed only for open gates. Precondition (checked by the runtime): every partial sum fits
//    int32, i.e. kh * kw * ic * top * max|w| < 2^31.
//
// open_count, if not null, gets += the number of open gates among the outputs of the slice (added once per
// call, not atomically: give each thread its own counter).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common/bits.h"
#include "kernels/common/conv_geometry.h"
#include "kernels/common/output_stage.h"

namespace bnnkit::kernels {

inline constexpr int kPGMaxBits = 8;  // largest B and wb

// ---- quantizer
// ----------------------------------------------------------------------------------------------
struct PGQuantArgs {
  int n = 1;                   // images
  int64_t pixels = 1;          // ih * iw per image
  int channels = 1;            // ic
  int bits = 3;                // B, 2..8
  const float* src = nullptr;  // [n][pixels][channels]
  Word* planes = nullptr;      // [n][pixels][2 * bits][words_for(channels)]
  float* scale = nullptr;      // [n]: s_b, NaN for a non-finite image
};

// Words of one pixel's planes.
constexpr int pg_pixel_words(int bits, int channels) {
  return 2 * bits * words_for(channels);
}

// The code q of x for the image scale s (see 1. above). The one definition of the rounding.
inline int pg_quant_code(float x, float s, float top) {
  const float r = (x < 0.0f ? -x : x) / s;
  const float c = r < 1.0f ? r : 1.0f;
  const float v = c * top;
  return static_cast<int>(std::floor(v + 0.5f));
}

// Quantizes images [image_begin, image_end). Never allocates.
void pgquant_reference(const PGQuantArgs& a, int image_begin, int image_end);

// ---- convolution
// --------------------------------------------------------------------------------------------
struct PGConv2dArgs {
  ConvGeometry g;
  int act_bits = 3, high_bits = 2, weight_bits = 8;  // B, hb (1..B-1), wb (1..8)
  const Word* src = nullptr;                         // planes of pgquant: [n][ih][iw][2B][words_for(ic)]
  const float* src_scale = nullptr;                  // [n]: s_b of pgquant
  const int32_t* codes = nullptr;        // weight codes [oc][kh][kw][ic] (the reference reads these)
  const Word* packed = nullptr;          // the variant's packed weights (pack_weights of variants.h)
  float weight_step = 1.0f;              // s_w
  const float* delta = nullptr;          // [oc]
  OutputKind kind = OutputKind::kFloat;  // kFloat or kInt32 (the scale k varies per image: no kBits)
  const float* scale = nullptr;          // kFloat: [oc]
  const float* bias = nullptr;           // kFloat: [oc]
  void* dst = nullptr;                   // [n][oh][ow][oc] float or int32
  int64_t* open_count = nullptr;         // nullable: += open gates in this slice
};

// k of 2. above for image scale s.
inline float pg_step(const PGConv2dArgs& a, float s) {
  const float top = static_cast<float>((1 << a.act_bits) - 1);
  return (s / top) * a.weight_step;
}
inline bool pg_gate(int32_t acc_hb, float k, float delta) {
  const float y = static_cast<float>(acc_hb) * k;
  return y > delta;
}
// Writes output channel o of one pixel (dst_pixel: the pixel's first element).
inline void pg_write(const PGConv2dArgs& a, int o, int32_t acc, float k, void* dst_pixel) {
  if (a.kind == OutputKind::kInt32) {
    static_cast<int32_t*>(dst_pixel)[o] = acc;
  } else {
    const float y = static_cast<float>(acc) * k;
    const float z = y * a.scale[o];
    static_cast<float*>(dst_pixel)[o] = z + a.bias[o];
  }
}

// Computes output rows [row_begin, row_end) of the n * oh rows. Never allocates.
void pgconv2d_reference(const PGConv2dArgs& a, int row_begin, int row_end);

}  // namespace bnnkit::kernels
