// The in-memory model: a graph of typed tensors and ops, and the builder that makes one.
//
// A Graph is what a model file holds (schema/bnnkit.fbs mirrors it one to one) and what the runtime plans and
// executes. The trainer's exporter and the tests build graphs with GraphBuilder; save_model() writes one,
// Model::load() (bnnkit.h) reads one back and verifies it.
//
// Tensors are NHWC for feature maps ([N, H, W, C]) and [N, C] for vectors. The batch dimension N of graph
// inputs is free: the file records N = 1 (or any value) and the runtime re-infers every shape for the batch
// it is asked to run. Bit-packed tensors (DType::kBits) record their logical shape; in memory each row of C
// channels occupies ceil(C / 64) 64-bit words (src/kernels/common/bits.h), and constants are stored that way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "bnnkit/error.h"

namespace bnnkit {

enum class DType : uint8_t { kFloat32 = 0, kInt32 = 1, kUInt8 = 2, kBits = 3 };
const char* dtype_name(DType t);

enum class Padding : uint8_t { kZero = 0, kOne = 1 };
enum class OutputKind : uint8_t { kInt32 = 0, kFloat = 1, kBits = 2 };
enum class ActivationKind : uint8_t { kIdentity = 0, kRelu = 1, kRelu6 = 2, kHardSigmoid = 3 };

// ---- op attributes
// ------------------------------------------------------------------------------------------
struct ConvAttrs {
  int kh = 3, kw = 3;  // kernel
  int sh = 1, sw = 1;  // stride
  int ph = 0, pw = 0;  // padding: symmetric for convs; before the input for pools (see AvgPoolOp)
};

// Inputs by op (constants are tensors too; optional inputs are -1):
//   Thermometer     x:u8 NHWC                          -> bits NHWC, C*levels channels (channel c*levels + i)
//   SignQuant       x:f32, threshold:f32[C] | -1       -> bits (value +1 iff x >= threshold)
//   Quant2Bit       x:f32                              -> msb:bits, lsb:bits (two outputs)
//   QuantUniform    x:f32                              -> f32 (k-bit fake quantisation on [lo, hi])
//   BConv2d         x:bits, w:bits[OC,KH,KW,IC], stage -> f32 | i32 | bits
//   BDense          x:bits[N,IC], w:bits[OC,IC], stage -> f32 | i32 | bits [N,OC]
//   FracConv2d      msb:bits, lsb:bits, w:bits[OC,KH,KW,IC], gate:i32[OC], stage -> f32 | i32 | bits
//   Conv2d          x:f32, w:f32[OC,KH,KW,IC/groups], bias:f32[OC] | -1
//   Dense           x:f32[N,IC], w:f32[OC,IC], bias:f32[OC] | -1
//   Affine          x, scale[C], bias[C]            PReLU   x, slope[C]
//   RPReLU          x, gamma[C], slope[C], zeta[C]  DPReLU  x, beta[C], eta_pos[C], eta_neg[C], gamma[C]
//   Activation      x                               Add     a, b (same shape)
//   ScaleChannels   x NHWC, s[N,C]                  Concat  a, b (channels)
//   ChannelDup      x (times copies)                ChannelPad x (zeros up to `channels`)
//   ChannelAvg      x (average groups of C/`channels` consecutive channels down to `channels`; trailing
//                   channels that fill no group are ignored, as PokeBNN's shrinking shortcut)
//   AvgPool/MaxPool x NHWC                          GlobalAvgPool x NHWC -> [N,C]
//   Flatten         x NHWC -> [N, H*W*C]            Softmax x[N,C]      ArgMax x[N,C] -> i32[N]
//   PGConv2d        x:f32 NHWC, w:i32[OC,KH,KW,IC] (integer codes), delta:f32[OC], stage -> f32 | i32
//                   (stage kFloat or kInt32 only)
// where `stage` is the output stage's constant inputs: kFloat: scale:f32[OC], bias:f32[OC];
// kBits: threshold:i32[OC], flip:u8[OC]; kInt32: none.
struct ThermometerOp {
  int levels = 32;
};
struct SignQuantOp {};
struct Quant2BitOp {};
// codes = false: the dequantised value lo + q·step; codes = true: the centred grid index 2q − (2^bits − 1),
// an odd integer (kernels/elementwise/elementwise.h), for quantised layers computed exactly on integer codes.
struct QuantUniformOp {
  int bits = 4;
  float lo = -1.0f, hi = 1.0f;
  bool codes = false;
};
struct BConv2dOp {
  ConvAttrs conv;
  Padding padding = Padding::kZero;
  OutputKind output = OutputKind::kFloat;
};
struct BDenseOp {
  OutputKind output = OutputKind::kFloat;
};
struct FracConv2dOp {
  ConvAttrs conv;
  Padding padding = Padding::kZero;
  OutputKind output = OutputKind::kFloat;
};
// Float conv / dense. weight_bits and act_bits state the precision the values were quantised to (PokeBNN's
// 8-bit PokeInit and head, its 4-bit SE layers): the engine still computes in float (the activations are
// fake-quantised by a QuantUniform op before the layer, the weights when exported), but the cost model counts
// these bits (ACE = MACs × weight_bits × act_bits). 32 = an unquantised float layer.
struct Conv2dOp {
  ConvAttrs conv;
  int groups = 1;
  int weight_bits = 32, act_bits = 32;
};
struct DenseOp {
  int weight_bits = 32, act_bits = 32;
};
struct AffineOp {};
struct PReLUOp {};
struct RPReLUOp {};
struct DPReLUOp {};
struct ActivationOp {
  ActivationKind kind = ActivationKind::kRelu;
};
struct AddOp {};
struct ScaleChannelsOp {};
struct ConcatOp {};
struct ChannelDupOp {
  int times = 2;
};
struct ChannelPadOp {
  int channels = 0;
};
struct ChannelAvgOp {
  int channels = 0;
};
// Pools. window.ph / window.pw pad before the input (top rows, left columns); ph_end / pw_end pad after it
// (bottom, right), -1 meaning the same as before (symmetric, as PyTorch). TF/Flax "SAME" padding is
// asymmetric when the total is odd: PokeBNN's shortcut avg_pool 3×3/2 SAME on an even input pads 0 before
// and 1 after (ph = 0, ph_end = 1), and Flax's avg_pool divides by the full window there
// (count_include_pad = true, its default).
struct AvgPoolOp {
  ConvAttrs window;
  bool count_include_pad = true;
  int ph_end = -1, pw_end = -1;
};
struct MaxPoolOp {
  ConvAttrs window;
  int ph_end = -1, pw_end = -1;
};
struct GlobalAvgPoolOp {};
struct FlattenOp {};
struct SoftmaxOp {};
struct ArgMaxOp {};
// Precision Gating conv (papers.md §1; exact semantics in src/kernels/pgconv/pgconv.h). Per image, x is
// quantised to act_bits-bit signed codes q with the image's scale s = max|x| + 1e-7 (the trainer uses the
// whole batch's max); the high_bits high bits of q are convolved with the integer weight codes for every
// output (acc_hb), the low bits only where float(acc_hb) * k > delta[o], k = (s / (2^act_bits - 1)) *
// weight_step. Output: kFloat (float(acc) * k) * scale[o] + bias[o], kInt32 the integer acc. Zero padding.
struct PGConv2dOp {
  ConvAttrs conv;
  int act_bits = 3, high_bits = 2;  // B in 2..8, hb in 1..B-1
  int weight_bits = 8;              // 2..8: codes in [-(2^(wb-1) - 1), 2^(wb-1) - 1]; 1: codes -1 or +1
  float weight_step = 1.0f;         // s_w: a weight's value is code * weight_step (finite, > 0)
  OutputKind output = OutputKind::kFloat;
};

using OpAttrs =
    std::variant<ThermometerOp, SignQuantOp, Quant2BitOp, QuantUniformOp, BConv2dOp, BDenseOp, FracConv2dOp,
                 Conv2dOp, DenseOp, AffineOp, PReLUOp, RPReLUOp, DPReLUOp, ActivationOp, AddOp,
                 ScaleChannelsOp, ConcatOp, ChannelDupOp, ChannelPadOp, ChannelAvgOp, AvgPoolOp, MaxPoolOp,
                 GlobalAvgPoolOp, FlattenOp, SoftmaxOp, ArgMaxOp, PGConv2dOp>;

// Name of the op held by `attrs` ("BConv2d", ...), as used in errors, `bnnkit info` and the model file.
const char* op_name(const OpAttrs& attrs);

// ---- graph
// --------------------------------------------------------------------------------------------------
struct TensorDef {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int> shape;  // logical shape (channels, not words, for kBits)
  int buffer = -1;         // index into Graph::buffers for constants; -1 for activations
};

struct OpDef {
  std::string name;
  OpAttrs attrs;
  std::vector<int> inputs;   // tensor indices; -1 for an absent optional input
  std::vector<int> outputs;  // tensor indices
};

struct ModelMetadata {
  std::string name;
  std::string description;
  std::string producer = "bnnkit";
  std::vector<std::string> class_names;
  // Input normalisation for float inputs: x = (pixel / 255 - mean[c]) / std[c]. Empty: pixels / 255.
  std::vector<float> input_mean, input_std;
  std::map<std::string, std::string> properties;  // free-form: "config" (JSON), "metrics", ...
};

struct Graph {
  std::vector<TensorDef> tensors;
  std::vector<std::vector<uint8_t>> buffers;  // constant data, little-endian, packed as in memory
  std::vector<OpDef> ops;                     // in execution order
  std::vector<int> inputs, outputs;           // tensor indices
  ModelMetadata metadata;
};

// Bytes a tensor of this dtype and logical shape occupies (bit-packed rows rounded up to 64-bit words).
size_t tensor_bytes(DType dtype, const std::vector<int>& shape);

// ---- output stages for the binary ops --------------------------------------------------------------------
struct FloatStage {
  int scale = -1, bias = -1;
};  // y = float(acc) * scale[c] + bias[c]
struct BitsStage {
  int threshold = -1, flip = -1;
};  // +1 iff (acc >= threshold[c]) != flip[c]
struct Int32Stage {};
using Stage = std::variant<FloatStage, BitsStage, Int32Stage>;

// ---- builder
// ------------------------------------------------------------------------------------------------ Appends
// tensors and ops; every method returns the index of the tensor it creates. Shapes of activations are
// inferred as ops are added, so errors surface at the line that causes them (std::invalid_argument).
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string model_name);

  int input(const std::string& name, DType dtype, std::vector<int> shape);
  void output(int tensor, const std::string& name = "");
  ModelMetadata& metadata() { return graph_.metadata; }

  // Constants. constant_bits packs ±1 values (value < 0 -> bit 1), the last dimension being the channels.
  int constant_f32(const std::string& name, std::vector<int> shape, const std::vector<float>& values);
  int constant_i32(const std::string& name, std::vector<int> shape, const std::vector<int32_t>& values);
  int constant_u8(const std::string& name, std::vector<int> shape, const std::vector<uint8_t>& values);
  int constant_bits(const std::string& name, std::vector<int> shape, const std::vector<float>& pm1_values);

  int thermometer(int x, int levels = 32, const std::string& name = "");
  int sign_quant(int x, int threshold = -1, const std::string& name = "");
  std::pair<int, int> quant2bit(int x, const std::string& name = "");
  int quant_uniform(int x, int bits, float lo, float hi, const std::string& name = "", bool codes = false);
  int bconv2d(int x, int weights, ConvAttrs conv, Padding padding, Stage stage, const std::string& name = "");
  int bdense(int x, int weights, Stage stage, const std::string& name = "");
  int fracconv2d(int msb, int lsb, int weights, int gate_threshold, ConvAttrs conv, Padding padding,
                 Stage stage, const std::string& name = "");
  int conv2d(int x, int weights, int bias, ConvAttrs conv, int groups = 1, const std::string& name = "",
             int weight_bits = 32, int act_bits = 32);
  int dense(int x, int weights, int bias, const std::string& name = "", int weight_bits = 32,
            int act_bits = 32);
  int affine(int x, int scale, int bias, const std::string& name = "");
  int prelu(int x, int slope, const std::string& name = "");
  int rprelu(int x, int gamma, int slope, int zeta, const std::string& name = "");
  int dprelu(int x, int beta, int eta_pos, int eta_neg, int gamma, const std::string& name = "");
  int activation(int x, ActivationKind kind, const std::string& name = "");
  int add(int a, int b, const std::string& name = "");
  int scale_channels(int x, int s, const std::string& name = "");
  int concat(int a, int b, const std::string& name = "");
  int channel_dup(int x, int times, const std::string& name = "");
  int channel_pad(int x, int channels, const std::string& name = "");
  int channel_avg(int x, int channels, const std::string& name = "");
  // ph_end / pw_end: padding after the input, -1 = symmetric (see AvgPoolOp).
  int avg_pool(int x, ConvAttrs window, bool count_include_pad = true, const std::string& name = "",
               int ph_end = -1, int pw_end = -1);
  int max_pool(int x, ConvAttrs window, const std::string& name = "", int ph_end = -1, int pw_end = -1);
  int global_avg_pool(int x, const std::string& name = "");
  int flatten(int x, const std::string& name = "");
  int softmax(int x, const std::string& name = "");
  int argmax(int x, const std::string& name = "");
  // Precision Gating conv: weight_codes i32 [OC,KH,KW,IC], delta f32 [OC]; attrs.output is taken from
  // `stage` (FloatStage or Int32Stage).
  int pgconv2d(int x, int weight_codes, int delta, PGConv2dOp attrs, Stage stage,
               const std::string& name = "");

  // Generic form: appends an op whose output tensors are inferred (shape and dtype) from its inputs.
  std::vector<int> add_op(OpAttrs attrs, std::vector<int> inputs, const std::string& name = "");

  const Graph& graph() const { return graph_; }
  const TensorDef& tensor(int index) const;
  Graph finish();  // validates the whole graph (same checks as loading) and returns it

 private:
  int add_constant(const std::string& name, DType dtype, std::vector<int> shape, std::vector<uint8_t> bytes);
  std::string unique_name(const std::string& wanted, const char* fallback);

  Graph graph_;
  int op_counter_ = 0;
};

// ---- folding float epilogues into integer thresholds
// ------------------------------------------------------- For a binary layer whose integer accumulator lies
// in [-k_max, k_max] and whose trainer computes a float y(acc) that is monotone in acc, returns {threshold,
// flip} such that for every integer acc in range
//   (acc >= threshold) != flip   <=>   y(acc) >= 0          (sign(0) = +1)
// by evaluating y at the integers (binary search), so the result is exact for the trainer's own rounding.
// Throws std::invalid_argument if y is not monotone on the range (checked at the boundaries of the search).
struct FoldedThreshold {
  int32_t threshold;
  bool flip;
};
template <class F>
FoldedThreshold fold_sign_threshold(int32_t k_max, F&& y);

// The gate of a fractional conv: returns t such that (d > t) <=> predicate(d) for every integer d in
// [-k_max, k_max], for a predicate that is monotone non-decreasing in d (e.g. (2/3)*d > theta in float32).
template <class P>
int32_t fold_gate_threshold(int32_t k_max, P&& predicate);

// Writes `graph` to `path` atomically (temporary file in the same folder, fsync, rename): an existing model
// is never left half-written. Throws bnnkit::Error on failure.
void save_model(const Graph& graph, const std::string& path);
// Serialises to model-file bytes.
std::vector<uint8_t> serialize_model(const Graph& graph);

// ---- template definitions ---------------------------------------------------------------------------------
namespace detail {
[[noreturn]] void throw_not_monotone(int32_t k_max);
}

template <class F>
FoldedThreshold fold_sign_threshold(int32_t k_max, F&& y) {
  const bool lo_plus = y(-k_max) >= 0.0f, hi_plus = y(k_max) >= 0.0f;
  if (lo_plus == hi_plus) {
    // Constant over the range (a monotone predicate equal at both ends). threshold = INT32_MIN makes
    // (acc >= t) always true; flip turns it into the constant wanted.
    for (int32_t probe : {-k_max / 2, 0, k_max / 2})
      if ((y(probe) >= 0.0f) != lo_plus) detail::throw_not_monotone(k_max);
    return {INT32_MIN, !lo_plus};
  }
  // Find the first acc whose predicate equals hi_plus: lo has !hi_plus, hi has hi_plus.
  int32_t lo = -k_max, hi = k_max;
  while (hi - lo > 1) {
    const int32_t mid = lo + (hi - lo) / 2;
    if ((y(mid) >= 0.0f) == hi_plus) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  // Increasing (hi_plus): plus iff acc >= hi. Decreasing: plus iff acc < hi, i.e. !(acc >= hi).
  return {hi, !hi_plus};
}

template <class P>
int32_t fold_gate_threshold(int32_t k_max, P&& predicate) {
  if (predicate(-k_max)) return -k_max - 1;  // open everywhere
  if (!predicate(k_max)) return k_max;       // closed everywhere
  int32_t lo = -k_max, hi = k_max;           // predicate(lo) false, predicate(hi) true
  while (hi - lo > 1) {
    const int32_t mid = lo + (hi - lo) / 2;
    if (predicate(mid)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return lo;  // d > lo <=> d >= hi
}

}  // namespace bnnkit
