// Graph helpers and the GraphBuilder: shapes are inferred op by op with the runtime's own inference, so a
// graph that builds is a graph that loads.
#include <cstring>
#include <type_traits>

#include "bnnkit/graph.h"
#include "kernels/common/bits.h"
#include "runtime/infer.h"

namespace bnnkit {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt32:
      return "int32";
    case DType::kUInt8:
      return "uint8";
    case DType::kBits:
      return "bits";
  }
  return "unknown";
}

namespace {
constexpr const char* kOpNames[] = {
    "Thermometer", "SignQuant",     "Quant2Bit", "QuantUniform", "BConv2d",    "BDense",     "FracConv2d",
    "Conv2d",      "Dense",         "Affine",    "PReLU",        "RPReLU",     "DPReLU",     "Activation",
    "Add",         "ScaleChannels", "Concat",    "ChannelDup",   "ChannelPad", "ChannelAvg", "AvgPool",
    "MaxPool",     "GlobalAvgPool", "Flatten",   "Softmax",      "ArgMax",     "PGConv2d"};
static_assert(std::size(kOpNames) == std::variant_size_v<OpAttrs>, "every op needs a name");
}  // namespace

const char* op_name(const OpAttrs& attrs) {
  return kOpNames[attrs.index()];
}

size_t tensor_bytes(DType dtype, const std::vector<int>& shape) {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  switch (dtype) {
    case DType::kFloat32:
    case DType::kInt32:
      return n * 4;
    case DType::kUInt8:
      return n;
    case DType::kBits: {
      if (shape.empty()) return 8;
      const int c = shape.back();
      return c == 0 ? 0 : n / static_cast<size_t>(c) * kernels::words_for(c) * 8;
    }
  }
  return 0;
}

namespace detail {
void throw_not_monotone(int32_t k_max) {
  throw std::invalid_argument("fold: the epilogue is not monotone in the accumulator over [-" +
                              std::to_string(k_max) + ", " + std::to_string(k_max) + "]");
}
}  // namespace detail

GraphBuilder::GraphBuilder(std::string model_name) {
  graph_.metadata.name = std::move(model_name);
}

const TensorDef& GraphBuilder::tensor(int index) const {
  if (index < 0 || index >= static_cast<int>(graph_.tensors.size()))
    throw std::invalid_argument("GraphBuilder: no tensor " + std::to_string(index));
  return graph_.tensors[index];
}

std::string GraphBuilder::unique_name(const std::string& wanted, const char* fallback) {
  std::string base = wanted.empty() ? std::string(fallback) + "_" + std::to_string(op_counter_) : wanted;
  std::string name = base;
  for (int k = 1;; ++k) {
    bool taken = false;
    for (const TensorDef& t : graph_.tensors) taken = taken || t.name == name;
    if (!taken) return name;
    name = base + "_" + std::to_string(k);
  }
}

int GraphBuilder::input(const std::string& name, DType dtype, std::vector<int> shape) {
  for (int d : shape)
    if (d <= 0) throw std::invalid_argument("input '" + name + "': dimensions must be positive");
  graph_.tensors.push_back({unique_name(name, "input"), dtype, std::move(shape), -1});
  const int t = static_cast<int>(graph_.tensors.size()) - 1;
  graph_.inputs.push_back(t);
  return t;
}

void GraphBuilder::output(int t, const std::string& name) {
  tensor(t);
  if (!name.empty()) graph_.tensors[t].name = name;
  graph_.outputs.push_back(t);
}

int GraphBuilder::add_constant(const std::string& name, DType dtype, std::vector<int> shape,
                               std::vector<uint8_t> bytes) {
  if (bytes.size() != tensor_bytes(dtype, shape))
    throw std::invalid_argument("constant '" + name + "': " + std::to_string(bytes.size()) +
                                " bytes given, " + std::to_string(tensor_bytes(dtype, shape)) +
                                " needed for " + runtime::shape_str(shape));
  graph_.buffers.push_back(std::move(bytes));
  graph_.tensors.push_back(
      {unique_name(name, "const"), dtype, std::move(shape), static_cast<int>(graph_.buffers.size()) - 1});
  return static_cast<int>(graph_.tensors.size()) - 1;
}

namespace {
template <class T>
std::vector<uint8_t> to_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}
size_t count_of(const std::vector<int>& shape) {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  return n;
}
}  // namespace

int GraphBuilder::constant_f32(const std::string& name, std::vector<int> shape,
                               const std::vector<float>& values) {
  if (values.size() != count_of(shape))
    throw std::invalid_argument("constant '" + name + "': wrong element count");
  return add_constant(name, DType::kFloat32, std::move(shape), to_bytes(values));
}
int GraphBuilder::constant_i32(const std::string& name, std::vector<int> shape,
                               const std::vector<int32_t>& values) {
  if (values.size() != count_of(shape))
    throw std::invalid_argument("constant '" + name + "': wrong element count");
  return add_constant(name, DType::kInt32, std::move(shape), to_bytes(values));
}
int GraphBuilder::constant_u8(const std::string& name, std::vector<int> shape,
                              const std::vector<uint8_t>& values) {
  if (values.size() != count_of(shape))
    throw std::invalid_argument("constant '" + name + "': wrong element count");
  return add_constant(name, DType::kUInt8, std::move(shape), values);
}
int GraphBuilder::constant_bits(const std::string& name, std::vector<int> shape,
                                const std::vector<float>& pm1) {
  if (shape.empty() || pm1.size() != count_of(shape))
    throw std::invalid_argument("constant '" + name + "': wrong element count");
  const int c = shape.back();
  const size_t rows = pm1.size() / c;
  const int words = kernels::words_for(c);
  std::vector<kernels::Word> packed(rows * words, 0);
  for (size_t r = 0; r < rows; ++r)
    for (int k = 0; k < c; ++k)
      if (kernels::sign_bit(pm1[r * c + k])) packed[r * words + k / 64] |= kernels::Word{1} << (k % 64);
  return add_constant(name, DType::kBits, std::move(shape), to_bytes(packed));
}

std::vector<int> GraphBuilder::add_op(OpAttrs attrs, std::vector<int> inputs, const std::string& name) {
  ++op_counter_;
  OpDef op{name.empty() ? std::string(op_name(attrs)) + "_" + std::to_string(op_counter_) : name,
           std::move(attrs),
           std::move(inputs),
           {}};
  std::vector<runtime::TensorSpec> specs;
  specs.reserve(op.inputs.size());
  for (int t : op.inputs) {
    if (t == -1) {
      specs.push_back({});
      continue;
    }
    const TensorDef& td = tensor(t);
    specs.push_back({td.dtype, td.shape, td.buffer >= 0});
  }
  std::vector<const runtime::TensorSpec*> ptrs;
  for (size_t i = 0; i < op.inputs.size(); ++i) ptrs.push_back(op.inputs[i] == -1 ? nullptr : &specs[i]);
  std::vector<runtime::TensorSpec> outs;
  try {
    outs = runtime::infer_outputs(op, ptrs);
  } catch (const Error& e) {
    throw std::invalid_argument(e.what());
  }
  for (size_t k = 0; k < outs.size(); ++k) {
    const std::string tname =
        unique_name(outs.size() == 1 ? op.name : op.name + ":" + std::to_string(k), op_name(op.attrs));
    graph_.tensors.push_back({tname, outs[k].dtype, outs[k].shape, -1});
    op.outputs.push_back(static_cast<int>(graph_.tensors.size()) - 1);
  }
  graph_.ops.push_back(op);
  return graph_.ops.back().outputs;
}

namespace {
std::vector<int> stage_inputs(const Stage& s, OutputKind& kind) {
  if (auto* f = std::get_if<FloatStage>(&s)) {
    kind = OutputKind::kFloat;
    return {f->scale, f->bias};
  }
  if (auto* b = std::get_if<BitsStage>(&s)) {
    kind = OutputKind::kBits;
    return {b->threshold, b->flip};
  }
  kind = OutputKind::kInt32;
  return {};
}
}  // namespace

int GraphBuilder::thermometer(int x, int levels, const std::string& name) {
  return add_op(ThermometerOp{levels}, {x}, name)[0];
}
int GraphBuilder::sign_quant(int x, int threshold, const std::string& name) {
  return add_op(SignQuantOp{}, threshold < 0 ? std::vector<int>{x} : std::vector<int>{x, threshold}, name)[0];
}
std::pair<int, int> GraphBuilder::quant2bit(int x, const std::string& name) {
  auto o = add_op(Quant2BitOp{}, {x}, name);
  return {o[0], o[1]};
}
int GraphBuilder::quant_uniform(int x, int bits, float lo, float hi, const std::string& name, bool codes) {
  return add_op(QuantUniformOp{bits, lo, hi, codes}, {x}, name)[0];
}
int GraphBuilder::bconv2d(int x, int weights, ConvAttrs conv, Padding padding, Stage stage,
                          const std::string& name) {
  OutputKind kind;
  std::vector<int> in{x, weights};
  for (int t : stage_inputs(stage, kind)) in.push_back(t);
  return add_op(BConv2dOp{conv, padding, kind}, in, name)[0];
}
int GraphBuilder::bdense(int x, int weights, Stage stage, const std::string& name) {
  OutputKind kind;
  std::vector<int> in{x, weights};
  for (int t : stage_inputs(stage, kind)) in.push_back(t);
  return add_op(BDenseOp{kind}, in, name)[0];
}
int GraphBuilder::fracconv2d(int msb, int lsb, int weights, int gate_threshold, ConvAttrs conv,
                             Padding padding, Stage stage, const std::string& name) {
  OutputKind kind;
  std::vector<int> in{msb, lsb, weights, gate_threshold};
  for (int t : stage_inputs(stage, kind)) in.push_back(t);
  return add_op(FracConv2dOp{conv, padding, kind}, in, name)[0];
}
int GraphBuilder::conv2d(int x, int weights, int bias, ConvAttrs conv, int groups, const std::string& name,
                         int weight_bits, int act_bits) {
  return add_op(Conv2dOp{conv, groups, weight_bits, act_bits}, {x, weights, bias}, name)[0];
}
int GraphBuilder::dense(int x, int weights, int bias, const std::string& name, int weight_bits,
                        int act_bits) {
  return add_op(DenseOp{weight_bits, act_bits}, {x, weights, bias}, name)[0];
}
int GraphBuilder::affine(int x, int scale, int bias, const std::string& name) {
  return add_op(AffineOp{}, {x, scale, bias}, name)[0];
}
int GraphBuilder::prelu(int x, int slope, const std::string& name) {
  return add_op(PReLUOp{}, {x, slope}, name)[0];
}
int GraphBuilder::rprelu(int x, int gamma, int slope, int zeta, const std::string& name) {
  return add_op(RPReLUOp{}, {x, gamma, slope, zeta}, name)[0];
}
int GraphBuilder::dprelu(int x, int beta, int eta_pos, int eta_neg, int gamma, const std::string& name) {
  return add_op(DPReLUOp{}, {x, beta, eta_pos, eta_neg, gamma}, name)[0];
}
int GraphBuilder::activation(int x, ActivationKind kind, const std::string& name) {
  return add_op(ActivationOp{kind}, {x}, name)[0];
}
int GraphBuilder::add(int a, int b, const std::string& name) {
  return add_op(AddOp{}, {a, b}, name)[0];
}
int GraphBuilder::scale_channels(int x, int s, const std::string& name) {
  return add_op(ScaleChannelsOp{}, {x, s}, name)[0];
}
int GraphBuilder::concat(int a, int b, const std::string& name) {
  return add_op(ConcatOp{}, {a, b}, name)[0];
}
int GraphBuilder::channel_dup(int x, int times, const std::string& name) {
  return add_op(ChannelDupOp{times}, {x}, name)[0];
}
int GraphBuilder::channel_pad(int x, int channels, const std::string& name) {
  return add_op(ChannelPadOp{channels}, {x}, name)[0];
}
int GraphBuilder::channel_avg(int x, int channels, const std::string& name) {
  return add_op(ChannelAvgOp{channels}, {x}, name)[0];
}
int GraphBuilder::avg_pool(int x, ConvAttrs window, bool count_include_pad, const std::string& name,
                           int ph_end, int pw_end) {
  return add_op(AvgPoolOp{window, count_include_pad, ph_end, pw_end}, {x}, name)[0];
}
int GraphBuilder::max_pool(int x, ConvAttrs window, const std::string& name, int ph_end, int pw_end) {
  return add_op(MaxPoolOp{window, ph_end, pw_end}, {x}, name)[0];
}
int GraphBuilder::global_avg_pool(int x, const std::string& name) {
  return add_op(GlobalAvgPoolOp{}, {x}, name)[0];
}
int GraphBuilder::flatten(int x, const std::string& name) {
  return add_op(FlattenOp{}, {x}, name)[0];
}
int GraphBuilder::softmax(int x, const std::string& name) {
  return add_op(SoftmaxOp{}, {x}, name)[0];
}
int GraphBuilder::argmax(int x, const std::string& name) {
  return add_op(ArgMaxOp{}, {x}, name)[0];
}
int GraphBuilder::pgconv2d(int x, int weight_codes, int delta, PGConv2dOp attrs, Stage stage,
                           const std::string& name) {
  std::vector<int> in{x, weight_codes, delta};
  for (int t : stage_inputs(stage, attrs.output)) in.push_back(t);
  return add_op(attrs, in, name)[0];
}

Graph GraphBuilder::finish() {
  try {
    runtime::validate_graph(graph_);
  } catch (const Error& e) {
    throw std::invalid_argument(e.what());
  }
  return graph_;
}

}  // namespace bnnkit
