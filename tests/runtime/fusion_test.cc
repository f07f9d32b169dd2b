// Operator fusion (src/runtime/fusion.h): fused and unfused sessions give byte-identical outputs for every
// zoo architecture, thread count and ISA; the fusion rules (no fusion through a graph output or a value
// with two readers, packers fused only at a chain's end, the float value kept when something else reads
// it); keep_intermediates, BNNKIT_FUSE=0 and fuse = false turn it off; the profile's attribution.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "kernels/common/cpu_features.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

bool env_disables_fusion() {
  const char* e = std::getenv("BNNKIT_FUSE");
  return e != nullptr && std::strcmp(e, "0") == 0;
}

void random_inputs(Session& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < s.model().inputs().size(); ++i) {
    const TensorView v = s.input(static_cast<int>(i));
    if (v.dtype == DType::kUInt8) {
      std::vector<uint8_t> x(v.bytes);
      for (auto& b : x) b = static_cast<uint8_t>(rng());
      s.set_input(static_cast<int>(i), std::span<const uint8_t>(x));
    } else {
      std::normal_distribution<float> d;
      std::vector<float> x(v.bytes / 4);
      for (auto& f : x) f = d(rng);
      s.set_input(static_cast<int>(i), std::span<const float>(x));
    }
  }
}

// Every graph output's bytes after one run on random inputs.
std::vector<std::vector<uint8_t>> outputs(const Model& m, SessionOptions o, uint64_t seed = 7) {
  Session s(m, o);
  random_inputs(s, seed);
  s.run();
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < m.outputs().size(); ++i) {
    const TensorView v = s.output(static_cast<int>(i));
    const auto* p = static_cast<const uint8_t*>(v.data);
    out.emplace_back(p, p + v.bytes);
  }
  return out;
}

int fused_chains(const Session& s) {
  const std::string d = s.describe();
  int n = 0;
  for (size_t p = d.find(" fused]"); p != std::string::npos; p = d.find(" fused]", p + 1)) ++n;
  return n;
}

void expect_fused_equals_unfused(const std::string& arch, int batch) {
  const Model m = Model::from_graph(zoo::build(arch, 3));
  // FracBNN and PokeBNN have float chains between their convs; the MLP and the conv stack have none.
  const bool has_chains =
      arch.find("fracbnn") != std::string::npos || arch.find("pokebnn") != std::string::npos;
  if (has_chains && !env_disables_fusion()) {
    EXPECT_GT(fused_chains(Session(m, {.threads = 1, .batch = batch})), 0) << arch << " has nothing to fuse";
  }
  for (const int threads : {1, 2}) {
    const auto want = outputs(m, {.threads = threads, .batch = batch, .fuse = false});
    const auto got = outputs(m, {.threads = threads, .batch = batch, .fuse = true});
    ASSERT_EQ(want, got) << arch << ", " << threads << " thread(s)";
  }
}

class FusionPerModel : public ::testing::TestWithParam<std::string> {};

TEST_P(FusionPerModel, FusedEqualsUnfused) {
  expect_fused_equals_unfused(GetParam(), 3);
}

// Every ISA's fused kernel on a model with every kind of chain end (sign and 2-bit packers, tees).
TEST_P(FusionPerModel, FusedEqualsUnfusedOnEveryIsa) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 4));
  const auto want = outputs(m, {.threads = 2, .batch = 2, .fuse = false});
  for (const char* isa : {"portable", "avx2", "avx512"}) {
    if (!kernels::cpu_supports(*kernels::parse_isa(isa))) continue;
    ASSERT_EQ(outputs(m, {.threads = 2, .batch = 2, .max_isa = isa}), want) << isa;
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, FusionPerModel, ::testing::ValuesIn(zoo::small_arch_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-' || ch == '.') ch = '_';
                           return n;
                         });

TEST(Fusion, FracBnnImageNetFusedEqualsUnfused) {
  expect_fused_equals_unfused("fracbnn-imagenet", 1);
}

TEST(Fusion, PokeBnnImageNetFusedEqualsUnfused) {
  expect_fused_equals_unfused("pokebnn-1.0x-imagenet", 1);
}

// keep_intermediates turns fusion off: every tensor holds what the unfused session computes.
TEST(Fusion, KeepIntermediatesMatchesUnfused) {
  for (const std::string arch : {"pokebnn-mnist", "fracbnn-tiny"}) {
    const Model m = Model::from_graph(zoo::build(arch, 5));
    Session keep(m, {.threads = 2, .batch = 2, .keep_intermediates = true});
    Session plain(m, {.threads = 2, .batch = 2, .keep_intermediates = true, .fuse = false});
    EXPECT_EQ(fused_chains(keep), 0);
    random_inputs(keep, 3);
    random_inputs(plain, 3);
    keep.run();
    plain.run();
    for (const TensorDef& t : m.graph().tensors) {
      const TensorView a = keep.tensor(t.name), b = plain.tensor(t.name);
      ASSERT_EQ(a.bytes, b.bytes) << t.name;
      ASSERT_EQ(std::memcmp(a.data, b.data, a.bytes), 0) << arch << ": " << t.name;
    }
    // And the outputs equal a fused session's.
    EXPECT_EQ(outputs(m, {.threads = 2, .batch = 2, .keep_intermediates = true}, 3),
              outputs(m, {.threads = 2, .batch = 2}, 3));
  }
}

TEST(Fusion, EnvironmentTurnsItOff) {
  const Model m = Model::from_graph(zoo::build("fracbnn-tiny", 1));
  const char* old = std::getenv("BNNKIT_FUSE");
  const std::string saved = old ? old : "";
  setenv("BNNKIT_FUSE", "0", 1);
  const int off = fused_chains(Session(m, {.threads = 1}));
  setenv("BNNKIT_FUSE", "1", 1);
  const int on = fused_chains(Session(m, {.threads = 1}));
  if (old) {
    setenv("BNNKIT_FUSE", saved.c_str(), 1);
  } else {
    unsetenv("BNNKIT_FUSE");
  }
  EXPECT_EQ(off, 0);
  EXPECT_GT(on, 0);
  EXPECT_EQ(fused_chains(Session(m, {.threads = 1, .fuse = false})), 0);
}

// Small graphs for the rules: x [2, 5, 5, 70] (a channel count with vector and word tails).
struct Small {
  GraphBuilder b{"fusion-rules"};
  std::mt19937_64 rng{11};
  int x = b.input("x", DType::kFloat32, {2, 5, 5, 70});

  int vec(const std::string& name, float mean, float sd) {
    std::normal_distribution<float> d(mean, sd);
    std::vector<float> v(70);
    for (auto& f : v) f = d(rng);
    return b.constant_f32(name, {70}, v);
  }
  int affine(int in, const std::string& name) {
    return b.affine(in, vec(name + ".s", 1, 0.3f), vec(name + ".b", 0, 0.3f), name);
  }
  int rprelu(int in, const std::string& name) {
    return b.rprelu(in, vec(name + ".g", 0, 0.2f), vec(name + ".k", 0.25f, 0.1f), vec(name + ".z", 0, 0.2f),
                    name);
  }
};

// Runs fused and unfused, checks every output identical, returns the fused session's describe().
std::string check_rules_graph(const Graph& g) {
  const Model m = Model::from_graph(g);
  for (const int threads : {1, 2})
    EXPECT_EQ(outputs(m, {.threads = threads, .batch = 2}),
              outputs(m, {.threads = threads, .batch = 2, .fuse = false}));
  return Session(m, {.threads = 1, .batch = 2}).describe();
}

bool line_has(const std::string& describe, const std::string& op, const std::string& what) {
  for (size_t p = 0; p < describe.size();) {
    const size_t e = describe.find('\n', p);
    const std::string line = describe.substr(p, e - p);
    if (line.rfind(op + "  ", 0) == 0) return line.find(what) != std::string::npos;
    p = e == std::string::npos ? e : e + 1;
  }
  ADD_FAILURE() << "no op " << op << " in\n" << describe;
  return false;
}

TEST(Fusion, NotThroughAGraphOutput) {
  if (env_disables_fusion()) GTEST_SKIP() << "BNNKIT_FUSE=0";
  Small s;
  const int a = s.affine(s.x, "a");
  const int r = s.rprelu(a, "r");
  const int c = s.b.activation(r, ActivationKind::kRelu6, "c");
  s.b.output(a, "a_out");
  s.b.output(c, "c_out");
  const std::string d = check_rules_graph(s.b.finish());
  EXPECT_FALSE(line_has(d, "a", "fused")) << d;  // its output is a graph output: r starts a new chain
  EXPECT_TRUE(line_has(d, "r", "+1 fused")) << d;
  EXPECT_TRUE(line_has(d, "c", "fused into r")) << d;
}

TEST(Fusion, NotThroughAValueWithTwoReaders) {
  if (env_disables_fusion()) GTEST_SKIP() << "BNNKIT_FUSE=0";
  Small s;
  const int a = s.affine(s.x, "a");
  const int r = s.rprelu(a, "r");
  const int sum = s.b.add(a, r, "sum");  // a read twice: by r and by sum (value second there)
  const int bn = s.affine(sum, "bn");
  s.b.output(bn);
  const Graph g = s.b.finish();
  const std::string d = check_rules_graph(g);
  EXPECT_FALSE(line_has(d, "a", "fused")) << d;
  EXPECT_TRUE(line_has(d, "r", "+2 fused")) << d;
  EXPECT_TRUE(line_has(d, "sum", "fused into r")) << d;
  EXPECT_TRUE(line_has(d, "bn", "fused into r")) << d;
  // a is stored; r's and sum's values live only in the chain's tile.
  Session fused(Model::from_graph(g), {.threads = 1, .batch = 2});
  EXPECT_NO_THROW(fused.tensor("a"));
  EXPECT_THROW(fused.tensor("r"), Error);
}

TEST(Fusion, PackerJoinsTheChainEnd) {
  if (env_disables_fusion()) GTEST_SKIP() << "BNNKIT_FUSE=0";
  // x -> affine -> rprelu -> sign -> binary conv (the sign's only reader: no float value stored);
  // rprelu2 -> quant2bit, and rprelu2 also read by an add (stored and packed in one pass).
  Small s;
  const int r = s.rprelu(s.affine(s.x, "a"), "r");
  const int bits = s.b.sign_quant(r, s.vec("thr", 0, 0.1f), "sign");
  std::vector<float> w(16 * 70);
  for (auto& v : w) v = (s.rng() & 1) ? 1.0f : -1.0f;
  const int y = s.b.bconv2d(bits, s.b.constant_bits("w", {16, 1, 1, 70}, w), ConvAttrs{1, 1, 1, 1, 0, 0},
                            Padding::kZero,
                            BitsStage{s.b.constant_i32("t", {16}, std::vector<int32_t>(16, 0)),
                                      s.b.constant_u8("f", {16}, std::vector<uint8_t>(16, 0))},
                            "conv");
  const int r2 = s.rprelu(s.x, "r2");
  const int r3 = s.affine(r2, "r3");
  const auto [msb, lsb] = s.b.quant2bit(r3, "q2");
  const int sum = s.b.add(r3, s.x, "sum");
  s.b.output(y, "y");
  s.b.output(sum, "sum_out");
  s.b.output(msb, "msb");
  s.b.output(lsb, "lsb");
  const Graph g = s.b.finish();
  const std::string d = check_rules_graph(g);
  EXPECT_TRUE(line_has(d, "a", "+2 fused")) << d;
  EXPECT_TRUE(line_has(d, "sign", "fused into a")) << d;
  EXPECT_TRUE(line_has(d, "r2", "+2 fused")) << d;
  EXPECT_TRUE(line_has(d, "q2", "fused into r2")) << d;
  EXPECT_FALSE(line_has(d, "sum", "fused")) << d;  // a single op
  Session fused(Model::from_graph(g), {.threads = 1, .batch = 2});
  EXPECT_THROW(fused.tensor("r"), Error);  // only the sign read it
  EXPECT_NO_THROW(fused.tensor("r3"));     // the add reads it too
}

TEST(Fusion, ProfileGivesTheChainTimeToItsFirstOp) {
  if (env_disables_fusion()) GTEST_SKIP() << "BNNKIT_FUSE=0";
  const Model m = Model::from_graph(zoo::build("fracbnn-tiny", 1));
  Session s(m, {.threads = 1, .profile = true});
  random_inputs(s, 1);
  s.run();
  s.run();
  int heads = 0, members = 0;
  for (const OpProfile& p : s.profile()) {
    EXPECT_EQ(p.runs, 2) << p.name;
    if (p.kernel == "fused") {
      ++members;
      EXPECT_EQ(p.total_ms, 0.0) << p.name;
    } else if (p.kernel.find(" fused") != std::string::npos) {
      ++heads;
      EXPECT_GT(p.total_ms, 0.0) << p.name;
    }
  }
  EXPECT_GT(heads, 0);
  EXPECT_GE(members, heads);
}

}  // namespace
}  // namespace bnnkit
