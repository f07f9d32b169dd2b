#include "runtime/infer.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <sstream>
#include <type_traits>

namespace bnnkit::runtime {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang before 17 has no class template argument deduction for aggregates (the fuzz build uses clang 14).
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Collects the context of one op so every message says which op failed.
class Checker {
 public:
  Checker(const OpDef& op, const std::vector<const TensorSpec*>& in) : op_(op), in_(in) {}

  [[noreturn]] void fail(const std::string& what) const {
    std::ostringstream s;
    s << "op '" << op_.name << "' (" << op_name(op_.attrs) << "): " << what;
    throw Error(s.str());
  }
  void need(bool cond, const std::string& what) const {
    if (!cond) fail(what);
  }
  const TensorSpec& at(int i, const char* role) const {
    if (i >= static_cast<int>(in_.size()) || in_[i] == nullptr)
      fail(std::string("missing input '") + role + "'");
    return *in_[i];
  }
  bool has(int i) const { return i < static_cast<int>(in_.size()) && in_[i] != nullptr; }

  const TensorSpec& typed(int i, const char* role, DType dt) const {
    const TensorSpec& t = at(i, role);
    if (t.dtype != dt)
      fail(std::string("input '") + role + "' must be " + dtype_name(dt) + ", got " + dtype_name(t.dtype));
    return t;
  }
  const TensorSpec& feature_map(int i, const char* role, DType dt) const {
    const TensorSpec& t = typed(i, role, dt);
    if (t.shape.size() != 4)
      fail(std::string("input '") + role + "' must be NHWC (rank 4), got " + shape_str(t.shape));
    check_positive(t, role);
    return t;
  }
  const TensorSpec& matrix(int i, const char* role, DType dt) const {
    const TensorSpec& t = typed(i, role, dt);
    if (t.shape.size() != 2)
      fail(std::string("input '") + role + "' must be [N, C] (rank 2), got " + shape_str(t.shape));
    check_positive(t, role);
    return t;
  }
  // A per-channel constant vector of length c.
  void per_channel(int i, const char* role, DType dt, int c) const {
    const TensorSpec& t = typed(i, role, dt);
    if (!t.constant) fail(std::string("input '") + role + "' must be a constant");
    if (t.shape != std::vector<int>{c})
      fail(std::string("input '") + role + "' must have shape [" + std::to_string(c) + "], got " +
           shape_str(t.shape));
  }
  void check_positive(const TensorSpec& t, const char* role) const {
    for (int d : t.shape)
      if (d <= 0)
        fail(std::string("input '") + role + "' has a non-positive dimension: " + shape_str(t.shape));
  }
  void check_conv(const ConvAttrs& c, int ih, int iw, const char* what, bool check_fit = true) const {
    need(c.kh >= 1 && c.kw >= 1 && c.kh <= 64 && c.kw <= 64, std::string(what) + " size must be in 1..64");
    need(c.sh >= 1 && c.sw >= 1 && c.sh <= 64 && c.sw <= 64, std::string(what) + " stride must be in 1..64");
    need(c.ph >= 0 && c.pw >= 0 && c.ph < c.kh && c.pw < c.kw,
         std::string(what) + " padding must be >= 0 and smaller than the " + what);
    if (!check_fit) return;
    need(ih + 2 * c.ph >= c.kh && iw + 2 * c.pw >= c.kw,
         std::string(what) + " " + std::to_string(c.kh) + "x" + std::to_string(c.kw) +
             " is larger than the padded input " + std::to_string(ih + 2 * c.ph) + "x" +
             std::to_string(iw + 2 * c.pw));
  }

  // Inputs of an output stage starting at index i for `oc` channels.
  void stage(int i, OutputKind kind, int oc) const {
    switch (kind) {
      case OutputKind::kFloat:
        per_channel(i, "scale", DType::kFloat32, oc);
        per_channel(i + 1, "bias", DType::kFloat32, oc);
        break;
      case OutputKind::kBits:
        per_channel(i, "threshold", DType::kInt32, oc);
        per_channel(i + 1, "flip", DType::kUInt8, oc);
        break;
      case OutputKind::kInt32:
        need(!has(i), "an Int32 output stage takes no stage inputs");
        break;
    }
  }

 private:
  const OpDef& op_;
  const std::vector<const TensorSpec*>& in_;
};

DType stage_dtype(OutputKind k) {
  switch (k) {
    case OutputKind::kFloat:
      return DType::kFloat32;
    case OutputKind::kBits:
      return DType::kBits;
    case OutputKind::kInt32:
      return DType::kInt32;
  }
  return DType::kFloat32;
}

int stage_inputs(OutputKind k) {
  return k == OutputKind::kInt32 ? 0 : 2;
}

bool valid_kind(OutputKind k) {
  return static_cast<int>(k) <= 2;
}
bool valid_padding(Padding p) {
  return static_cast<int>(p) <= 1;
}

int out_dim(int in, int k, int s, int p) {
  return (in + 2 * p - k) / s + 1;
}

// A computed dimension (channels × levels, a concatenation, a flattened row), checked before it can overflow
// int.
int grown_dim(const Checker& ck, int64_t v, const char* what) {
  if (v > kMaxTensorElements)
    ck.fail(std::string(what) + " would be " + std::to_string(v) + " (at most 2^28)");
  return static_cast<int>(v);
}

// Binary conv or fractional conv: weights [OC, KH, KW, IC] bits.
TensorSpec binary_conv(const Checker& ck, const TensorSpec& x, int w_index, const ConvAttrs& conv,
                       Padding padding, OutputKind kind) {
  ck.need(valid_padding(padding), "unknown padding mode");
  ck.need(valid_kind(kind), "unknown output kind");
  const TensorSpec& w = ck.typed(w_index, "weights", DType::kBits);
  ck.need(w.constant, "weights must be a constant");
  ck.need(w.shape.size() == 4, "weights must be [OC, KH, KW, IC], got " + shape_str(w.shape));
  ck.check_positive(w, "weights");
  ck.need(w.shape[1] == conv.kh && w.shape[2] == conv.kw,
          "weights " + shape_str(w.shape) + " do not match the kernel " + std::to_string(conv.kh) + "x" +
              std::to_string(conv.kw));
  ck.need(w.shape[3] == x.shape[3], "weights have " + std::to_string(w.shape[3]) +
                                        " input channels, input has " + std::to_string(x.shape[3]));
  ck.check_conv(conv, x.shape[1], x.shape[2], "kernel");
  return {stage_dtype(kind),
          {x.shape[0], out_dim(x.shape[1], conv.kh, conv.sh, conv.ph),
           out_dim(x.shape[2], conv.kw, conv.sw, conv.pw), w.shape[0]}};
}

// A pool window with `ph`/`pw` before the input and `ph_end`/`pw_end` after it (-1: symmetric). Padding
// smaller than the window on each side keeps at least one input tap in every window, so a max pool never
// returns its -inf start and an average without the padding never divides by 0.
TensorSpec pool(const Checker& ck, const TensorSpec& x, const ConvAttrs& win, int ph_end, int pw_end) {
  ck.check_conv(win, 0, 0, "window", /*check_fit=*/false);  // size, stride, padding before; fit below
  ck.need(ph_end >= -1 && pw_end >= -1, "padding after the input must be >= 0 (or -1 for symmetric)");
  const int ph1 = ph_end < 0 ? win.ph : ph_end, pw1 = pw_end < 0 ? win.pw : pw_end;
  ck.need(ph1 < win.kh && pw1 < win.kw, "padding after the input must be smaller than the window");
  const int ih = x.shape[1] + win.ph + ph1, iw = x.shape[2] + win.pw + pw1;
  ck.need(ih >= win.kh && iw >= win.kw, "window " + std::to_string(win.kh) + "x" + std::to_string(win.kw) +
                                            " is larger than the padded input " + std::to_string(ih) + "x" +
                                            std::to_string(iw));
  return {DType::kFloat32, {x.shape[0], (ih - win.kh) / win.sh + 1, (iw - win.kw) / win.sw + 1, x.shape[3]}};
}

// The stated precision of a float Conv2d/Dense (cost model only): 1..32 bits each.
void check_bits(const Checker& ck, int weight_bits, int act_bits) {
  ck.need(weight_bits >= 1 && weight_bits <= 32,
          "weight_bits must be in 1..32, got " + std::to_string(weight_bits));
  ck.need(act_bits >= 1 && act_bits <= 32, "act_bits must be in 1..32, got " + std::to_string(act_bits));
}

// A float tensor of rank 2 or 4 whose channels are the last dimension.
const TensorSpec& channels_last(const Checker& ck, int i, const char* role) {
  const TensorSpec& t = ck.typed(i, role, DType::kFloat32);
  ck.need(t.shape.size() == 2 || t.shape.size() == 4,
          std::string("input '") + role + "' must be [N, C] or NHWC, got " + shape_str(t.shape));
  ck.check_positive(t, role);
  return t;
}

// The weight codes of a PGConv2d (a constant, checked by infer_outputs) lie in the range its weight_bits
// allow, so the bit-serial kernels' planes represent them exactly.
void check_pg_codes(const Graph& g, const OpDef& op, const PGConv2dOp& a, const std::string& where) {
  const TensorDef& t = g.tensors[op.inputs[1]];
  const std::vector<uint8_t>& buf = g.buffers[t.buffer];
  const int32_t hi = a.weight_bits == 1 ? 1 : (1 << (a.weight_bits - 1)) - 1;
  for (size_t i = 0; i + 4 <= buf.size(); i += 4) {
    int32_t w;
    std::memcpy(&w, buf.data() + i, 4);
    const bool ok = a.weight_bits == 1 ? (w == 1 || w == -1) : (w >= -hi && w <= hi);
    if (!ok)
      throw Error(where + ": weight code " + std::to_string(w) + " (element " + std::to_string(i / 4) +
                  " of '" + t.name + "') is outside " +
                  (a.weight_bits == 1 ? std::string("{-1, +1}")
                                      : "[" + std::to_string(-hi) + ", " + std::to_string(hi) + "]") +
                  " for weight_bits " + std::to_string(a.weight_bits));
  }
}

}  // namespace

std::string shape_str(const std::vector<int>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t num_elements(const std::vector<int>& shape) {
  // Saturates instead of overflowing: a hostile file may declare eight dimensions of 2^30.
  int64_t n = 1;
  for (int d : shape) {
    if (d > 0 && n > INT64_MAX / d) return INT64_MAX;
    n *= d;
  }
  return n;
}

const OutputKind* binary_output_kind(const OpAttrs& attrs) {
  if (auto* a = std::get_if<BConv2dOp>(&attrs)) return &a->output;
  if (auto* a = std::get_if<BDenseOp>(&attrs)) return &a->output;
  if (auto* a = std::get_if<FracConv2dOp>(&attrs)) return &a->output;
  return nullptr;
}

Arity op_arity(const OpDef& op) {
  return std::visit(Overloaded{
                        [](const ThermometerOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const SignQuantOp&) {
                          return Arity{1, 2, 1};
                        },
                        [](const Quant2BitOp&) {
                          return Arity{1, 1, 2};
                        },
                        [](const QuantUniformOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const BConv2dOp& a) {
                          const int n = 2 + stage_inputs(a.output);
                          return Arity{n, n, 1};
                        },
                        [](const BDenseOp& a) {
                          const int n = 2 + stage_inputs(a.output);
                          return Arity{n, n, 1};
                        },
                        [](const FracConv2dOp& a) {
                          const int n = 4 + stage_inputs(a.output);
                          return Arity{n, n, 1};
                        },
                        [](const Conv2dOp&) {
                          return Arity{2, 3, 1};
                        },
                        [](const DenseOp&) {
                          return Arity{2, 3, 1};
                        },
                        [](const AffineOp&) {
                          return Arity{3, 3, 1};
                        },
                        [](const PReLUOp&) {
                          return Arity{2, 2, 1};
                        },
                        [](const RPReLUOp&) {
                          return Arity{4, 4, 1};
                        },
                        [](const DPReLUOp&) {
                          return Arity{5, 5, 1};
                        },
                        [](const ActivationOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const AddOp&) {
                          return Arity{2, 2, 1};
                        },
                        [](const ScaleChannelsOp&) {
                          return Arity{2, 2, 1};
                        },
                        [](const ConcatOp&) {
                          return Arity{2, 2, 1};
                        },
                        [](const ChannelDupOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const ChannelPadOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const ChannelAvgOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const AvgPoolOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const MaxPoolOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const GlobalAvgPoolOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const FlattenOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const SoftmaxOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const ArgMaxOp&) {
                          return Arity{1, 1, 1};
                        },
                        [](const PGConv2dOp& a) {
                          const int n = 3 + stage_inputs(a.output);
                          return Arity{n, n, 1};
                        },
                    },
                    op.attrs);
}

std::vector<TensorSpec> infer_outputs(const OpDef& op, const std::vector<const TensorSpec*>& in) {
  const Checker ck(op, in);
  const Arity ar = op_arity(op);
  const int n_in = static_cast<int>(in.size());
  ck.need(n_in >= ar.min_inputs && n_in <= ar.max_inputs,
          "takes " +
              (ar.min_inputs == ar.max_inputs
                   ? std::to_string(ar.min_inputs)
                   : std::to_string(ar.min_inputs) + ".." + std::to_string(ar.max_inputs)) +
              " inputs, got " + std::to_string(n_in));
  for (int i = 0; i < ar.min_inputs; ++i)
    if (in[i] == nullptr) ck.fail("input " + std::to_string(i) + " is required");

  return std::visit(
      Overloaded{
          [&](const ThermometerOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& x = ck.feature_map(0, "x", DType::kUInt8);
            ck.need(a.levels >= 1 && a.levels <= 256 && 256 % a.levels == 0,
                    "levels must divide 256 (got " + std::to_string(a.levels) + ")");
            return {{DType::kBits,
                     {x.shape[0], x.shape[1], x.shape[2],
                      grown_dim(ck, int64_t{x.shape[3]} * a.levels, "the output channel count")}}};
          },
          [&](const SignQuantOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            if (ck.has(1)) ck.per_channel(1, "threshold", DType::kFloat32, x.shape.back());
            return {{DType::kBits, x.shape}};
          },
          [&](const Quant2BitOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            return {{DType::kBits, x.shape}, {DType::kBits, x.shape}};
          },
          [&](const QuantUniformOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            ck.need(a.bits >= 1 && a.bits <= 16, "bits must be in 1..16");
            ck.need(a.lo < a.hi, "lo must be smaller than hi");
            return {{DType::kFloat32, x.shape}};
          },
          [&](const BConv2dOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& x = ck.feature_map(0, "x", DType::kBits);
            TensorSpec out = binary_conv(ck, x, 1, a.conv, a.padding, a.output);
            ck.stage(2, a.output, out.shape[3]);
            return {out};
          },
          [&](const BDenseOp& a) -> std::vector<TensorSpec> {
            ck.need(valid_kind(a.output), "unknown output kind");
            const TensorSpec& x = ck.matrix(0, "x", DType::kBits);
            const TensorSpec& w = ck.typed(1, "weights", DType::kBits);
            ck.need(w.constant, "weights must be a constant");
            ck.need(w.shape.size() == 2 && w.shape[0] > 0,
                    "weights must be [OC, IC], got " + shape_str(w.shape));
            ck.need(w.shape[1] == x.shape[1], "weights have " + std::to_string(w.shape[1]) +
                                                  " input features, input has " + std::to_string(x.shape[1]));
            ck.stage(2, a.output, w.shape[0]);
            return {{stage_dtype(a.output), {x.shape[0], w.shape[0]}}};
          },
          [&](const FracConv2dOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& msb = ck.feature_map(0, "msb", DType::kBits);
            const TensorSpec& lsb = ck.feature_map(1, "lsb", DType::kBits);
            ck.need(msb.shape == lsb.shape, "msb " + shape_str(msb.shape) + " and lsb " +
                                                shape_str(lsb.shape) + " planes differ in shape");
            TensorSpec out = binary_conv(ck, msb, 2, a.conv, a.padding, a.output);
            ck.per_channel(3, "gate_threshold", DType::kInt32, out.shape[3]);
            ck.stage(4, a.output, out.shape[3]);
            return {out};
          },
          [&](const Conv2dOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& x = ck.feature_map(0, "x", DType::kFloat32);
            const TensorSpec& w = ck.typed(1, "weights", DType::kFloat32);
            ck.need(w.constant, "weights must be a constant");
            ck.need(w.shape.size() == 4,
                    "weights must be [OC, KH, KW, IC/groups], got " + shape_str(w.shape));
            ck.check_positive(w, "weights");
            ck.need(a.groups >= 1, "groups must be >= 1");
            const int ic = x.shape[3], oc = w.shape[0];
            ck.need(ic % a.groups == 0 && oc % a.groups == 0,
                    "groups (" + std::to_string(a.groups) + ") must divide input (" + std::to_string(ic) +
                        ") and output (" + std::to_string(oc) + ") channels");
            ck.need(w.shape[1] == a.conv.kh && w.shape[2] == a.conv.kw && w.shape[3] == ic / a.groups,
                    "weights " + shape_str(w.shape) + " do not match kernel " + std::to_string(a.conv.kh) +
                        "x" + std::to_string(a.conv.kw) + " with " + std::to_string(ic / a.groups) +
                        " input channels per group");
            if (ck.has(2)) ck.per_channel(2, "bias", DType::kFloat32, oc);
            ck.check_conv(a.conv, x.shape[1], x.shape[2], "kernel");
            check_bits(ck, a.weight_bits, a.act_bits);
            return {{DType::kFloat32,
                     {x.shape[0], out_dim(x.shape[1], a.conv.kh, a.conv.sh, a.conv.ph),
                      out_dim(x.shape[2], a.conv.kw, a.conv.sw, a.conv.pw), oc}}};
          },
          [&](const DenseOp& a) -> std::vector<TensorSpec> {
            check_bits(ck, a.weight_bits, a.act_bits);
            const TensorSpec& x = ck.matrix(0, "x", DType::kFloat32);
            const TensorSpec& w = ck.typed(1, "weights", DType::kFloat32);
            ck.need(w.constant, "weights must be a constant");
            ck.need(w.shape.size() == 2 && w.shape[0] > 0,
                    "weights must be [OC, IC], got " + shape_str(w.shape));
            ck.need(w.shape[1] == x.shape[1], "weights have " + std::to_string(w.shape[1]) +
                                                  " input features, input has " + std::to_string(x.shape[1]));
            if (ck.has(2)) ck.per_channel(2, "bias", DType::kFloat32, w.shape[0]);
            return {{DType::kFloat32, {x.shape[0], w.shape[0]}}};
          },
          [&](const AffineOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            ck.per_channel(1, "scale", DType::kFloat32, x.shape.back());
            ck.per_channel(2, "bias", DType::kFloat32, x.shape.back());
            return {{DType::kFloat32, x.shape}};
          },
          [&](const PReLUOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            ck.per_channel(1, "slope", DType::kFloat32, x.shape.back());
            return {{DType::kFloat32, x.shape}};
          },
          [&](const RPReLUOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            ck.per_channel(1, "gamma", DType::kFloat32, x.shape.back());
            ck.per_channel(2, "slope", DType::kFloat32, x.shape.back());
            ck.per_channel(3, "zeta", DType::kFloat32, x.shape.back());
            return {{DType::kFloat32, x.shape}};
          },
          [&](const DPReLUOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            const char* roles[] = {"beta", "eta_pos", "eta_neg", "gamma"};
            for (int i = 0; i < 4; ++i) ck.per_channel(1 + i, roles[i], DType::kFloat32, x.shape.back());
            return {{DType::kFloat32, x.shape}};
          },
          [&](const ActivationOp& a) -> std::vector<TensorSpec> {
            ck.need(static_cast<int>(a.kind) <= 3, "unknown activation kind");
            return {{DType::kFloat32, channels_last(ck, 0, "x").shape}};
          },
          [&](const AddOp&) -> std::vector<TensorSpec> {
            const TensorSpec& a = channels_last(ck, 0, "a");
            const TensorSpec& b = channels_last(ck, 1, "b");
            ck.need(a.shape == b.shape, "shapes differ: " + shape_str(a.shape) + " + " + shape_str(b.shape));
            return {{DType::kFloat32, a.shape}};
          },
          [&](const ScaleChannelsOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = ck.feature_map(0, "x", DType::kFloat32);
            const TensorSpec& s = ck.matrix(1, "s", DType::kFloat32);
            ck.need(s.shape[0] == x.shape[0] && s.shape[1] == x.shape[3],
                    "scales " + shape_str(s.shape) + " do not match input " + shape_str(x.shape) +
                        " ([N, C] needed)");
            return {{DType::kFloat32, x.shape}};
          },
          [&](const ConcatOp&) -> std::vector<TensorSpec> {
            const TensorSpec& a = channels_last(ck, 0, "a");
            const TensorSpec& b = channels_last(ck, 1, "b");
            ck.need(
                a.shape.size() == b.shape.size() &&
                    std::equal(a.shape.begin(), a.shape.end() - 1, b.shape.begin()),
                "shapes differ outside the channels: " + shape_str(a.shape) + " and " + shape_str(b.shape));
            std::vector<int> s = a.shape;
            s.back() = grown_dim(ck, int64_t{a.shape.back()} + b.shape.back(), "the output channel count");
            return {{DType::kFloat32, s}};
          },
          [&](const ChannelDupOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            ck.need(a.times >= 1 && a.times <= 64, "times must be in 1..64");
            std::vector<int> s = x.shape;
            s.back() = grown_dim(ck, int64_t{x.shape.back()} * a.times, "the output channel count");
            return {{DType::kFloat32, s}};
          },
          [&](const ChannelPadOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            ck.need(a.channels >= x.shape.back(), "channels (" + std::to_string(a.channels) +
                                                      ") must be >= the input's " +
                                                      std::to_string(x.shape.back()));
            std::vector<int> s = x.shape;
            s.back() = a.channels;
            return {{DType::kFloat32, s}};
          },
          [&](const ChannelAvgOp& a) -> std::vector<TensorSpec> {
            const TensorSpec& x = channels_last(ck, 0, "x");
            // Groups of C_in / channels consecutive channels; when channels does not divide C_in the
            // trailing channels are ignored, as PokeBNN's reshape_add does (PokeBNN-0.75x shrinks 64 -> 48).
            ck.need(a.channels >= 1 && a.channels <= x.shape.back(),
                    "channels (" + std::to_string(a.channels) + ") must be between 1 and the input's " +
                        std::to_string(x.shape.back()));
            std::vector<int> s = x.shape;
            s.back() = a.channels;
            return {{DType::kFloat32, s}};
          },
          [&](const AvgPoolOp& a) -> std::vector<TensorSpec> {
            return {pool(ck, ck.feature_map(0, "x", DType::kFloat32), a.window, a.ph_end, a.pw_end)};
          },
          [&](const MaxPoolOp& a) -> std::vector<TensorSpec> {
            return {pool(ck, ck.feature_map(0, "x", DType::kFloat32), a.window, a.ph_end, a.pw_end)};
          },
          [&](const GlobalAvgPoolOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = ck.feature_map(0, "x", DType::kFloat32);
            return {{DType::kFloat32, {x.shape[0], x.shape[3]}}};
          },
          [&](const FlattenOp&) -> std::vector<TensorSpec> {
            const TensorSpec& x = ck.feature_map(0, "x", DType::kFloat32);
            return {{DType::kFloat32,
                     {x.shape[0],
                      grown_dim(ck, int64_t{x.shape[1]} * x.shape[2] * x.shape[3], "the flattened row")}}};
          },
          [&](const SoftmaxOp&) -> std::vector<TensorSpec> {
            return {{DType::kFloat32, ck.matrix(0, "x", DType::kFloat32).shape}};
          },
          [&](const ArgMaxOp&) -> std::vector<TensorSpec> {
            return {{DType::kInt32, {ck.matrix(0, "x", DType::kFloat32).shape[0]}}};
          },
          [&](const PGConv2dOp& a) -> std::vector<TensorSpec> {
            // The scale k varies per image, so a Bits output has no integer threshold.
            ck.need(a.output == OutputKind::kFloat || a.output == OutputKind::kInt32,
                    "output must be Float or Int32");
            ck.need(a.act_bits >= 2 && a.act_bits <= 8,
                    "act_bits must be in 2..8, got " + std::to_string(a.act_bits));
            ck.need(a.high_bits >= 1 && a.high_bits < a.act_bits,
                    "high_bits must be in 1..act_bits-1, got " + std::to_string(a.high_bits) +
                        " with act_bits " + std::to_string(a.act_bits));
            ck.need(a.weight_bits >= 1 && a.weight_bits <= 8,
                    "weight_bits must be in 1..8, got " + std::to_string(a.weight_bits));
            ck.need(std::isfinite(a.weight_step) && a.weight_step > 0.0f,
                    "weight_step must be finite and > 0, got " + std::to_string(a.weight_step));
            const TensorSpec& x = ck.feature_map(0, "x", DType::kFloat32);
            const TensorSpec& w = ck.typed(1, "weights", DType::kInt32);
            ck.need(w.constant, "weights must be a constant");
            ck.need(w.shape.size() == 4, "weights must be [OC, KH, KW, IC], got " + shape_str(w.shape));
            ck.check_positive(w, "weights");
            ck.need(w.shape[1] == a.conv.kh && w.shape[2] == a.conv.kw,
                    "weights " + shape_str(w.shape) + " do not match the kernel " +
                        std::to_string(a.conv.kh) + "x" + std::to_string(a.conv.kw));
            ck.need(w.shape[3] == x.shape[3], "weights have " + std::to_string(w.shape[3]) +
                                                  " input channels, input has " + std::to_string(x.shape[3]));
            ck.check_conv(a.conv, x.shape[1], x.shape[2], "kernel");
            // Every partial sum of the integer accumulator must fit int32.
            const int64_t max_w = a.weight_bits == 1 ? 1 : (int64_t{1} << (a.weight_bits - 1)) - 1;
            const int64_t bound =
                int64_t{a.conv.kh} * a.conv.kw * x.shape[3] * ((int64_t{1} << a.act_bits) - 1) * max_w;
            ck.need(bound <= INT32_MAX, "kh * kw * ic * (2^act_bits - 1) * max|code| = " +
                                            std::to_string(bound) + " overflows the int32 accumulator");
            const int oc = w.shape[0];
            ck.per_channel(2, "delta", DType::kFloat32, oc);
            ck.stage(3, a.output, oc);
            return {{stage_dtype(a.output),
                     {x.shape[0], out_dim(x.shape[1], a.conv.kh, a.conv.sh, a.conv.ph),
                      out_dim(x.shape[2], a.conv.kw, a.conv.sw, a.conv.pw), oc}}};
          },
      },
      op.attrs);
}

int64_t op_macs(const OpDef& op, const std::vector<const TensorSpec*>& in,
                const std::vector<TensorSpec>& out) {
  const auto conv_macs = [&](int w_index) {
    const auto& w = in[w_index]->shape;  // [OC, KH, KW, IC/groups]
    return num_elements(out[0].shape) * w[1] * w[2] * w[3];
  };
  if (std::holds_alternative<BConv2dOp>(op.attrs) || std::holds_alternative<Conv2dOp>(op.attrs))
    return conv_macs(1);
  if (std::holds_alternative<FracConv2dOp>(op.attrs)) return conv_macs(2);
  if (std::holds_alternative<PGConv2dOp>(op.attrs)) return conv_macs(1);
  if (std::holds_alternative<BDenseOp>(op.attrs) || std::holds_alternative<DenseOp>(op.attrs))
    return num_elements(out[0].shape) * in[1]->shape[1];
  return 0;
}

// The bits past the channel count in a packed row's last word must be 0 (DESIGN.md, "Packing"): kernels
// may skip the words or half-words that hold only such bits (avx512_6x4 reads one dword per pixel for
// ic <= 32), so a set one would make the result depend on the kernel.
namespace {
void check_padding_bits(const TensorDef& td, const std::vector<uint8_t>& buffer) {
  const int64_t channels = td.shape.back();
  if (channels % 64 == 0) return;
  const int64_t words = (channels + 63) / 64;
  const int64_t rows = num_elements(td.shape) / channels;
  const uint64_t pad = ~uint64_t{0} << (channels % 64);
  for (int64_t r = 0; r < rows; ++r) {
    uint64_t last;
    std::memcpy(&last, buffer.data() + ((r + 1) * words - 1) * sizeof(uint64_t), sizeof last);
    if ((last & pad) != 0)
      throw Error("bit-packed constant '" + td.name + "' " + shape_str(td.shape) + " has bits set past its " +
                  std::to_string(channels) + " channels in row " + std::to_string(r) +
                  " (padding bits must be 0)");
  }
}
}  // namespace

void validate_graph(const Graph& g) {
  const int nt = static_cast<int>(g.tensors.size());
  const auto tensor_ref = [&](int t, const std::string& where) {
    if (t < 0 || t >= nt)
      throw Error(where + " refers to tensor " + std::to_string(t) + ", but the model has " +
                  std::to_string(nt) + " tensors");
  };
  std::vector<TensorSpec> spec(nt);
  std::vector<bool> defined(nt, false);
  for (int t = 0; t < nt; ++t) {
    const TensorDef& td = g.tensors[t];
    if (static_cast<int>(td.dtype) > 3) throw Error("tensor '" + td.name + "' has an unknown dtype");
    for (int d : td.shape)
      if (d <= 0)
        throw Error("tensor '" + td.name + "' has a non-positive dimension: " + shape_str(td.shape));
    if (td.shape.size() > 8)
      throw Error("tensor '" + td.name + "' has rank " + std::to_string(td.shape.size()) + " (max 8)");
    if (num_elements(td.shape) > kMaxTensorElements)
      throw Error("tensor '" + td.name + "' is too large: " + shape_str(td.shape) +
                  " (at most 2^28 elements)");
    spec[t] = {td.dtype, td.shape, td.buffer >= 0};
    if (td.buffer >= 0) {
      if (td.buffer >= static_cast<int>(g.buffers.size()))
        throw Error("tensor '" + td.name + "' refers to buffer " + std::to_string(td.buffer) +
                    ", but the model has " + std::to_string(g.buffers.size()) + " buffers");
      if (td.dtype == DType::kBits && td.shape.empty())
        throw Error("bit-packed tensor '" + td.name + "' must have at least one dimension");
      const size_t want = tensor_bytes(td.dtype, td.shape);
      if (g.buffers[td.buffer].size() != want)
        throw Error("constant '" + td.name + "' " + shape_str(td.shape) + " " + dtype_name(td.dtype) +
                    " needs " + std::to_string(want) + " bytes, its buffer has " +
                    std::to_string(g.buffers[td.buffer].size()));
      if (td.dtype == DType::kBits) check_padding_bits(td, g.buffers[td.buffer]);
      defined[t] = true;
    }
  }
  if (g.inputs.empty()) throw Error("the model has no inputs");
  if (g.outputs.empty()) throw Error("the model has no outputs");
  for (int t : g.inputs) {
    tensor_ref(t, "graph input");
    if (defined[t]) throw Error("graph input '" + g.tensors[t].name + "' is a constant or listed twice");
    if (g.tensors[t].shape.empty()) throw Error("graph input '" + g.tensors[t].name + "' has no shape");
    defined[t] = true;
  }
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OpDef& op = g.ops[i];
    const std::string where = "op " + std::to_string(i) + " '" + op.name + "' (" + op_name(op.attrs) + ")";
    std::vector<const TensorSpec*> ins;
    for (int t : op.inputs) {
      if (t == -1) {
        ins.push_back(nullptr);
        continue;
      }
      tensor_ref(t, where + " input");
      if (!defined[t])
        throw Error(where + " reads tensor '" + g.tensors[t].name + "' before any op produces it");
      ins.push_back(&spec[t]);
    }
    const std::vector<TensorSpec> outs = infer_outputs(op, ins);
    if (const auto* pg = std::get_if<PGConv2dOp>(&op.attrs)) check_pg_codes(g, op, *pg, where);
    if (op.outputs.size() != outs.size())
      throw Error(where + " must have " + std::to_string(outs.size()) + " outputs, has " +
                  std::to_string(op.outputs.size()));
    for (size_t k = 0; k < outs.size(); ++k) {
      const int t = op.outputs[k];
      tensor_ref(t, where + " output");
      if (defined[t])
        throw Error(where + " writes tensor '" + g.tensors[t].name + "', which already has a value");
      if (spec[t].dtype != outs[k].dtype || spec[t].shape != outs[k].shape)
        throw Error(where + " produces " + dtype_name(outs[k].dtype) + " " + shape_str(outs[k].shape) +
                    " but tensor '" + g.tensors[t].name + "' is recorded as " + dtype_name(spec[t].dtype) +
                    " " + shape_str(spec[t].shape));
      defined[t] = true;
    }
  }
  for (int t : g.outputs) {
    tensor_ref(t, "graph output");
    if (!defined[t]) throw Error("graph output '" + g.tensors[t].name + "' is never produced");
  }
}

}  // namespace bnnkit::runtime
