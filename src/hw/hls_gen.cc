// The HLS C++ generator (hls_gen.h). It walks the graph once to plan the design (which elementwise ops fold
// into a conv's stage loop, which on-chip buffer holds each activation), then prints model.h, model.cc,
// weights.h and tb.cc. Every float expression it prints is the reference kernel's, operation for operation,
// because the point of the C-simulation is bit-exact agreement with the engine.
#include "hw/hls_gen.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <variant>

#include "bnnkit/error.h"

namespace bnnkit::hw {

const std::vector<std::string>& hls_supported_ops() {
  static const std::vector<std::string> kOps = {
      "Thermometer", "SignQuant", "Quant2Bit", "QuantUniform",  "BConv2d", "BDense",     "FracConv2d",
      "Dense",       "Affine",    "PReLU",     "RPReLU",        "DPReLU",  "Activation", "Add",
      "ChannelDup",  "AvgPool",   "MaxPool",   "GlobalAvgPool", "Flatten"};
  return kOps;
}

namespace {

namespace fs = std::filesystem;

enum class Cat { kFloat, kWord, kInt };

// A binary layer mapped onto the shared engine (BConv2d, FracConv2d, and BDense as a 1x1 conv on a 1x1 map).
struct ConvDesc {
  int ih = 1, iw = 1, ic = 1, icw = 1, oc = 1, kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, oh = 1, ow = 1;
  bool pad_one = false, frac = false;
  OutputKind out = OutputKind::kFloat;
  int64_t woff = 0;                  // offset of the layer in every weight bank
  int64_t gate = 0, s0 = 0, s1 = 0;  // kInt gate; stage: kFloat scale/bias or kInt threshold/kU8 flip
};

// A unit of the generated top function: one op, or a binary layer with the elementwise ops fused behind it.
struct Step {
  std::vector<int> ops;  // op indices, execution order; emitted where the last one was
};

class Generator {
 public:
  Generator(const Graph& g, const HlsOptions& o) : g_(g), o_(o), wb_(o.pack_bits), p_(o.out_parallel) {}

  HlsResult run(const std::string& dir);

 private:
  // ---- graph queries
  const TensorDef& tensor(int t) const { return g_.tensors[t]; }
  const std::vector<int>& shape(int t) const { return g_.tensors[t].shape; }
  int channels(int t) const { return shape(t).back(); }
  int64_t pixels(int t) const {  // batch 1: every dimension but the first and the last
    int64_t n = 1;
    for (size_t i = 1; i + 1 < shape(t).size(); ++i) n *= shape(t)[i];
    return n;
  }
  int words(int c) const { return (c + wb_ - 1) / wb_; }
  bool is_output(int t) const {
    return std::find(g_.outputs.begin(), g_.outputs.end(), t) != g_.outputs.end();
  }
  std::vector<float> f32(int t) const;
  std::vector<int32_t> i32(int t) const;
  std::vector<uint8_t> u8(int t) const;
  bool bit(int t, int64_t row, int c) const;

  // ---- planning
  void check() const;
  void plan_steps();
  void plan_buffers();
  bool fusable(const OpDef& op) const;

  // ---- constant pools
  int64_t add_floats(int t);
  int64_t add_ints(int t);
  int64_t add_bytes(int t);
  ConvDesc describe_conv(const OpDef& op);

  // ---- printing
  std::string buf(int t) const;  // expression naming the tensor's storage
  std::string hexf(float v, const std::string& what) const;
  std::string epilogue(const OpDef& op, int value_tensor, const std::string& c, const std::string& idx);
  void emit_conv_step(const Step& s, std::ostringstream& top, std::ostringstream& stages);
  void emit_op(int index, std::ostringstream& top);
  std::string model_h() const;
  std::string model_cc();
  std::string weights_h() const;
  std::string tb_cc() const;

  const Graph& g_;
  const HlsOptions& o_;
  const int wb_, p_;
  std::vector<std::vector<int>> consumers_;
  std::vector<Step> steps_;
  std::set<int> hidden_;                        // tensors that live only inside a fused stage loop
  std::map<int, std::pair<Cat, int>> slot_of_;  // tensor -> (category, slot)
  std::vector<int64_t> slots_[3];               // sizes of the float / word / int buffers
  std::vector<std::vector<uint64_t>> banks_;    // weight banks, one per output lane
  std::vector<float> floats_;
  std::vector<int32_t> ints_;
  std::vector<uint8_t> bytes_;
  std::map<int, int64_t> float_off_, int_off_, byte_off_;
  int max_k_ = 1, max_cols_ = 1;
  int64_t max_pixels_ = 1;
  HlsResult result_;
};

std::vector<float> Generator::f32(int t) const {
  const auto& b = g_.buffers[tensor(t).buffer];
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}
std::vector<int32_t> Generator::i32(int t) const {
  const auto& b = g_.buffers[tensor(t).buffer];
  std::vector<int32_t> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}
std::vector<uint8_t> Generator::u8(int t) const {
  return g_.buffers[tensor(t).buffer];
}
// Bit c of row `row` of a packed constant (rows of ceil(C / 64) little-endian 64-bit words, graph.h).
bool Generator::bit(int t, int64_t row, int c) const {
  const auto& b = g_.buffers[tensor(t).buffer];
  const int64_t row_words = (channels(t) + 63) / 64;
  uint64_t w = 0;
  std::memcpy(&w, b.data() + (row * row_words + c / 64) * 8, 8);
  return (w >> (c % 64)) & 1;
}

void Generator::check() const {
  if (wb_ != 32 && wb_ != 64) throw Error("hls: --pack must be 32 or 64");
  if (p_ < 1 || p_ > 256 || (p_ & (p_ - 1)) != 0)
    throw Error("hls: --parallel must be a power of two in [1, 256]");
  const std::string& top = o_.top;
  const bool ident =
      !top.empty() && !std::isdigit(static_cast<unsigned char>(top[0])) &&
      std::all_of(top.begin(), top.end(),
                  [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }) &&
      top.find("__") == std::string::npos;
  if (!ident)
    throw Error("hls: --top '" + top + "' is not a plain C identifier (letters, digits, single '_')");
  if (g_.inputs.size() != 1) throw Error("hls: the model must have exactly one input");
  const TensorDef& in = tensor(g_.inputs[0]);
  if (in.dtype != DType::kUInt8 || in.shape.size() != 4)
    throw Error("hls: the input '" + in.name + "' must be a uint8 image [N, H, W, C]");
  if (g_.outputs.size() != 1) throw Error("hls: the model must have exactly one output");
  const TensorDef& out = tensor(g_.outputs[0]);
  if (out.dtype != DType::kFloat32 || out.shape.size() != 2)
    throw Error("hls: the output '" + out.name + "' must be float32 logits [N, classes]");
  const auto& ok = hls_supported_ops();
  for (const OpDef& op : g_.ops) {
    const std::string name = op_name(op.attrs);
    if (std::find(ok.begin(), ok.end(), name) == ok.end())
      throw Error("hls: op '" + op.name + "' (" + name + ") is not supported by the HLS generator");
    const bool float_only =
        std::holds_alternative<FlattenOp>(op.attrs) || std::holds_alternative<ChannelDupOp>(op.attrs);
    if (float_only && tensor(op.inputs[0]).dtype != DType::kFloat32)
      throw Error("hls: op '" + op.name + "' (" + name + ") on a non-float tensor is not supported");
  }
}

// Elementwise ops that can run inside a stage loop, one value at a time.
bool Generator::fusable(const OpDef& op) const {
  return std::holds_alternative<AffineOp>(op.attrs) || std::holds_alternative<PReLUOp>(op.attrs) ||
         std::holds_alternative<RPReLUOp>(op.attrs) || std::holds_alternative<DPReLUOp>(op.attrs) ||
         std::holds_alternative<ActivationOp>(op.attrs) || std::holds_alternative<AddOp>(op.attrs);
}

// A binary layer with float output takes over the chain of elementwise ops behind it while each link has a
// single consumer (FracBNN's bn_relu_shortcut: BN, RPReLU, + shortcut, BN in one pipelined loop). The step is
// emitted at its last op, after whatever produced the shortcut operands.
void Generator::plan_steps() {
  consumers_.assign(g_.tensors.size(), {});
  for (size_t i = 0; i < g_.ops.size(); ++i)
    for (int t : g_.ops[i].inputs)
      if (t >= 0) consumers_[t].push_back(static_cast<int>(i));
  std::vector<bool> taken(g_.ops.size(), false);
  for (size_t i = 0; i < g_.ops.size(); ++i) {
    if (taken[i]) continue;
    Step s;
    s.ops.push_back(static_cast<int>(i));
    const OpDef& op = g_.ops[i];
    const bool binary = std::holds_alternative<BConv2dOp>(op.attrs) ||
                        std::holds_alternative<FracConv2dOp>(op.attrs) ||
                        std::holds_alternative<BDenseOp>(op.attrs);
    if (binary && tensor(op.outputs[0]).dtype == DType::kFloat32) {
      int t = op.outputs[0];
      while (!is_output(t) && consumers_[t].size() == 1) {
        const int j = consumers_[t][0];
        const OpDef& next = g_.ops[j];
        if (taken[j] || !fusable(next)) break;
        if (std::holds_alternative<AddOp>(next.attrs) && next.inputs[0] == next.inputs[1]) break;
        hidden_.insert(t);
        s.ops.push_back(j);
        taken[j] = true;
        ++result_.fused_ops;
        t = next.outputs[0];
      }
    }
    steps_.push_back(s);
  }
  std::stable_sort(steps_.begin(), steps_.end(),
                   [](const Step& a, const Step& b) { return a.ops.back() < b.ops.back(); });
}

// Activations share a few static buffers: each tensor takes a free buffer of its kind from the step that
// writes it to the last step that reads it (as the engine's arena does), so the design holds a handful of
// maps, not all.
void Generator::plan_buffers() {
  std::map<int, int> last_use;
  for (size_t s = 0; s < steps_.size(); ++s)
    for (int op : steps_[s].ops)
      for (int t : g_.ops[op].inputs)
        if (t >= 0 && tensor(t).buffer < 0) last_use[t] = static_cast<int>(s);
  std::vector<std::vector<bool>> busy(3);
  std::map<int, std::pair<Cat, int>> live;
  for (size_t s = 0; s < steps_.size(); ++s) {
    for (auto it = live.begin(); it != live.end();) {
      if (last_use[it->first] < static_cast<int>(s)) {
        busy[static_cast<int>(it->second.first)][it->second.second] = false;
        it = live.erase(it);
      } else {
        ++it;
      }
    }
    for (int op : steps_[s].ops)
      for (int t : g_.ops[op].outputs) {
        if (hidden_.count(t) || is_output(t)) continue;
        const TensorDef& d = tensor(t);
        const Cat cat = d.dtype == DType::kFloat32 ? Cat::kFloat
                        : d.dtype == DType::kBits  ? Cat::kWord
                                                   : Cat::kInt;
        const int64_t need =
            d.dtype == DType::kBits ? pixels(t) * words(channels(t)) : pixels(t) * channels(t);
        auto& sizes = slots_[static_cast<int>(cat)];
        auto& used = busy[static_cast<int>(cat)];
        int fit = -1, largest = -1;  // the smallest free buffer that fits, else the largest free one grows
        for (size_t k = 0; k < sizes.size(); ++k) {
          if (used[k]) continue;
          const int i = static_cast<int>(k);
          if (sizes[k] >= need && (fit < 0 || sizes[k] < sizes[fit])) fit = i;
          if (largest < 0 || sizes[k] > sizes[largest]) largest = i;
        }
        int pick = fit >= 0 ? fit : largest;
        if (pick < 0) {
          pick = static_cast<int>(sizes.size());
          sizes.push_back(0);
          used.push_back(false);
        }
        sizes[pick] = std::max(sizes[pick], need);
        used[pick] = true;
        slot_of_[t] = {cat, pick};
        live[t] = {cat, pick};
        if (!last_use.count(t)) last_use[t] = static_cast<int>(s);  // written, never read
      }
  }
}

int64_t Generator::add_floats(int t) {
  if (float_off_.count(t)) return float_off_[t];
  const int64_t off = static_cast<int64_t>(floats_.size());
  for (float v : f32(t)) {
    if (!std::isfinite(v)) throw Error("hls: constant '" + tensor(t).name + "' holds a non-finite value");
    floats_.push_back(v);
  }
  return float_off_[t] = off;
}
int64_t Generator::add_ints(int t) {
  if (int_off_.count(t)) return int_off_[t];
  const int64_t off = static_cast<int64_t>(ints_.size());
  for (int32_t v : i32(t)) ints_.push_back(v);
  return int_off_[t] = off;
}
int64_t Generator::add_bytes(int t) {
  if (byte_off_.count(t)) return byte_off_[t];
  const int64_t off = static_cast<int64_t>(bytes_.size());
  for (uint8_t v : u8(t)) bytes_.push_back(v);
  return byte_off_[t] = off;
}

// Geometry and constants of a binary layer. Its weights are repacked into `pack_bits` words and dealt over
// out_parallel banks: output channel o goes to bank o % P, so the P lanes of one pass read P banks at once.
ConvDesc Generator::describe_conv(const OpDef& op) {
  ConvDesc d;
  int w_index = 1, stage = 2;
  const ConvAttrs* c = nullptr;
  if (const auto* b = std::get_if<BConv2dOp>(&op.attrs)) {
    c = &b->conv;
    d.pad_one = b->padding == Padding::kOne;
    d.out = b->output;
  } else if (const auto* f = std::get_if<FracConv2dOp>(&op.attrs)) {
    c = &f->conv;
    d.pad_one = f->padding == Padding::kOne;
    d.out = f->output;
    d.frac = true;
    w_index = 2;
    stage = 4;
    d.gate = add_ints(op.inputs[3]);
  } else {
    d.out = std::get<BDenseOp>(op.attrs).output;
  }
  const int x = op.inputs[0], w = op.inputs[w_index];
  if (c != nullptr) {
    d.ih = shape(x)[1], d.iw = shape(x)[2];
    d.kh = c->kh, d.kw = c->kw, d.sh = c->sh, d.sw = c->sw, d.ph = c->ph, d.pw = c->pw;
    d.oh = shape(op.outputs[0])[1], d.ow = shape(op.outputs[0])[2];
  }
  d.ic = channels(x);
  d.icw = words(d.ic);
  d.oc = channels(op.outputs[0]);
  if (d.out == OutputKind::kFloat) {
    d.s0 = add_floats(op.inputs[stage]);
    d.s1 = add_floats(op.inputs[stage + 1]);
  } else if (d.out == OutputKind::kBits) {
    d.s0 = add_ints(op.inputs[stage]);
    d.s1 = add_bytes(op.inputs[stage + 1]);
  }
  // Weight banks: bank o % P, index woff + ((o / P) * kh * kw + tap) * icw + word.
  if (banks_.empty()) banks_.assign(p_, {});
  d.woff = static_cast<int64_t>(banks_[0].size());
  const int taps = d.kh * d.kw;
  const int64_t depth = static_cast<int64_t>((d.oc + p_ - 1) / p_) * taps * d.icw;
  for (auto& b : banks_) b.resize(d.woff + depth, 0);
  for (int o = 0; o < d.oc; ++o)
    for (int tap = 0; tap < taps; ++tap)
      for (int k = 0; k < d.ic; ++k)
        if (bit(w, static_cast<int64_t>(o) * taps + tap, k))
          banks_[o % p_][d.woff + (static_cast<int64_t>(o / p_) * taps + tap) * d.icw + k / wb_] |=
              uint64_t{1} << (k % wb_);
  max_k_ = std::max({max_k_, d.kh, d.kw});
  max_cols_ = std::max(max_cols_, d.iw + d.pw);
  max_pixels_ = std::max<int64_t>(max_pixels_, static_cast<int64_t>(d.oh) * d.ow);
  ++result_.conv_layers;
  return d;
}

std::string Generator::buf(int t) const {
  if (t == g_.inputs[0]) return "image";
  if (is_output(t)) return "logits";
  const auto it = slot_of_.find(t);
  if (it == slot_of_.end()) throw Error("hls: internal error: tensor '" + tensor(t).name + "' has no buffer");
  static const char* kPrefix[3] = {"fmap", "wmap", "imap"};
  return kPrefix[static_cast<int>(it->second.first)] + std::to_string(it->second.second);
}

std::string Generator::hexf(float v, const std::string& what) const {
  if (!std::isfinite(v)) throw Error("hls: " + what + " is not finite");
  char b[48];
  std::snprintf(b, sizeof b, "%af", static_cast<double>(v));
  return b;
}

// Statements applying one elementwise op to the float `v` of channel `c` at flat index `idx` (elementwise.h).
std::string Generator::epilogue(const OpDef& op, int value_tensor, const std::string& c,
                                const std::string& idx) {
  std::ostringstream s;
  auto k = [&](int input) {
    return "kFloat[" + std::to_string(add_floats(op.inputs[input])) + " + " + c + "]";
  };
  if (std::holds_alternative<AffineOp>(op.attrs)) {
    s << "{ const float p = v * " << k(1) << "; v = p + " << k(2) << "; }  // " << op.name;
  } else if (std::holds_alternative<PReLUOp>(op.attrs)) {
    s << "v = v >= 0.0f ? v : v * " << k(1) << ";  // " << op.name;
  } else if (std::holds_alternative<RPReLUOp>(op.attrs)) {
    s << "{ const float t = v - " << k(1) << "; const float u = t >= 0.0f ? t : t * " << k(2) << "; v = u + "
      << k(3) << "; }  // " << op.name;
  } else if (std::holds_alternative<DPReLUOp>(op.attrs)) {
    s << "{ const float t = v - " << k(1) << "; const float p = (t >= 0.0f ? " << k(2) << " : " << k(3)
      << ") * t; v = p - " << k(4) << "; }  // " << op.name;
  } else if (const auto* a = std::get_if<ActivationOp>(&op.attrs)) {
    switch (a->kind) {
      case ActivationKind::kRelu:
        s << "v = v < 0.0f ? 0.0f : v;";
        break;
      case ActivationKind::kRelu6:
        s << "v = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);";
        break;
      case ActivationKind::kHardSigmoid:
        s << "{ float t = v + 3.0f; t = t < 0.0f ? 0.0f : t; t = t > 6.0f ? 6.0f : t; v = t / 6.0f; }";
        break;
      case ActivationKind::kIdentity:
        break;
    }
    s << "  // " << op.name;
  } else if (std::holds_alternative<AddOp>(op.attrs)) {
    // a + b in the graph's operand order (the sum is the same either way; the order keeps NaN payloads too).
    if (op.inputs[0] == value_tensor) {
      s << "v = v + " << buf(op.inputs[1]) << "[" << idx << "];  // " << op.name;
    } else {
      s << "v = " << buf(op.inputs[0]) << "[" << idx << "] + v;  // " << op.name;
    }
  }
  return s.str();
}

// A binary layer: for each output tile, the MSB passes over the input words, the LSB passes (fractional
// convs), then the layer's stage loop with the output stage and the fused epilogue.
void Generator::emit_conv_step(const Step& s, std::ostringstream& top, std::ostringstream& stages) {
  const OpDef& op = g_.ops[s.ops[0]];
  const ConvDesc d = describe_conv(op);
  const int id = s.ops[0];
  const std::string L = "L" + std::to_string(id);
  const int64_t pix = static_cast<int64_t>(d.oh) * d.ow;
  const int out_t = g_.ops[s.ops.back()].outputs[0];
  const int ocw = words(d.oc);

  // The stage loop, a function of its own per layer (its constants are compile-time).
  stages << "// Stage unit of " << op.name;
  for (size_t i = 1; i < s.ops.size(); ++i) stages << (i == 1 ? " + " : ", ") << g_.ops[s.ops[i]].name;
  stages << ": one pixel of kP channels per cycle.\n";
  const char* dst_type = d.out == OutputKind::kFloat   ? "float"
                         : d.out == OutputKind::kInt32 ? "int32_t"
                                                       : "word_t";
  stages << "static void stage_" << id << "(int o0, " << dst_type << "* dst) {\n";
  stages << L << "_stage:\n  for (int pix = 0; pix < " << pix << "; ++pix) {\n#pragma HLS PIPELINE II=1\n";
  const bool packed_out = d.out == OutputKind::kBits;
  if (packed_out) {
    if (p_ <= wb_) {
      stages << "    word_t bits = 0;\n";
    } else {
      stages << "    word_t bits[kP / kWordBits] = {0};\n";
    }
  }
  stages << "    for (int o = 0; o < kP; ++o) {\n#pragma HLS UNROLL\n      const int c = o0 + o;\n";
  stages << "      if (c < " << d.oc << ") {\n";
  stages << "        const int32_t acc = "
         << (d.frac ? "2 * acc_msb[o][pix] + acc_lsb[o][pix]" : "acc_msb[o][pix]") << ";\n";
  if (d.out == OutputKind::kFloat) {
    stages << "        const float prod = static_cast<float>(acc) * kFloat[" << d.s0 << " + c];\n";
    stages << "        float v = prod + kFloat[" << d.s1 << " + c];\n";
    int value = op.outputs[0];
    const std::string idx = "pix * " + std::to_string(d.oc) + " + c";
    for (size_t i = 1; i < s.ops.size(); ++i) {
      const OpDef& e = g_.ops[s.ops[i]];
      stages << "        " << epilogue(e, value, "c", idx) << "\n";
      value = e.outputs[0];
    }
    stages << "        dst[" << idx << "] = v;\n";
  } else if (d.out == OutputKind::kInt32) {
    stages << "        dst[pix * " << d.oc << " + c] = acc;\n";
  } else {
    stages << "        const bool plus = (acc >= kInt[" << d.s0 << " + c]) != (kU8[" << d.s1
           << " + c] != 0);\n";
    if (p_ <= wb_) {
      stages << "        if (!plus) bits |= word_t{1} << o;\n";
    } else {
      stages << "        if (!plus) bits[o / kWordBits] |= word_t{1} << (o % kWordBits);\n";
    }
  }
  stages << "      }\n    }\n";
  if (packed_out) {
    const std::string dst = "dst[pix * " + std::to_string(ocw);
    if (p_ <= wb_) {
      // kP lanes fill part of one word: the tile that starts a word clears it.
      stages << "    word_t& w = " << dst << " + o0 / kWordBits];\n";
      stages << "    w = (o0 % kWordBits == 0 ? word_t{0} : w) | (bits << (o0 % kWordBits));\n";
    } else {
      stages << "    for (int k = 0; k < kP / kWordBits; ++k)\n";
      stages << "      if (o0 / kWordBits + k < " << ocw << ") " << dst
             << " + o0 / kWordBits + k] = bits[k];\n";
    }
  }
  stages << "  }\n}\n\n";

  // The call site in the top function.
  top << "  // " << op.name << ": " << op_name(op.attrs) << " " << d.ic << " -> " << d.oc << ", " << d.kh
      << "x" << d.kw << "/" << d.sh << ", " << d.ih << "x" << d.iw << " -> " << d.oh << "x" << d.ow;
  if (s.ops.size() > 1) top << "; stage fuses " << s.ops.size() - 1 << " op(s)";
  top << "\n  {\n";
  top << "    static const ConvLayer kLayer = {" << d.ih << ", " << d.iw << ", " << d.ic << ", " << d.icw
      << ", " << d.oc << ", " << d.kh << ", " << d.kw << ", " << d.sh << ", " << d.sw << ", " << d.ph << ", "
      << d.pw << ", " << d.oh << ", " << d.ow << ", " << (d.pad_one ? "true" : "false") << ", " << d.woff
      << ", " << d.gate << "};\n";
  top << L << "_tiles:\n    for (int o0 = 0; o0 < " << d.oc << "; o0 += kP) {\n";
  top << L << "_msb:\n      for (int wi = 0; wi < " << d.icw << "; ++wi) conv_pass(" << buf(op.inputs[0])
      << ", kLayer, o0, wi, false);\n";
  if (d.frac)
    top << L << "_lsb:\n      for (int wi = 0; wi < " << d.icw << "; ++wi) conv_pass(" << buf(op.inputs[1])
        << ", kLayer, o0, wi, true);\n";
  top << "      stage_" << id << "(o0, " << buf(out_t) << ");\n    }\n  }\n";
}

// Every other op: its reference loop, pipelined over pixels.
void Generator::emit_op(int index, std::ostringstream& top) {
  const OpDef& op = g_.ops[index];
  const std::string L = "L" + std::to_string(index);
  const std::string name = op_name(op.attrs);
  top << "  // " << op.name << ": " << name << "\n  {\n";
  const int x = op.inputs[0];
  const int y = op.outputs[0];
  const std::string src = buf(x), dst = buf(y);
  if (const auto* th = std::get_if<ThermometerOp>(&op.attrs)) {
    const int c = channels(x), bits = c * th->levels, res = 256 / th->levels;
    top << L << ":\n    for (int p = 0; p < " << pixels(x) << "; ++p) {\n#pragma HLS PIPELINE II=1\n";
    top << "      for (int w = 0; w < " << words(bits) << "; ++w) {\n        word_t word = 0;\n";
    top << "        for (int b = 0; b < kWordBits; ++b) {\n#pragma HLS UNROLL\n";
    top << "          const int k = w * kWordBits + b;\n          if (k < " << bits << ") {\n";
    top << "            const int n = (" << src << "[p * " << c << " + k / " << th->levels << "] + "
        << res / 2 << ") / " << res << ";\n";
    top << "            if (!(k % " << th->levels
        << " < n)) word |= word_t{1} << b;\n          }\n        }\n";
    top << "        " << dst << "[p * " << words(bits) << " + w] = word;\n      }\n    }\n";
  } else if (std::holds_alternative<Quant2BitOp>(op.attrs) || std::holds_alternative<SignQuantOp>(op.attrs)) {
    const bool q2 = std::holds_alternative<Quant2BitOp>(op.attrs);
    const int c = channels(x), cw = words(c);
    std::string thr = "0.0f";
    if (!q2 && op.inputs.size() > 1 && op.inputs[1] >= 0)
      thr = "kFloat[" + std::to_string(add_floats(op.inputs[1])) + " + c]";
    top << L << ":\n    for (int p = 0; p < " << pixels(x) << "; ++p) {\n#pragma HLS PIPELINE II=1\n";
    top << "      for (int w = 0; w < " << cw << "; ++w) {\n        word_t m = 0, l = 0;\n";
    top << "        for (int b = 0; b < kWordBits; ++b) {\n#pragma HLS UNROLL\n";
    top << "          const int c = w * kWordBits + b;\n          if (c < " << c << ") {\n";
    top << "            const float v = " << src << "[p * " << c << " + c];\n";
    if (q2) {
      top << "            const int q = quant2bit_code(v);\n";
      top << "            if (q < 2) m |= word_t{1} << b;\n            if (q % 2 == 0) l |= word_t{1} << "
             "b;\n";
    } else {
      top << "            if (!(v >= " << thr << ")) m |= word_t{1} << b;\n";
    }
    top << "          }\n        }\n        " << dst << "[p * " << cw << " + w] = m;\n";
    if (q2) top << "        " << buf(op.outputs[1]) << "[p * " << cw << " + w] = l;\n";
    top << "      }\n    }\n";
  } else if (const auto* qu = std::get_if<QuantUniformOp>(&op.attrs)) {
    const int c = channels(x);
    top << "    const float lo = " << hexf(qu->lo, op.name + " lo")
        << ", hi = " << hexf(qu->hi, op.name + " hi") << ";\n";
    top << "    const float range = hi - lo;\n    const float levels = static_cast<float>("
        << ((1 << qu->bits) - 1) << ");\n    const float step = range / levels;\n";
    top << L << ":\n    for (int i = 0; i < " << pixels(x) * c << "; ++i) {\n#pragma HLS PIPELINE II=1\n";
    top << "      const float v = " << src << "[i];\n";
    top << "      const float xc = v < lo ? lo : (v > hi ? hi : v);\n      const float u = (xc - lo) / "
           "range;\n";
    top << "      const float w = u * levels;\n      const float q = std::floor(w + 0.5f);\n";
    top << "      const float qs = q * step;\n      " << dst << "[i] = lo + qs;\n    }\n";
  } else if (fusable(op)) {
    const int c = channels(y);
    top << L << ":\n    for (int p = 0; p < " << pixels(y) << "; ++p) {\n";
    top << "      for (int c = 0; c < " << c << "; ++c) {\n#pragma HLS PIPELINE II=1\n";
    top << "        const int i = p * " << c << " + c;\n";
    if (std::holds_alternative<AddOp>(op.attrs)) {
      top << "        float v = " << buf(op.inputs[0]) << "[i];\n";
      top << "        v = v + " << buf(op.inputs[1]) << "[i];  // " << op.name << "\n";
    } else {
      top << "        float v = " << src << "[i];\n        " << epilogue(op, x, "c", "i") << "\n";
    }
    top << "        " << dst << "[i] = v;\n      }\n    }\n";
  } else if (const auto* dup = std::get_if<ChannelDupOp>(&op.attrs)) {
    const int c = channels(x);
    top << L << ":\n    for (int p = 0; p < " << pixels(x) << "; ++p) {\n";
    top << "      for (int c = 0; c < " << c << "; ++c) {\n#pragma HLS PIPELINE II=1\n";
    top << "        const float v = " << src << "[p * " << c << " + c];\n";
    top << "        for (int t = 0; t < " << dup->times << "; ++t) " << dst << "[p * " << c * dup->times
        << " + t * " << c << " + c] = v;\n      }\n    }\n";
  } else if (std::holds_alternative<AvgPoolOp>(op.attrs) || std::holds_alternative<MaxPoolOp>(op.attrs)) {
    const bool avg = std::holds_alternative<AvgPoolOp>(op.attrs);
    const ConvAttrs& w = avg ? std::get<AvgPoolOp>(op.attrs).window : std::get<MaxPoolOp>(op.attrs).window;
    const bool include_pad = avg && std::get<AvgPoolOp>(op.attrs).count_include_pad;
    const int ih = shape(x)[1], iw = shape(x)[2], c = channels(x), oh = shape(y)[1], ow = shape(y)[2];
    top << L << ":\n    for (int oy = 0; oy < " << oh << "; ++oy) {\n      for (int ox = 0; ox < " << ow
        << "; ++ox) {\n";
    top << "        for (int c = 0; c < " << c << "; ++c) {\n#pragma HLS PIPELINE II=1\n";
    top << (avg ? "          float sum = 0.0f;\n          int inside = 0;\n"
                : "          float m = -std::numeric_limits<float>::infinity();\n");
    top << "          for (int i = 0; i < " << w.kh << "; ++i) {\n            const int y = oy * " << w.sh
        << " - " << w.ph << " + i;\n            if (y < 0 || y >= " << ih << ") continue;\n";
    top << "            for (int j = 0; j < " << w.kw << "; ++j) {\n              const int x = ox * " << w.sw
        << " - " << w.pw << " + j;\n              if (x < 0 || x >= " << iw << ") continue;\n";
    top << "              const float v = " << src << "[(y * " << iw << " + x) * " << c << " + c];\n";
    top << (avg ? "              sum = sum + v;\n              ++inside;\n"
                : "              if (v > m || std::isnan(v)) m = v;\n");
    top << "            }\n          }\n";
    if (avg) {
      top << "          const int count = "
          << (include_pad ? std::to_string(w.kh * w.kw) : std::string("inside")) << ";\n";
      top << "          " << dst << "[(oy * " << ow << " + ox) * " << c
          << " + c] = sum / static_cast<float>(count);\n";
    } else {
      top << "          " << dst << "[(oy * " << ow << " + ox) * " << c << " + c] = m;\n";
    }
    top << "        }\n      }\n    }\n";
  } else if (std::holds_alternative<GlobalAvgPoolOp>(op.attrs)) {
    const int c = channels(x);
    top << L << ":\n    for (int c = 0; c < " << c << "; ++c) {\n      float sum = 0.0f;\n";
    top << "      for (int p = 0; p < " << pixels(x) << "; ++p) {\n#pragma HLS PIPELINE II=1\n";
    top << "        sum = sum + " << src << "[p * " << c << " + c];\n      }\n";
    top << "      " << dst << "[c] = sum / static_cast<float>(" << pixels(x) << ");\n    }\n";
  } else if (std::holds_alternative<DenseOp>(op.attrs)) {
    const auto& ws = shape(op.inputs[1]);
    const int oc = ws[0], ic = ws[1];
    const int64_t wo = add_floats(op.inputs[1]);
    top << L << ":\n    for (int o = 0; o < " << oc << "; ++o) {\n      float acc = 0.0f;\n";
    top << "      for (int k = 0; k < " << ic << "; ++k) {\n#pragma HLS PIPELINE II=1\n";
    top << "        const float p = " << src << "[k] * kFloat[" << wo << " + o * " << ic << " + k];\n";
    top << "        acc = acc + p;\n      }\n";
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
      top << "      " << dst << "[o] = acc + kFloat[" << add_floats(op.inputs[2]) << " + o];\n    }\n";
    } else {
      top << "      " << dst << "[o] = acc;\n    }\n";
    }
  } else if (std::holds_alternative<FlattenOp>(op.attrs)) {
    top << L << ":\n    for (int i = 0; i < " << pixels(x) * channels(x)
        << "; ++i) {\n#pragma HLS PIPELINE II=1\n";
    top << "      " << dst << "[i] = " << src << "[i];\n    }\n";
  } else {
    throw Error("hls: op '" + op.name + "' (" + name + ") is not supported by the HLS generator");
  }
  top << "  }\n";
}

std::string Generator::model_h() const {
  const auto& in = shape(g_.inputs[0]);
  std::ostringstream s;
  s << "// Generated by bnnkit hls from model '" << g_.metadata.name << "'. Do not edit: regenerate.\n";
  s << "#pragma once\n\n#include <cstdint>\n\n";
  s << "constexpr int kInputH = " << in[1] << ", kInputW = " << in[2] << ", kInputC = " << in[3] << ";\n";
  s << "constexpr int kInputBytes = " << static_cast<int64_t>(in[1]) * in[2] * in[3]
    << ";  // one uint8 NHWC image\n";
  s << "constexpr int kClasses = " << shape(g_.outputs[0])[1] << ";\n\n";
  s << "// Runs the network on one image and writes the float logits.\n";
  s << "void " << o_.top << "(const uint8_t image[kInputBytes], float logits[kClasses]);\n";
  return s.str();
}

// The shared binary conv engine, identical for every model (the layer is a runtime argument).
const char* kEngine =
    R"(// 2-bit activation code q in [0, 3] of x: kernels/bitpack quant2bit_code, ties up, NaN -> 0.
static inline int quant2bit_code(float x) {
  if (x != x) return 0;
  const float xc = x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
  const float t = (xc + 1.0f) * 1.5f;
  const int q = static_cast<int>(std::floor(t + 0.5f));
  return q < 0 ? 0 : (q > 3 ? 3 : q);
}

// Bit count of a word without a library call (a tree of adds, as FracBNN's compute_engine_64).
static inline int popcount_word(word_t x) {
#pragma HLS INLINE
  int n = 0;
  for (int b = 0; b < kWordBits; ++b) {
#pragma HLS UNROLL
    n += static_cast<int>((x >> b) & 1);
  }
  return n;
}

struct ConvLayer {
  int ih, iw, ic, icw, oc, kh, kw, sh, sw, ph, pw, oh, ow;
  bool pad_one;  // padded taps are +1 (else they contribute nothing)
  int woff;      // offset of the layer in each weight bank
  int gate;      // offset of the gate thresholds in kInt (fractional convs)
};

// Partial sums of one output tile: MSB and LSB planes, one bank per lane.
static int32_t acc_msb[kP][kMaxPixels];
static int32_t acc_lsb[kP][kMaxPixels];

// One pass of the shared binary conv engine: output channels [o0, o0 + kP), input word wi, one bit plane. The
// raster runs over the input plus the padding so the kh x kw window (fed by a line buffer of kh - 1 rows) has
// been complete at every output position once; strided layers keep every s-th position. An LSB pass adds only
// where the finished MSB sum exceeds the channel's gate (FracBNN: acc = 2 D_msb + gate * D_lsb).
static void conv_pass(const word_t* plane, const ConvLayer& L, int o0, int wi, bool lsb) {
#pragma HLS INLINE off
  static word_t line[kLineRows][kMaxCols];
  word_t win[kMaxK][kMaxK];
#pragma HLS ARRAY_PARTITION variable=line complete dim=1
#pragma HLS ARRAY_PARTITION variable=win complete dim=0
  const int valid = L.ic - wi * kWordBits < kWordBits ? L.ic - wi * kWordBits : kWordBits;
raster_rows:
  for (int r = 0; r < L.ih + L.ph; ++r) {
  raster_cols:
    for (int c = 0; c < L.iw + L.pw; ++c) {
#pragma HLS PIPELINE II=1
      for (int i = 0; i < kMaxK; ++i)
        for (int j = 0; j + 1 < kMaxK; ++j) win[i][j] = win[i][j + 1];
      const word_t in = (r < L.ih && c < L.iw) ? plane[(r * L.iw + c) * L.icw + wi] : word_t{0};
      for (int i = 0; i + 1 < kMaxK; ++i) win[i][kMaxK - 1] = line[i][c];
      for (int i = 0; i + 2 < kMaxK; ++i) line[i][c] = line[i + 1][c];
      if (kMaxK > 1) line[kLineRows - 1][c] = in;
      win[kMaxK - 1][kMaxK - 1] = in;
      // Output position (at stride 1) whose window ends at (r, c).
      const int y = r + L.ph - L.kh + 1, x = c + L.pw - L.kw + 1;
      if (y < 0 || x < 0 || y % L.sh != 0 || x % L.sw != 0) continue;
      const int oy = y / L.sh, ox = x / L.sw;
      if (oy >= L.oh || ox >= L.ow) continue;
      const int pix = oy * L.ow + ox;
    lanes:
      for (int o = 0; o < kP; ++o) {
#pragma HLS UNROLL
        const int oc = o0 + o;
        if (oc >= L.oc) continue;
        const bool open = !lsb || acc_msb[o][pix] > kInt[L.gate + oc];
        int32_t d = 0;
        for (int ti = 0; ti < L.kh; ++ti) {
          for (int tj = 0; tj < L.kw; ++tj) {
            const int yy = r - L.kh + 1 + ti, xx = c - L.kw + 1 + tj;
            const word_t w = kConvWeights[o][L.woff + ((o0 / kP) * L.kh * L.kw + ti * L.kw + tj) * L.icw + wi];
            if (yy >= 0 && yy < L.ih && xx >= 0 && xx < L.iw) {
              d += valid - 2 * popcount_word(win[kMaxK - L.kh + ti][kMaxK - L.kw + tj] ^ w);
            } else if (L.pad_one) {
              d += valid - 2 * popcount_word(w);
            }
          }
        }
        int32_t& acc = lsb ? acc_lsb[o][pix] : acc_msb[o][pix];
        acc = (wi == 0 ? 0 : acc) + (open ? d : 0);
      }
    }
  }
}

)";

std::string Generator::model_cc() {
  std::ostringstream top, stages;
  for (const Step& s : steps_) {
    const OpDef& first = g_.ops[s.ops[0]];
    if (std::holds_alternative<BConv2dOp>(first.attrs) || std::holds_alternative<FracConv2dOp>(first.attrs) ||
        std::holds_alternative<BDenseOp>(first.attrs)) {
      emit_conv_step(s, top, stages);
    } else {
      emit_op(s.ops[0], top);
    }
  }
  std::ostringstream s;
  s << "// Generated by bnnkit hls from model '" << g_.metadata.name << "'. Do not edit: regenerate.\n";
  s << "//\n// A layer-by-layer accelerator in the structure of FracBNN's (papers.md §2.6): one shared "
       "binary conv\n";
  s << "// engine, " << o_.out_parallel << " output channels per pass, " << o_.pack_bits
    << "-bit words; every float operation is the engine's\n// reference kernel's, in the same order (compile "
       "with "
       "-ffp-contract=off).\n";
  s << "#include \"model.h\"\n\n#include <cmath>\n#include <cstdint>\n#include <limits>\n\n";
  s << "typedef " << (wb_ == 64 ? "uint64_t" : "uint32_t") << " word_t;\n";
  s << "constexpr int kWordBits = " << wb_ << ";\n";
  s << "constexpr int kP = " << p_ << ";  // output channels per engine pass\n";
  s << "constexpr int kMaxK = " << max_k_ << ";  // largest kernel side\n";
  s << "constexpr int kLineRows = " << std::max(1, max_k_ - 1) << ";  // line buffer rows\n";
  s << "constexpr int kMaxCols = " << max_cols_ << ";  // longest raster row\n";
  s << "constexpr int kMaxPixels = " << max_pixels_ << ";  // largest output map of a binary layer\n\n";
  s << "#include \"weights.h\"\n\n";
  s << kEngine;
  s << "// On-chip feature maps, shared between layers whose lifetimes do not overlap.\n";
  static const char* kType[3] = {"float", "word_t", "int32_t"};
  static const char* kPrefix[3] = {"fmap", "wmap", "imap"};
  for (int cat = 0; cat < 3; ++cat)
    for (size_t k = 0; k < slots_[cat].size(); ++k)
      s << "static " << kType[cat] << " " << kPrefix[cat] << k << "[" << std::max<int64_t>(1, slots_[cat][k])
        << "];\n";
  s << "\n" << stages.str();
  s << "void " << o_.top << "(const uint8_t image[kInputBytes], float logits[kClasses]) {\n";
  s << "#pragma HLS INTERFACE m_axi port=image offset=slave bundle=IMG depth="
    << shape(g_.inputs[0])[1] * shape(g_.inputs[0])[2] * shape(g_.inputs[0])[3] << "\n";
  s << "#pragma HLS INTERFACE m_axi port=logits offset=slave bundle=OUT depth=" << shape(g_.outputs[0])[1]
    << "\n";
  s << "#pragma HLS INTERFACE s_axilite port=return bundle=CTRL\n";
  s << "#pragma HLS ALLOCATION instances=conv_pass limit=1 function\n";
  s << "#pragma HLS ARRAY_PARTITION variable=kConvWeights complete dim=1\n";
  s << "#pragma HLS ARRAY_PARTITION variable=acc_msb complete dim=1\n";
  s << "#pragma HLS ARRAY_PARTITION variable=acc_lsb complete dim=1\n";
  s << top.str() << "}\n";
  return s.str();
}

std::string Generator::weights_h() const {
  std::ostringstream s;
  s << "// Generated by bnnkit hls from model '" << g_.metadata.name
    << "': packed binary weights and parameters.\n";
  s << "// Do not edit: regenerate.\n//\n";
  s << "// kConvWeights[lane][i]: the weights of output channel o live in bank o % kP; a layer starting at "
       "offset\n";
  s << "// `woff` stores word w of tap (ti, tj) of channel o at woff + ((o / kP) * kh * kw + ti * kw + tj) * "
       "icw + w,\n";
  s << "// channel k of a word at bit k % kWordBits, bit 1 meaning -1 (the bnnkit packing, "
       "docs/ARCHITECTURE.md).\n";
  s << "#pragma once\n\n#include <cstdint>\n\n";
  const int64_t depth = banks_.empty() ? 1 : std::max<int64_t>(1, static_cast<int64_t>(banks_[0].size()));
  s << "static const word_t kConvWeights[kP][" << depth << "] = {\n";
  char b[48];
  for (int lane = 0; lane < p_; ++lane) {
    s << "  {";
    for (int64_t i = 0; i < depth; ++i) {
      const uint64_t w =
          banks_.empty() || i >= static_cast<int64_t>(banks_[lane].size()) ? 0 : banks_[lane][i];
      if (wb_ == 64) {
        std::snprintf(b, sizeof b, "0x%016llxull", static_cast<unsigned long long>(w));
      } else {
        std::snprintf(b, sizeof b, "0x%08xu", static_cast<unsigned>(w));
      }
      s << (i % 6 == 0 ? "\n    " : " ") << b << ",";
    }
    s << "},\n";
  }
  s << "};\n\n";
  s << "static const float kFloat[" << std::max<size_t>(1, floats_.size()) << "] = {";
  for (size_t i = 0; i < floats_.size(); ++i)
    s << (i % 6 == 0 ? "\n  " : " ") << hexf(floats_[i], "constant") << ",";
  if (floats_.empty()) s << "0.0f";
  s << "};\n\n";
  s << "static const int32_t kInt[" << std::max<size_t>(1, ints_.size()) << "] = {";
  for (size_t i = 0; i < ints_.size(); ++i) {
    // INT32_MIN cannot be written as a negated literal.
    if (ints_[i] == INT32_MIN) {
      s << (i % 10 == 0 ? "\n  " : " ") << "-2147483647 - 1,";
    } else {
      s << (i % 10 == 0 ? "\n  " : " ") << ints_[i] << ",";
    }
  }
  if (ints_.empty()) s << "0";
  s << "};\n\n";
  s << "static const uint8_t kU8[" << std::max<size_t>(1, bytes_.size()) << "] = {";
  for (size_t i = 0; i < bytes_.size(); ++i)
    s << (i % 20 == 0 ? "\n  " : " ") << static_cast<int>(bytes_[i]) << ",";
  if (bytes_.empty()) s << "0";
  s << "};\n";
  return s.str();
}

std::string Generator::tb_cc() const {
  std::ostringstream s;
  s << "// Generated by bnnkit hls from model '" << g_.metadata.name << "': the C-simulation testbench.\n";
  s << R"(//
//   tb IMAGES [COUNT]
//
// IMAGES is an IDX file of uint8 images (magic 0x00000803 [n][h][w] or 0x00000804 [n][h][w][c], uncompressed) or
// raw bytes, kInputBytes per image. For each image it prints one line: its index, the predicted class and the
// logits as the hexadecimal bit patterns of the floats, so outputs compare exactly.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "model.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s IMAGES [COUNT]\n", argv[0]);
    return 2;
  }
  FILE* f = std::fopen(argv[1], "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "tb: cannot open %s\n", argv[1]);
    return 1;
  }
  std::vector<uint8_t> data;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, f)) > 0) data.insert(data.end(), chunk, chunk + got);
  std::fclose(f);
  size_t offset = 0;
  if (data.size() >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0x08 && (data[3] == 3 || data[3] == 4)) {
    const int dims = data[3];
    offset = 4 + 4 * static_cast<size_t>(dims);
    if (data.size() < offset) {
      std::fprintf(stderr, "tb: %s: truncated IDX header\n", argv[1]);
      return 1;
    }
    size_t per = 1;
    for (int d = 1; d < dims; ++d)
      per *= (static_cast<size_t>(data[4 + 4 * d]) << 24) | (static_cast<size_t>(data[5 + 4 * d]) << 16) |
             (static_cast<size_t>(data[6 + 4 * d]) << 8) | data[7 + 4 * d];
    if (per != static_cast<size_t>(kInputBytes)) {
      std::fprintf(stderr, "tb: %s: images of %zu bytes, the design takes %d\n", argv[1], per, kInputBytes);
      return 1;
    }
  }
  const size_t n = (data.size() - offset) / kInputBytes;
  const size_t count = argc > 2 ? std::min(n, static_cast<size_t>(std::strtoul(argv[2], nullptr, 10))) : n;
  for (size_t i = 0; i < count; ++i) {
    float logits[kClasses];
)";
  s << "    " << o_.top << "(data.data() + offset + i * kInputBytes, logits);\n";
  s << R"(    int best = 0;
    for (int k = 1; k < kClasses; ++k)
      if (logits[k] > logits[best]) best = k;
    std::printf("%zu %d", i, best);
    for (int k = 0; k < kClasses; ++k) {
      uint32_t bits;
      std::memcpy(&bits, &logits[k], 4);
      std::printf(" %08x", bits);
    }
    std::printf("\n");
  }
  return 0;
}
)";
  return s.str();
}

HlsResult Generator::run(const std::string& dir) {
  check();
  plan_steps();
  plan_buffers();
  const std::string cc = model_cc();  // fills the constant pools
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("hls: cannot create " + dir + ": " + ec.message());
  const std::pair<const char*, std::string> files[] = {
      {"model.h", model_h()}, {"model.cc", cc}, {"weights.h", weights_h()}, {"tb.cc", tb_cc()}};
  for (const auto& [name, text] : files) {
    const std::string path = (fs::path(dir) / name).string();
    std::ofstream f(path, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw Error("hls: cannot write " + path);
    result_.files.push_back(path);
  }
  for (const auto& b : banks_) result_.weight_words += static_cast<int64_t>(b.size());
  result_.params = static_cast<int64_t>(floats_.size() + ints_.size() + bytes_.size());
  return result_;
}

}  // namespace

HlsResult generate_hls(const Graph& g, const std::string& dir, const HlsOptions& options) {
  return Generator(g, options).run(dir);
}

}  // namespace bnnkit::hw
