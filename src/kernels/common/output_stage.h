// The output stage shared by every integer-accumulating kernel (bconv2d, bdense, fracconv).
//
// A binary layer produces an exact integer accumulator `acc` per (pixel, output channel). What follows it in
// the trainer (batch norm, a scale, sign) is folded by the exporter into one of three stages:
//
//   kInt32  dst[c] = acc                                   (raw accumulator: parity tests, custom heads)
//   kFloat  dst[c] = float(acc) * scale[c] + bias[c]       (a multiply, then an add: two roundings, no FMA;
//                                                            the build uses -ffp-contract=off so every
//                                                            variant rounds identically)
//   kBits   plus   = (acc >= threshold[c]) != flip[c]      (bit 1 <=> -1, i.e. bit = !plus)
//
// Derivation of kBits. The trainer computes y = BN(acc) and then sign(y) with sign(0) = +1. For a per-channel
// affine y = a*acc + b evaluated in float, y is a monotone function of the integer acc: non-decreasing if a >
// 0, non-increasing if a < 0. A monotone predicate over the integers [-K, K] switches at most once, so "y >=
// 0" equals "acc >= t" (a > 0) or "acc < t" = !(acc >= t) (a < 0) for one integer t. The exporter finds t by
// evaluating the trainer's own float expression at the integers (see runtime/fold.h), so the compare is exact
// by construction rather than by algebra on rounded values. Channels whose sign never changes get t =
// INT32_MIN (always >=) or INT32_MAX (never >=), with flip choosing the constant.
#pragma once

#include <cstdint>

#include "kernels/common/bits.h"

namespace bnnkit::kernels {

enum class OutputKind : uint8_t { kInt32, kFloat, kBits };

struct OutputStage {
  OutputKind kind = OutputKind::kInt32;
  const float* scale = nullptr;        // kFloat: [oc]
  const float* bias = nullptr;         // kFloat: [oc]
  const int32_t* threshold = nullptr;  // kBits: [oc]
  const uint8_t* flip = nullptr;       // kBits: [oc], 0 or 1
};

inline float output_float(const OutputStage& s, int c, int32_t acc) {
  const float prod = static_cast<float>(acc) * s.scale[c];
  return prod + s.bias[c];
}

// True iff the output value is +1 (bit 0).
inline bool output_plus(const OutputStage& s, int c, int32_t acc) {
  return (acc >= s.threshold[c]) != (s.flip[c] != 0);
}

// Writes accumulators acc[0..count) of output channels [c0, c0 + count) of one pixel through the stage.
// `dst_pixel` points at the pixel's first element (float*, int32_t* or Word* per kind). For kBits, c0 must be
// a multiple of 64 and the words covering [c0, c0 + count) are overwritten whole (bits past count are zero).
inline void write_output_range(const OutputStage& s, const int32_t* acc, int c0, int count, void* dst_pixel) {
  switch (s.kind) {
    case OutputKind::kInt32: {
      auto* d = static_cast<int32_t*>(dst_pixel) + c0;
      for (int c = 0; c < count; ++c) d[c] = acc[c];
      break;
    }
    case OutputKind::kFloat: {
      auto* d = static_cast<float*>(dst_pixel) + c0;
      for (int c = 0; c < count; ++c) d[c] = output_float(s, c0 + c, acc[c]);
      break;
    }
    case OutputKind::kBits: {
      auto* d = static_cast<Word*>(dst_pixel) + c0 / kWordBits;
      for (int w = 0; w < words_for(count); ++w) d[w] = 0;
      for (int c = 0; c < count; ++c) {
        if (!output_plus(s, c0 + c, acc[c])) d[c / kWordBits] |= Word{1} << (c % kWordBits);
      }
      break;
    }
  }
}

// Size in bytes of one output pixel of `oc` channels.
inline int output_pixel_bytes(OutputKind kind, int oc) {
  return kind == OutputKind::kBits ? words_for(oc) * 8 : oc * 4;
}

}  // namespace bnnkit::kernels
