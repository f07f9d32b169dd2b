// The model file: builder -> save -> load round trips, and every kind of malformed file gives a clear error.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "bnnkit/bnnkit.h"
#include "bnnkit_generated.h"
#include "test_util.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("bnnkit_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::vector<float> run_model(const Model& m, int batch, uint64_t seed, int threads = 1) {
  Session s(m, {.threads = threads, .batch = batch});
  ::bnnkit::testing::fill_input_random(s, seed);
  s.run();
  const auto out = s.output_f32(0);
  return {out.begin(), out.end()};
}

// Loads bytes and returns the error message ("" if it loaded).
std::string load_error(const std::vector<uint8_t>& bytes) {
  try {
    Model::from_bytes(bytes, "bad.bnn");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, SaveLoadRunEqualsInMemory) {
  const Graph g = zoo::build(GetParam(), 7);
  const fs::path path = temp_dir() / (GetParam() + ".bnn");
  save_model(g, path.string());
  const Model loaded = Model::load(path.string());
  const Model in_memory = Model::from_graph(g);
  // The loaded graph is the same graph.
  ASSERT_EQ(loaded.graph().tensors.size(), g.tensors.size());
  ASSERT_EQ(loaded.graph().ops.size(), g.ops.size());
  EXPECT_EQ(loaded.graph().buffers, g.buffers);
  EXPECT_EQ(loaded.metadata().class_names, g.metadata.class_names);
  EXPECT_EQ(loaded.metadata().name, g.metadata.name);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    EXPECT_EQ(loaded.graph().ops[i].name, g.ops[i].name);
    EXPECT_EQ(loaded.graph().ops[i].attrs.index(), g.ops[i].attrs.index());
    EXPECT_EQ(loaded.graph().ops[i].inputs, g.ops[i].inputs);
  }
  // And runs to bit-identical outputs.
  const auto a = run_model(loaded, 3, 11), b = run_model(in_memory, 3, 11);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "output " << i;
  // Serialising the loaded graph again gives the same bytes (nothing lost or reordered).
  EXPECT_EQ(serialize_model(loaded.graph()), serialize_model(g));
}

INSTANTIATE_TEST_SUITE_P(Synthetic, RoundTrip, ::testing::ValuesIn(zoo::small_arch_names()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

// QuantUniform codes round-trips, runs to the centred level index, and is the one feature that makes a file
// schema version 2; every other file stays version 1, which older readers load.
TEST(ModelFile, QuantUniformCodesNeedsVersionTwo) {
  auto make = [](bool codes) {
    GraphBuilder b("q");
    const int x = b.input("x", DType::kFloat32, {1, 1, 1, 4});
    b.output(b.quant_uniform(x, 4, -2.0f, 2.0f, "q", codes), "y");
    return b.finish();
  };
  for (const bool codes : {false, true}) {
    SCOPED_TRACE(codes ? "codes" : "values");
    const Graph g = make(codes);
    EXPECT_EQ(required_schema_version(g), codes ? 2u : 1u);
    const auto bytes = serialize_model(g);
    EXPECT_EQ(fb::GetModel(bytes.data())->schema_version(), codes ? 2u : 1u);
    const Model m = Model::from_bytes(bytes, "q.bnn");
    ASSERT_TRUE(std::holds_alternative<QuantUniformOp>(m.graph().ops[0].attrs));
    EXPECT_EQ(std::get<QuantUniformOp>(m.graph().ops[0].attrs).codes, codes);
    Session s(m, {.batch = 1});
    const std::vector<float> in = {-5.0f, -0.1f, 0.2f, 1.9f};
    s.set_input(0, std::span<const float>(in));
    s.run();
    const auto y = s.output_f32(0);
    // step 4/15: -5 clamps to level 0, -0.1 -> 7 (v = 7.125), 0.2 -> 8 (v = 8.25), 1.9 -> 15 (v = 14.625).
    const std::vector<float> want =
        codes ? std::vector<float>{-15.0f, -1.0f, 1.0f, 15.0f}
              : std::vector<float>{-2.0f, -2.0f + 7 * (4.0f / 15), -2.0f + 8 * (4.0f / 15),
                                   -2.0f + 15 * (4.0f / 15)};
    ASSERT_EQ(y.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(y[i], want[i]) << i;
  }
}

TEST(ModelFile, SaveIsAtomicAndLeavesNoTemporaryFiles) {
  const fs::path dir = temp_dir() / "atomic";
  fs::create_directories(dir);
  const fs::path path = dir / "m.bnn";
  save_model(zoo::build("bnn-mlp"), path.string());
  const auto first = fs::file_size(path);
  save_model(zoo::build("fracbnn-tiny"), path.string());  // overwrite in place
  EXPECT_NE(fs::file_size(path), first);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  // A failed save (missing folder) leaves the target untouched and says why.
  try {
    save_model(zoo::build("bnn-mlp"), (dir / "missing" / "m.bnn").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write model"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, MissingFileAndDirectory) {
  try {
    Model::load("/nonexistent/model.bnn");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "model '/nonexistent/model.bnn': no such file");
  }
  try {
    Model::load(temp_dir().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos);
  }
}

// ---- malformed files
// -------------------------------------------------------------------------------------------

struct Malformed {
  const char* name;
  std::function<std::vector<uint8_t>()> make;
  const char* message;  // expected substring
};

std::vector<uint8_t> valid_bytes() {
  return serialize_model(zoo::build("fracbnn-tiny", 3));
}

// A graph mutated after building, serialised without validation.
std::vector<uint8_t> mutated(const std::function<void(Graph&)>& edit) {
  Graph g = zoo::build("fracbnn-tiny", 3);
  edit(g);
  return serialize_model(g);
}

int find_op(const Graph& g, const char* type) {
  for (size_t i = 0; i < g.ops.size(); ++i)
    if (std::string(op_name(g.ops[i].attrs)) == type) return static_cast<int>(i);
  return -1;
}

std::vector<uint8_t> with_version(uint32_t version) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<int> none;
  b.Finish(fb::CreateModelDirect(b, version, 0, nullptr, nullptr, nullptr, &none, &none), "BNNK");
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

const std::vector<Malformed>& malformed_cases() {
  static const std::vector<Malformed> cases = {
      {"Empty", [] { return std::vector<uint8_t>{}; }, "too small to be a bnnkit model (0 bytes)"},
      {"FourBytes",
       [] {
         return std::vector<uint8_t>{1, 2, 3, 4};
       },
       "too small"},
      {"RandomBytes",
       [] {
         std::mt19937 rng(5);
         std::vector<uint8_t> v(4096);
         for (auto& b : v) b = static_cast<uint8_t>(rng());
         return v;
       },
       "not a bnnkit model file"},
      {"TruncatedHalf",
       [] {
         auto v = valid_bytes();
         v.resize(v.size() / 2);
         return v;
       },
       "corrupt or truncated"},
      {"TruncatedTail",
       [] {
         auto v = valid_bytes();
         v.resize(v.size() - 3);
         return v;
       },
       "corrupt or truncated"},
      {"WrongIdentifier",
       [] {
         auto v = valid_bytes();
         v[4] = 'X';
         return v;
       },
       "identifier 'XNNK', expected 'BNNK'"},
      {"NewerVersion", [] { return with_version(kSchemaVersion + 1); }, "is newer than this bnnkit reads"},
      {"MissingVersion", [] { return with_version(0); }, "schema version is missing"},
      {"OpInputOutOfRange", [] { return mutated([](Graph& g) { g.ops[2].inputs[0] = 9999; }); },
       "refers to tensor 9999"},
      {"OutputOutOfRange", [] { return mutated([](Graph& g) { g.outputs[0] = -5; }); },
       "graph output refers to tensor -5"},
      {"BufferOutOfRange",
       [] {
         return mutated([](Graph& g) {
           for (auto& t : g.tensors)
             if (t.buffer >= 0) {
               t.buffer = 4242;
               break;
             }
         });
       },
       "refers to buffer 4242"},
      {"BufferWrongSize", [] { return mutated([](Graph& g) { g.buffers[0].pop_back(); }); },
       "bytes, its buffer has"},
      {"InconsistentRecordedShape",
       [] { return mutated([](Graph& g) { g.tensors[g.ops[1].outputs[0]].shape[3] += 1; }); },
       "but tensor 'stem' is recorded as"},
      {"WeightsChannelMismatch",
       [] {
         return mutated([](Graph& g) {
           // Point the stem conv at a fractional conv's weights (16 input channels, not 32).
           const int frac = find_op(g, "FracConv2d");
           g.ops[1].inputs[1] = g.ops[frac].inputs[2];
         });
       },
       "input channels, input has"},
      {"WeightPaddingBitsSet",
       [] {
         return mutated([](Graph& g) {
           // Bit 40 of the first word of the fractional conv's weights: past its 16 input channels.
           const TensorDef& w = g.tensors[g.ops[find_op(g, "FracConv2d")].inputs[2]];
           g.buffers[w.buffer][5] |= 0x01;
         });
       },
       "has bits set past its 16 channels in row 0 (padding bits must be 0)"},
      {"ReadBeforeWrite", [] { return mutated([](Graph& g) { std::swap(g.ops[0], g.ops[1]); }); },
       "before any op produces it"},
      {"ZeroStride",
       [] { return mutated([](Graph& g) { std::get<BConv2dOp>(g.ops[1].attrs).conv.sh = 0; }); },
       "stride must be in 1..64"},
      {"BadThermometerLevels",
       [] { return mutated([](Graph& g) { std::get<ThermometerOp>(g.ops[0].attrs).levels = 33; }); },
       "levels must divide 256"},
      {"NegativeDimension", [] { return mutated([](Graph& g) { g.tensors[0].shape[1] = -28; }); },
       "non-positive dimension"},
      {"NoOutputs", [] { return mutated([](Graph& g) { g.outputs.clear(); }); }, "the model has no outputs"},
      {"ChannelCountOverflow",
       [] {
         return mutated([](Graph& g) {
           g.tensors[g.inputs[0]].shape = {1, 1, 1, 1 << 24};  // x 32 levels = 2^29 channels
         });
       },
       "the output channel count would be 536870912 (at most 2^28)"},
      {"OpTypeWithoutTable",
       [] {
         flatbuffers::FlatBufferBuilder b;
         std::vector<int> io{0};
         std::vector<int> shape{1, 2, 2, 1};
         std::vector<flatbuffers::Offset<fb::Tensor>> tensors{
             fb::CreateTensorDirect(b, "x", fb::DType::UInt8, &shape),
             fb::CreateTensorDirect(b, "y", fb::DType::Bits, &shape)};
         std::vector<int> out{1};
         std::vector<flatbuffers::Offset<fb::Operator>> ops{
             fb::CreateOperatorDirect(b, "t", fb::OpOptions::Thermometer, 0, &io, &out)};
         b.Finish(fb::CreateModelDirect(b, kSchemaVersion, 0, &tensors, nullptr, &ops, &io, &out), "BNNK");
         return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
       },
       "op 't' has no attributes"},
      {"WrongArity", [] { return mutated([](Graph& g) { g.ops[1].inputs.pop_back(); }); },
       "takes 4 inputs, got 3"},
  };
  return cases;
}

class MalformedModel : public ::testing::TestWithParam<size_t> {};

TEST_P(MalformedModel, ClearErrorNeverCrash) {
  const Malformed& c = malformed_cases()[GetParam()];
  const std::string msg = load_error(c.make());
  ASSERT_FALSE(msg.empty()) << c.name << " loaded without error";
  EXPECT_NE(msg.find(c.message), std::string::npos) << c.name << ": got \"" << msg << "\"";
  EXPECT_EQ(msg.rfind("model 'bad.bnn': ", 0), 0u) << msg;  // names the file first
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

INSTANTIATE_TEST_SUITE_P(Cases, MalformedModel, ::testing::Range<size_t>(0, malformed_cases().size()),
                         [](const auto& info) { return std::string(malformed_cases()[info.param].name); });

// Random single-byte corruptions of a valid file: each must load or fail with bnnkit::Error, never crash, and
// a file that loads must also plan and run.
TEST(ModelFile, RandomCorruptionsNeverCrash) {
  const std::vector<uint8_t> good = valid_bytes();
  auto rng = testing::make_rng(17);
  int rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<uint8_t> v = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) v[rng() % v.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    try {
      const Model m = Model::from_bytes(v, "fuzz.bnn");
      Session s(m, {.threads = 1, .batch = 1});
      s.run();
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace bnnkit
