// Graph -> model-file bytes (schema/bnnkit.fbs), and the atomic save.

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "bnnkit/bnnkit.h"
#include "bnnkit_generated.h"
#include "runtime/atomic_file.h"
#include "runtime/infer.h"

namespace bnnkit {
namespace {

namespace fb = bnnkit::fb;

// The union's members are declared in the same order as OpAttrs' alternatives, so the type tag is the
// alternative index + 1 (0 is NONE).
static_assert(static_cast<int>(fb::OpOptions::MAX) == std::variant_size_v<OpAttrs>,
              "schema OpOptions and OpAttrs must list the same ops in the same order");

fb::Conv to_fb(const ConvAttrs& c) {
  return fb::Conv(c.kh, c.kw, c.sh, c.sw, c.ph, c.pw);
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang before 17 has no class template argument deduction for aggregates (the fuzz build uses clang 14).
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

flatbuffers::Offset<void> options(flatbuffers::FlatBufferBuilder& b, const OpAttrs& attrs) {
  return std::visit(
      Overloaded{
          [&](const ThermometerOp& a) { return fb::CreateThermometer(b, a.levels).Union(); },
          [&](const SignQuantOp&) { return fb::CreateSignQuant(b).Union(); },
          [&](const Quant2BitOp&) { return fb::CreateQuant2Bit(b).Union(); },
          [&](const QuantUniformOp& a) {
            return fb::CreateQuantUniform(b, a.bits, a.lo, a.hi, a.codes).Union();
          },
          [&](const BConv2dOp& a) {
            const fb::Conv c = to_fb(a.conv);
            return fb::CreateBConv2d(b, &c, static_cast<fb::Padding>(a.padding),
                                     static_cast<fb::OutputKind>(a.output))
                .Union();
          },
          [&](const BDenseOp& a) {
            return fb::CreateBDense(b, static_cast<fb::OutputKind>(a.output)).Union();
          },
          [&](const FracConv2dOp& a) {
            const fb::Conv c = to_fb(a.conv);
            return fb::CreateFracConv2d(b, &c, static_cast<fb::Padding>(a.padding),
                                        static_cast<fb::OutputKind>(a.output))
                .Union();
          },
          [&](const Conv2dOp& a) {
            const fb::Conv c = to_fb(a.conv);
            return fb::CreateConv2d(b, &c, a.groups, a.weight_bits, a.act_bits).Union();
          },
          [&](const DenseOp& a) { return fb::CreateDense(b, a.weight_bits, a.act_bits).Union(); },
          [&](const AffineOp&) { return fb::CreateAffine(b).Union(); },
          [&](const PReLUOp&) { return fb::CreatePReLU(b).Union(); },
          [&](const RPReLUOp&) { return fb::CreateRPReLU(b).Union(); },
          [&](const DPReLUOp&) { return fb::CreateDPReLU(b).Union(); },
          [&](const ActivationOp& a) {
            return fb::CreateActivation(b, static_cast<fb::ActivationKind>(a.kind)).Union();
          },
          [&](const AddOp&) { return fb::CreateAdd(b).Union(); },
          [&](const ScaleChannelsOp&) { return fb::CreateScaleChannels(b).Union(); },
          [&](const ConcatOp&) { return fb::CreateConcat(b).Union(); },
          [&](const ChannelDupOp& a) { return fb::CreateChannelDup(b, a.times).Union(); },
          [&](const ChannelPadOp& a) { return fb::CreateChannelPad(b, a.channels).Union(); },
          [&](const ChannelAvgOp& a) { return fb::CreateChannelAvg(b, a.channels).Union(); },
          [&](const AvgPoolOp& a) {
            const fb::Conv c = to_fb(a.window);
            return fb::CreateAvgPool(b, &c, a.count_include_pad, a.ph_end, a.pw_end).Union();
          },
          [&](const MaxPoolOp& a) {
            const fb::Conv c = to_fb(a.window);
            return fb::CreateMaxPool(b, &c, a.ph_end, a.pw_end).Union();
          },
          [&](const GlobalAvgPoolOp&) { return fb::CreateGlobalAvgPool(b).Union(); },
          [&](const FlattenOp&) { return fb::CreateFlatten(b).Union(); },
          [&](const SoftmaxOp&) { return fb::CreateSoftmax(b).Union(); },
          [&](const ArgMaxOp&) { return fb::CreateArgMax(b).Union(); },
          [&](const PGConv2dOp& a) {
            const fb::Conv c = to_fb(a.conv);
            return fb::CreatePGConv2d(b, &c, a.act_bits, a.high_bits, a.weight_bits, a.weight_step,
                                      static_cast<fb::OutputKind>(a.output))
                .Union();
          },
      },
      attrs);
}

}  // namespace

uint32_t required_schema_version(const Graph& graph) {
  uint32_t v = 1;
  for (const OpDef& op : graph.ops)
    if (const auto* q = std::get_if<QuantUniformOp>(&op.attrs); q != nullptr && q->codes) v = std::max(v, 2u);
  return v;
}

std::vector<uint8_t> serialize_model(const Graph& g) {
  flatbuffers::FlatBufferBuilder b(1 << 16);
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const TensorDef& t : g.tensors)
    tensors.push_back(
        fb::CreateTensorDirect(b, t.name.c_str(), static_cast<fb::DType>(t.dtype), &t.shape, t.buffer));
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  for (const auto& buf : g.buffers) {
    // 64-byte alignment lets a reader map weights in place later without changing the format.
    b.ForceVectorAlignment(buf.size(), 1, 64);
    buffers.push_back(fb::CreateBuffer(b, b.CreateVector(buf)));
  }
  std::vector<flatbuffers::Offset<fb::Operator>> ops;
  for (const OpDef& op : g.ops) {
    const auto opts = options(b, op.attrs);
    ops.push_back(fb::CreateOperatorDirect(
        b, op.name.c_str(), static_cast<fb::OpOptions>(op.attrs.index() + 1), opts, &op.inputs, &op.outputs));
  }
  const ModelMetadata& m = g.metadata;
  std::vector<flatbuffers::Offset<flatbuffers::String>> classes;
  for (const auto& c : m.class_names) classes.push_back(b.CreateString(c));
  std::vector<flatbuffers::Offset<fb::KeyValue>> props;
  for (const auto& [k, v] : m.properties) props.push_back(fb::CreateKeyValueDirect(b, k.c_str(), v.c_str()));
  const auto meta = fb::CreateMetadataDirect(b, m.name.c_str(), m.description.c_str(), m.producer.c_str(),
                                             &classes, &m.input_mean, &m.input_std, &props);
  const auto root = fb::CreateModelDirect(b, required_schema_version(g), meta, &tensors, &buffers, &ops,
                                          &g.inputs, &g.outputs);
  fb::FinishModelBuffer(b, root);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

void save_model(const Graph& graph, const std::string& path) {
  runtime::validate_graph(graph);
  const std::vector<uint8_t> bytes = serialize_model(graph);
  // Temp file, fsync, rename, fsync of the folder: a crash leaves the old model or the new one.
  runtime::write_file_atomic(
      path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "model");
}

}  // namespace bnnkit
