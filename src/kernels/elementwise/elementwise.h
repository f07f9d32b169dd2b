// Per-element float ops between binary layers: folded batch norm, the PReLU family, activations, the
// residual add, the SE gate and uniform fake quantization. NHWC float32.
//
// Most ops see the tensor as a [rows][channels] view (rows = n * h * w pixels, channels innermost) and are
// sliced by rows; `add` is sliced by flat element index. For channel c of an element x:
//
//   affine         y = x * scale[c] + bias[c]                       (multiply, rounded, then add: no FMA)
//   prelu          y = x >= 0 ? x : x * slope[c]
//   rprelu         t = x - gamma[c];  y = (t >= 0 ? t : t * slope[c]) + zeta[c]       (FracBNN / ReActNet)
//   dprelu         t = x - beta[c];   y = (t >= 0 ? eta_pos[c] : eta_neg[c]) * t - gamma[c]   (PokeBNN)
//   activation     relu      y = x < 0 ? 0 : x
//                  relu6     y = x < 0 ? 0 : (x > 6 ? 6 : x)
//                  hard_sigmoid  t = x + 3;  t = t < 0 ? 0 : t;  t = t > 6 ? 6 : t;  y = t / 6   (division)
//                  identity  y = x
//   add            y = a + b
//   scale_channels y[b][p][c] = x[b][p][c] * s[b][c]       (SE gate; p runs over the h * w pixels of image b)
//   quant_uniform  see QuantUniformArgs
//
// Every op is evaluated exactly as written, each operation rounded to float (the build uses
// -ffp-contract=off). NaN: the comparisons are written so that a NaN input gives a NaN output in every op
// (relu(NaN) = NaN, as PyTorch's relu; prelu/rprelu/dprelu take the negative branch, which still yields NaN).
// relu keeps -0.0 as -0.0. The PReLU family takes the t >= 0 branch at t = 0 (and at t = -0.0).
// NaN payloads: an operation with one NaN operand returns that NaN, quieted, so the optimized variants
// (kernels/elementwise/variants.h) reproduce every output bit. When both operands of one add or multiply are
// NaN, x86 returns its first source operand's, and the compiler orders the operands of these commutative
// operations as it likes (GCC 12 differently in the vectorized body and the scalar tail of the same reference
// loop): which payload comes out is unspecified, in the reference too; it is a NaN in every variant.
//
// In-place use (dst == src, or dst == a or b for add) is allowed: each element is read before it is written.
// Otherwise dst must not overlap the inputs.
#pragma once

#include <cstdint>

namespace bnnkit::kernels {

struct AffineArgs {
  int64_t channels = 1;
  const float* src = nullptr;    // [rows][channels]
  const float* scale = nullptr;  // [channels]
  const float* bias = nullptr;   // [channels]
  float* dst = nullptr;          // [rows][channels]
};

struct PReluArgs {
  int64_t channels = 1;
  const float* src = nullptr;    // [rows][channels]
  const float* slope = nullptr;  // [channels]
  float* dst = nullptr;          // [rows][channels]
};

struct RPReluArgs {
  int64_t channels = 1;
  const float* src = nullptr;    // [rows][channels]
  const float* gamma = nullptr;  // [channels] shift before the PReLU
  const float* slope = nullptr;  // [channels] negative slope
  const float* zeta = nullptr;   // [channels] shift after the PReLU
  float* dst = nullptr;          // [rows][channels]
};

struct DPReluArgs {
  int64_t channels = 1;
  const float* src = nullptr;      // [rows][channels]
  const float* beta = nullptr;     // [channels] shift of x (PokeBNN bias_x)
  const float* eta_pos = nullptr;  // [channels] slope for t >= 0 (pos_slope)
  const float* eta_neg = nullptr;  // [channels] slope for t < 0 (neg_slope)
  const float* gamma = nullptr;    // [channels] shift of y (bias_y), subtracted
  float* dst = nullptr;            // [rows][channels]
};

enum class Activation : uint8_t { kIdentity = 0, kRelu = 1, kRelu6 = 2, kHardSigmoid = 3 };

struct ActivationArgs {
  Activation kind = Activation::kIdentity;
  int64_t channels = 1;
  const float* src = nullptr;  // [rows][channels]
  float* dst = nullptr;        // [rows][channels]
};

struct AddArgs {
  const float* a = nullptr;  // [count]
  const float* b = nullptr;  // [count]
  float* dst = nullptr;      // [count]
};

struct ScaleChannelsArgs {
  int64_t pixels = 1;  // pixels per image (h * w): row r belongs to image r / pixels
  int64_t channels = 1;
  const float* src = nullptr;    // [n][pixels][channels]
  const float* scale = nullptr;  // [n][channels]
  float* dst = nullptr;          // [n][pixels][channels]
};

// k-bit uniform fake quantization onto 2^bits levels spanning [lo, hi] (FracBNN's 4-bit shortcuts on
// [-1, 1], PokeBNN's 4-bit SE activations). With the constants computed once, in float:
//
//   range  = hi - lo
//   levels = (float)(2^bits - 1)                                   (exact)
//   step   = range / levels
// and per element, each operation rounded to float:
//   xc = x < lo ? lo : (x > hi ? hi : x)
//   v  = ((xc - lo) / range) * levels                              (in [0, levels])
//   q  = floorf(v + 0.5f)                                          (an integer in [0, levels])
//   y  = lo + q * step                                              (codes == false)
//   y  = 2 * q - levels                                             (codes == true)
//
// codes: the grid index itself, centred in half steps: an odd integer in [-levels, levels] (exact in float),
// with lo + q * step = (lo + hi) / 2 + y * step / 2 in exact arithmetic. A conv or dense layer over codes and
// integer weight codes sums exact integers (while |sum| < 2^24), so every summation order gives the same
// float; the layer's scale (step / 2 times the weight step) goes into the affine that follows. Zero, the
// conv's padding value, is the centre of the range, so a symmetric range pads exactly like its values.
//
// Tie rule: v exactly halfway between two integers rounds up (half away from zero, v >= 0). NB: this is not
// torch.round (half to even), and because v + 0.5f is itself rounded, the largest float below 0.5
// (0.49999997f) also rounds up to 1; the trainer must use this same formula in float32 to agree bit-exactly.
// y = lo + levels * step need not equal hi exactly.
// NaN: x = NaN fails both compares, so xc, v, q and y are NaN. +-inf clamps to hi / lo.
// Preconditions: 1 <= bits <= 16; lo < hi, both finite.
struct QuantUniformArgs {
  int bits = 8;
  float lo = -1.0f, hi = 1.0f;
  int64_t channels = 1;
  const float* src = nullptr;  // [rows][channels]
  float* dst = nullptr;        // [rows][channels]
  bool codes = false;          // y = 2q - levels instead of lo + q * step
};

// Each computes rows [row_begin, row_end) of the [rows][channels] view. Never allocate.
void affine_reference(const AffineArgs& a, int64_t row_begin, int64_t row_end);
void prelu_reference(const PReluArgs& a, int64_t row_begin, int64_t row_end);
void rprelu_reference(const RPReluArgs& a, int64_t row_begin, int64_t row_end);
void dprelu_reference(const DPReluArgs& a, int64_t row_begin, int64_t row_end);
void activation_reference(const ActivationArgs& a, int64_t row_begin, int64_t row_end);
void scale_channels_reference(const ScaleChannelsArgs& a, int64_t row_begin, int64_t row_end);
void quant_uniform_reference(const QuantUniformArgs& a, int64_t row_begin, int64_t row_end);

// Computes the elements [begin, end) of a flat tensor.
void add_reference(const AddArgs& a, int64_t begin, int64_t end);

}  // namespace bnnkit::kernels

// The optimized variants and their selection, for the runtime (kept at the end: variants.h needs the args
// structs above).
#include "kernels/elementwise/variants.h"  // IWYU pragma: export
