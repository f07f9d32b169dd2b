// PGConv2d end to end: GraphBuilder -> save_model -> Model::load -> Session equals the kernels called
// directly (pgquant_reference + pgconv2d_reference), for float and int32 outputs, batches and thread counts;
// the session's gate statistics count the open gates; model_cost counts its BOPs; malformed attributes give
// one-line errors naming the file.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "kernels/pgconv/pgconv.h"
#include "test_util.h"

namespace bnnkit {
namespace {

namespace fs = std::filesystem;
namespace k = bnnkit::kernels;

constexpr int kH = 6, kW = 7, kIC = 20, kOC = 12;
constexpr PGConv2dOp kAttrs{{3, 3, 1, 1, 1, 1}, 3, 2, 8, 0.01f, OutputKind::kFloat};

struct Params {
  std::vector<int32_t> codes;
  std::vector<float> delta, scale, bias;
};

Params make_params(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Params p;
  p.codes.resize(static_cast<size_t>(kOC) * 3 * 3 * kIC);
  for (auto& c : p.codes) c = static_cast<int32_t>(rng() % 255) - 127;
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int o = 0; o < kOC; ++o) {
    // A spread of thresholds around 0 (the high-part outputs are roughly symmetric), one always open.
    p.delta.push_back(o == 0 ? -std::numeric_limits<float>::infinity() : u(rng) * 2.0f);
    p.scale.push_back(u(rng));
    p.bias.push_back(u(rng));
  }
  return p;
}

Graph build(const Params& p, OutputKind kind, PGConv2dOp attrs = kAttrs) {
  GraphBuilder b("pg-test");
  const int x = b.input("x", DType::kFloat32, {1, kH, kW, kIC});
  const int w = b.constant_i32("w", {kOC, 3, 3, kIC}, p.codes);
  const int d = b.constant_f32("delta", {kOC}, p.delta);
  Stage stage = Int32Stage{};
  if (kind == OutputKind::kFloat)
    stage = FloatStage{b.constant_f32("scale", {kOC}, p.scale), b.constant_f32("bias", {kOC}, p.bias)};
  b.output(b.pgconv2d(x, w, d, attrs, stage, "pg"), "y");
  return b.finish();
}

// The op computed by the kernels directly.
std::vector<uint8_t> direct(const Params& p, OutputKind kind, const std::vector<float>& x, int batch,
                            int64_t& open) {
  k::ConvGeometry g;
  g.n = batch, g.ih = kH, g.iw = kW, g.ic = kIC, g.oc = kOC, g.kh = g.kw = 3, g.ph = g.pw = 1;
  std::vector<k::Word> planes(static_cast<size_t>(batch) * kH * kW * k::pg_pixel_words(3, kIC));
  std::vector<float> s(batch);
  k::pgquant_reference({batch, kH * kW, kIC, 3, x.data(), planes.data(), s.data()}, 0, batch);
  std::vector<uint8_t> out(static_cast<size_t>(batch) * g.oh() * g.ow() * kOC * 4);
  k::PGConv2dArgs a;
  a.g = g;
  a.act_bits = 3, a.high_bits = 2, a.weight_bits = 8;
  a.src = planes.data(), a.src_scale = s.data(), a.codes = p.codes.data();
  a.weight_step = kAttrs.weight_step, a.delta = p.delta.data();
  a.kind = static_cast<k::OutputKind>(kind), a.scale = p.scale.data(), a.bias = p.bias.data();
  a.dst = out.data();
  a.open_count = &open;
  k::pgconv2d_reference(a, 0, g.out_rows());
  return out;
}

TEST(PGConv2dGraph, SaveLoadRunEqualsKernels) {
  const Params p = make_params(3);
  const fs::path dir = fs::temp_directory_path() / ("bnnkit_pg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const OutputKind kind : {OutputKind::kFloat, OutputKind::kInt32}) {
    const fs::path path = dir / "pg.bnn";
    save_model(build(p, kind), path.string());
    const Model m = Model::load(path.string());
    ASSERT_EQ(std::string(op_name(m.graph().ops[0].attrs)), "PGConv2d");
    const auto& a = std::get<PGConv2dOp>(m.graph().ops[0].attrs);
    EXPECT_EQ(a.act_bits, 3);
    EXPECT_EQ(a.high_bits, 2);
    EXPECT_EQ(a.weight_bits, 8);
    EXPECT_EQ(a.weight_step, 0.01f);
    EXPECT_EQ(a.output, kind);
    for (const int batch : {1, 3}) {
      std::mt19937_64 rng(batch);
      std::normal_distribution<float> nd;
      std::vector<float> x(static_cast<size_t>(batch) * kH * kW * kIC);
      for (auto& v : x) v = nd(rng);
      int64_t open = 0;
      const std::vector<uint8_t> want = direct(p, kind, x, batch, open);
      const int64_t outputs = static_cast<int64_t>(batch) * kH * kW * kOC;
      EXPECT_GT(open, 0);
      EXPECT_LT(open, outputs);
      for (const int threads : {1, 2}) {
        for (const char* isa : {"", "portable"}) {
          Session s(m, {.threads = threads, .batch = batch, .max_isa = isa});
          s.set_input(0, std::span<const float>(x));
          s.run();
          s.run();  // twice: the gate statistics add up over runs
          const TensorView out = s.output(0);
          ASSERT_EQ(out.bytes, want.size());
          EXPECT_EQ(std::memcmp(out.data, want.data(), want.size()), 0)
              << "batch " << batch << " threads " << threads << " isa '" << isa << "'\n"
              << s.describe();
          const OpProfile prof = s.profile()[0];
          EXPECT_EQ(prof.gate_open, 2 * open);
          EXPECT_EQ(prof.gate_outputs, 2 * outputs);
        }
      }
    }
  }
  fs::remove_all(dir);
}

TEST(PGConv2dGraph, CostCountsHighBitsDenseAndLowBitsByDensity) {
  const Graph g = build(make_params(1), OutputKind::kFloat);
  const int64_t macs = int64_t{kH} * kW * kOC * 3 * 3 * kIC;
  const LayerCost dense = model_cost(g).layers[0];
  EXPECT_EQ(dense.macs, macs);
  EXPECT_TRUE(dense.gated);
  EXPECT_EQ(dense.ace, static_cast<double>(macs) * 8 * 3);  // no density: every bit
  const LayerCost quarter = model_cost(g, {{"pg", 0.25}}).layers[0];
  EXPECT_EQ(quarter.gate_density, 0.25);
  EXPECT_EQ(quarter.ace, static_cast<double>(macs) * 8 * (2 + 1 * 0.25));
}

// ---- malformed attributes and constants
// ---------------------------------------------------------------------
std::string load_error(const Graph& g) {
  try {
    Model::from_bytes(serialize_model(g), "bad.bnn");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct Bad {
  const char* name;
  void (*mutate)(Graph& g);
  const char* message;
};

void PrintTo(const Bad& b, std::ostream* os) {
  *os << b.name;
}

PGConv2dOp& attrs(Graph& g) {
  return std::get<PGConv2dOp>(g.ops[0].attrs);
}

void set_code(Graph& g, int32_t v) {
  std::memcpy(g.buffers[g.tensors[g.ops[0].inputs[1]].buffer].data() + 4 * 17, &v, 4);
}

const Bad kBad[] = {
    {"ActBitsTooHigh", [](Graph& g) { attrs(g).act_bits = 9; }, "act_bits must be in 2..8, got 9"},
    {"ActBitsTooLow", [](Graph& g) { attrs(g).act_bits = 1; }, "act_bits must be in 2..8, got 1"},
    {"HighBitsNotBelowAct", [](Graph& g) { attrs(g).high_bits = 3; },
     "high_bits must be in 1..act_bits-1, got 3 with act_bits 3"},
    {"HighBitsZero", [](Graph& g) { attrs(g).high_bits = 0; }, "high_bits must be in 1..act_bits-1, got 0"},
    {"WeightBitsZero", [](Graph& g) { attrs(g).weight_bits = 0; }, "weight_bits must be in 1..8, got 0"},
    {"WeightBits9", [](Graph& g) { attrs(g).weight_bits = 9; }, "weight_bits must be in 1..8, got 9"},
    {"WeightStepZero", [](Graph& g) { attrs(g).weight_step = 0.0f; }, "weight_step must be finite and > 0"},
    {"WeightStepNaN", [](Graph& g) { attrs(g).weight_step = std::numeric_limits<float>::quiet_NaN(); },
     "weight_step must be finite and > 0"},
    {"BitsOutput", [](Graph& g) { attrs(g).output = OutputKind::kBits; }, "output must be Float or Int32"},
    {"CodeTooLarge", [](Graph& g) { set_code(g, 128); },
     "weight code 128 (element 17 of 'w') is outside [-127, 127] for weight_bits 8"},
    {"CodeTooSmallForW4",
     [](Graph& g) {
       attrs(g).weight_bits = 4;
       for (size_t i = 0; i < g.buffers[0].size(); i += 4) std::memset(g.buffers[0].data() + i, 0, 4);
       set_code(g, -8);
     },
     "weight code -8 (element 17 of 'w') is outside [-7, 7] for weight_bits 4"},
    {"CodeZeroForBinary",
     [](Graph& g) {
       attrs(g).weight_bits = 1;
       const int32_t one = 1;
       for (size_t i = 0; i < g.buffers[0].size(); i += 4) std::memcpy(g.buffers[0].data() + i, &one, 4);
       set_code(g, 0);
     },
     "weight code 0 (element 17 of 'w') is outside {-1, +1} for weight_bits 1"},
    {"AccumulatorOverflow",
     [](Graph& g) {
       attrs(g).act_bits = 8, attrs(g).high_bits = 4;
       // 9 * 7400 * 255 * 127 > 2^31 - 1 (zero codes: only the shape is wrong)
       g.tensors[g.inputs[0]].shape[3] = 7400;
       g.tensors[g.ops[0].inputs[1]].shape[3] = 7400;
       g.buffers[0].assign(size_t{kOC} * 9 * 7400 * 4, 0);
     },
     "overflows the int32 accumulator"},
    {"WeightsNotInt32", [](Graph& g) { g.tensors[g.ops[0].inputs[1]].dtype = DType::kFloat32; },
     "input 'weights' must be int32, got float32"},
    {"DeltaWrongLength",
     [](Graph& g) {
       const TensorDef& d = g.tensors[g.ops[0].inputs[2]];
       g.buffers[d.buffer].resize((kOC - 1) * 4);
       g.tensors[g.ops[0].inputs[2]].shape = {kOC - 1};
     },
     "input 'delta' must have shape [12], got [11]"},
    {"KernelMismatch", [](Graph& g) { attrs(g).conv.kw = 1; }, "do not match the kernel 3x1"},
    {"MissingStage", [](Graph& g) { g.ops[0].inputs.pop_back(); }, "takes 5 inputs, got 4"},
};

class PGConv2dMalformed : public ::testing::TestWithParam<Bad> {};

TEST_P(PGConv2dMalformed, ClearOneLineError) {
  Graph g = build(make_params(2), OutputKind::kFloat);
  ASSERT_EQ(g.tensors[g.ops[0].inputs[1]].buffer, 0) << "the tests edit buffer 0 as the weights";
  GetParam().mutate(g);
  const std::string msg = load_error(g);
  ASSERT_FALSE(msg.empty()) << "loaded without error";
  EXPECT_NE(msg.find(GetParam().message), std::string::npos) << "got \"" << msg << "\"";
  EXPECT_EQ(msg.rfind("model 'bad.bnn': ", 0), 0u) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(Cases, PGConv2dMalformed, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PGConv2dGraph, BuilderRejectsBitsStage) {
  const Params p = make_params(4);
  GraphBuilder b("pg-bits");
  const int x = b.input("x", DType::kFloat32, {1, kH, kW, kIC});
  const int w = b.constant_i32("w", {kOC, 3, 3, kIC}, p.codes);
  const int d = b.constant_f32("delta", {kOC}, p.delta);
  const int t = b.constant_i32("t", {kOC}, std::vector<int32_t>(kOC, 0));
  const int f = b.constant_u8("f", {kOC}, std::vector<uint8_t>(kOC, 0));
  EXPECT_THROW(b.pgconv2d(x, w, d, kAttrs, BitsStage{t, f}), std::exception);
}

}  // namespace
}  // namespace bnnkit
