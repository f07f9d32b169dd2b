// Model-file bytes -> verified Graph. Three gates, each with its own message: the FlatBuffers identifier and
// Verifier (structure: offsets, sizes, nesting — nothing is read before it passes), the schema version, and
// the semantic checks of runtime::validate_graph (indices, shapes, attributes).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bnnkit/bnnkit.h"
#include "bnnkit_generated.h"
#include "model/model_file.h"
#include "runtime/infer.h"

namespace bnnkit {
namespace {

namespace fb = bnnkit::fb;

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw Error("model '" + origin + "': " + what);
}

ConvAttrs conv_of(const fb::Conv* c, const std::string& origin, const std::string& op) {
  if (c == nullptr) fail(origin, "op '" + op + "' has no convolution/window attributes");
  return {c->kh(), c->kw(), c->sh(), c->sw(), c->ph(), c->pw()};
}

template <class E>
E checked_enum(int v, int max, const std::string& origin, const std::string& what) {
  if (v < 0 || v > max) fail(origin, what + " has unknown value " + std::to_string(v));
  return static_cast<E>(v);
}

OpAttrs attrs_of(const fb::Operator& op, const std::string& origin, const std::string& name) {
  const auto kind = [&](fb::OutputKind k) {
    return checked_enum<OutputKind>(static_cast<int>(k), 2, origin, "op '" + name + "' output kind");
  };
  const auto pad = [&](fb::Padding p) {
    return checked_enum<Padding>(static_cast<int>(p), 1, origin, "op '" + name + "' padding");
  };
  // The Verifier accepts a union whose type is set but whose table is absent; every accessor below needs it.
  if (op.options_type() != fb::OpOptions::NONE && op.options() == nullptr)
    fail(origin, "op '" + name + "' has no attributes");
  switch (op.options_type()) {
    case fb::OpOptions::Thermometer:
      return ThermometerOp{op.options_as_Thermometer()->levels()};
    case fb::OpOptions::SignQuant:
      return SignQuantOp{};
    case fb::OpOptions::Quant2Bit:
      return Quant2BitOp{};
    case fb::OpOptions::QuantUniform: {
      const auto* o = op.options_as_QuantUniform();
      return QuantUniformOp{o->bits(), o->lo(), o->hi(), o->codes()};
    }
    case fb::OpOptions::BConv2d: {
      const auto* o = op.options_as_BConv2d();
      return BConv2dOp{conv_of(o->conv(), origin, name), pad(o->padding()), kind(o->output())};
    }
    case fb::OpOptions::BDense:
      return BDenseOp{kind(op.options_as_BDense()->output())};
    case fb::OpOptions::FracConv2d: {
      const auto* o = op.options_as_FracConv2d();
      return FracConv2dOp{conv_of(o->conv(), origin, name), pad(o->padding()), kind(o->output())};
    }
    case fb::OpOptions::Conv2d: {
      const auto* o = op.options_as_Conv2d();
      return Conv2dOp{conv_of(o->conv(), origin, name), o->groups(), o->weight_bits(), o->act_bits()};
    }
    case fb::OpOptions::Dense: {
      const auto* o = op.options_as_Dense();
      return DenseOp{o->weight_bits(), o->act_bits()};
    }
    case fb::OpOptions::Affine:
      return AffineOp{};
    case fb::OpOptions::PReLU:
      return PReLUOp{};
    case fb::OpOptions::RPReLU:
      return RPReLUOp{};
    case fb::OpOptions::DPReLU:
      return DPReLUOp{};
    case fb::OpOptions::Activation:
      return ActivationOp{checked_enum<ActivationKind>(static_cast<int>(op.options_as_Activation()->kind()),
                                                       3, origin, "op '" + name + "' activation kind")};
    case fb::OpOptions::Add:
      return AddOp{};
    case fb::OpOptions::ScaleChannels:
      return ScaleChannelsOp{};
    case fb::OpOptions::Concat:
      return ConcatOp{};
    case fb::OpOptions::ChannelDup:
      return ChannelDupOp{op.options_as_ChannelDup()->times()};
    case fb::OpOptions::ChannelPad:
      return ChannelPadOp{op.options_as_ChannelPad()->channels()};
    case fb::OpOptions::ChannelAvg:
      return ChannelAvgOp{op.options_as_ChannelAvg()->channels()};
    case fb::OpOptions::AvgPool: {
      const auto* o = op.options_as_AvgPool();
      return AvgPoolOp{conv_of(o->window(), origin, name), o->count_include_pad(), o->ph_end(), o->pw_end()};
    }
    case fb::OpOptions::MaxPool: {
      const auto* o = op.options_as_MaxPool();
      return MaxPoolOp{conv_of(o->window(), origin, name), o->ph_end(), o->pw_end()};
    }
    case fb::OpOptions::GlobalAvgPool:
      return GlobalAvgPoolOp{};
    case fb::OpOptions::Flatten:
      return FlattenOp{};
    case fb::OpOptions::Softmax:
      return SoftmaxOp{};
    case fb::OpOptions::ArgMax:
      return ArgMaxOp{};
    case fb::OpOptions::PGConv2d: {
      const auto* o = op.options_as_PGConv2d();
      PGConv2dOp a{conv_of(o->conv(), origin, name)};
      a.act_bits = o->act_bits(), a.high_bits = o->high_bits(), a.weight_bits = o->weight_bits();
      a.weight_step = o->weight_step(), a.output = kind(o->output());
      return a;
    }
    case fb::OpOptions::NONE:
      fail(origin, "op '" + name + "' has no type");
  }
  fail(origin, "op '" + name + "' has unknown type " + std::to_string(static_cast<int>(op.options_type())) +
                   " (written by a newer bnnkit?)");
}

std::string str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

template <class T>
std::vector<T> vec(const flatbuffers::Vector<T>* v) {
  return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>();
}

}  // namespace

namespace model_file {

Graph parse(std::span<const uint8_t> bytes, const std::string& origin) {
  if (bytes.size() < 8)
    fail(origin, "too small to be a bnnkit model (" + std::to_string(bytes.size()) + " bytes)");
  if (!fb::ModelBufferHasIdentifier(bytes.data())) {
    std::string id(reinterpret_cast<const char*>(bytes.data()) + 4, 4);
    for (char& c : id)
      if (c < 32 || c > 126) c = '?';
    fail(origin, "not a bnnkit model file (identifier '" + id + "', expected 'BNNK')");
  }
  flatbuffers::Verifier::Options opts;
  opts.max_depth = 32;
  opts.max_tables = 10'000'000;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), opts);
  if (!fb::VerifyModelBuffer(verifier))
    fail(origin, "corrupt or truncated file (FlatBuffers verification failed)");
  const fb::Model* m = fb::GetModel(bytes.data());
  if (m->schema_version() == 0) fail(origin, "schema version is missing");
  if (m->schema_version() > kSchemaVersion)
    fail(origin, "schema version " + std::to_string(m->schema_version()) +
                     " is newer than this bnnkit reads (" + std::to_string(kSchemaVersion) +
                     "); upgrade bnnkit");

  Graph g;
  if (m->tensors())
    for (const fb::Tensor* t : *m->tensors()) {
      if (t == nullptr) fail(origin, "null tensor entry");
      const int dt = static_cast<int>(t->dtype());
      if (dt < 0 || dt > 3)
        fail(origin, "tensor '" + str(t->name()) + "' has unknown dtype " + std::to_string(dt));
      g.tensors.push_back({str(t->name()), static_cast<DType>(dt), vec(t->shape()), t->buffer()});
    }
  if (m->buffers())
    for (const fb::Buffer* b : *m->buffers())
      g.buffers.push_back(b && b->data() ? vec(b->data()) : std::vector<uint8_t>{});
  if (m->operators())
    for (const fb::Operator* op : *m->operators()) {
      if (op == nullptr) fail(origin, "null operator entry");
      const std::string name = str(op->name());
      g.ops.push_back({name, attrs_of(*op, origin, name), vec(op->inputs()), vec(op->outputs())});
    }
  g.inputs = vec(m->inputs());
  g.outputs = vec(m->outputs());
  if (const fb::Metadata* md = m->metadata()) {
    ModelMetadata& meta = g.metadata;
    meta.name = str(md->name());
    meta.description = str(md->description());
    meta.producer = str(md->producer());
    if (md->class_names())
      for (const auto* s : *md->class_names()) meta.class_names.push_back(str(s));
    meta.input_mean = vec(md->input_mean());
    meta.input_std = vec(md->input_std());
    if (md->properties())
      for (const fb::KeyValue* kv : *md->properties())
        if (kv) meta.properties[str(kv->key())] = str(kv->value());
  }
  try {
    runtime::validate_graph(g);
  } catch (const Error& e) {
    fail(origin, e.what());
  }
  return g;
}

std::vector<uint8_t> read_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error("model '" + path + "': no such file");
  if (fs::is_directory(status)) throw Error("model '" + path + "': is a directory, not a model file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("model '" + path + "': cannot open: " + std::strerror(errno));
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size < 0) throw Error("model '" + path + "': cannot read");
  if (size > (std::streamoff{1} << 31))
    throw Error("model '" + path + "': larger than 2 GiB, not a bnnkit model");
  f.seekg(0);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!f.read(reinterpret_cast<char*>(bytes.data()), size)) throw Error("model '" + path + "': read failed");
  return bytes;
}

}  // namespace model_file
}  // namespace bnnkit
