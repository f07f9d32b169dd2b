// The runtime: a whole model against plain float math, bit-identical results across thread counts, kernel
// ISAs, batch splits and memory plans, gate statistics, and the errors a user sees.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "kernels/common/cpu_features.h"
#include "test_util.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

const TensorDef& named(const Graph& g, const std::string& name, std::vector<uint8_t> const** data) {
  for (const TensorDef& t : g.tensors)
    if (t.name == name) {
      *data = t.buffer >= 0 ? &g.buffers[t.buffer] : nullptr;
      return t;
    }
  throw std::runtime_error("no tensor " + name);
}

std::vector<float> f32_const(const Graph& g, const std::string& name) {
  const std::vector<uint8_t>* d;
  named(g, name, &d);
  std::vector<float> v(d->size() / 4);
  std::memcpy(v.data(), d->data(), d->size());
  return v;
}
std::vector<int32_t> i32_const(const Graph& g, const std::string& name) {
  const std::vector<uint8_t>* d;
  named(g, name, &d);
  std::vector<int32_t> v(d->size() / 4);
  std::memcpy(v.data(), d->data(), d->size());
  return v;
}
// ±1 floats of a bit-packed constant [rows][channels].
std::vector<float> pm1_const(const Graph& g, const std::string& name) {
  const std::vector<uint8_t>* d;
  const TensorDef& t = named(g, name, &d);
  const int c = t.shape.back();
  size_t rows = 1;
  for (size_t i = 0; i + 1 < t.shape.size(); ++i) rows *= t.shape[i];
  return testing::unpack_pm1(reinterpret_cast<const kernels::Word*>(d->data()), rows, c);
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

// Runs `model` on deterministic random inputs and returns output 0.
std::vector<float> run_outputs(const Model& model, SessionOptions opts, uint64_t seed) {
  Session s(model, opts);
  const TensorView in = s.input(0);
  if (in.dtype == DType::kUInt8) {
    s.set_input(0, std::span<const uint8_t>(random_bytes(in.bytes, seed)));
  } else {
    s.set_input(0, std::span<const float>(random_floats(in.bytes / 4, seed)));
  }
  s.run();
  auto o = s.output_f32(0);
  return {o.begin(), o.end()};
}

// ---- the MLP end to end against float math
// -------------------------------------------------------------------
TEST(Runtime, BinaryMlpMatchesPlainFloatMath) {
  const Graph g = zoo::build("bnn-mlp", 5);
  const Model model = Model::from_graph(g);
  const int batch = 3;
  const std::vector<float> x = random_floats(batch * 784, 99);
  Session s(model, {.threads = 2, .batch = batch});
  s.set_input(0, std::span<const float>(x));
  s.run();
  const auto logits = s.output_f32(0);

  const auto w1 = pm1_const(g, "fc1.weight"), w2 = pm1_const(g, "fc2.weight");
  const auto t1 = i32_const(g, "fc1.threshold");
  const std::vector<uint8_t>* flip_bytes;
  named(g, "fc1.flip", &flip_bytes);
  const std::vector<uint8_t> f1 = *flip_bytes;
  const auto s2 = f32_const(g, "fc2.scale"), b2 = f32_const(g, "fc2.bias");
  const auto w3 = f32_const(g, "fc.weight"), b3 = f32_const(g, "fc.bias");
  int plus_count = 0;
  for (int n = 0; n < batch; ++n) {
    std::vector<float> a(784), h1(256), y2(256);
    for (int i = 0; i < 784; ++i) a[i] = x[n * 784 + i] >= 0 ? 1.0f : -1.0f;  // sign(0) = +1
    for (int o = 0; o < 256; ++o) {
      double d = 0;
      for (int i = 0; i < 784; ++i) d += a[i] * w1[o * 784 + i];
      const bool plus = (static_cast<int32_t>(d) >= t1[o]) != (f1[o] != 0);
      h1[o] = plus ? 1.0f : -1.0f;
      plus_count += plus;
    }
    for (int o = 0; o < 256; ++o) {
      double d = 0;
      for (int i = 0; i < 256; ++i) d += h1[i] * w2[o * 256 + i];
      y2[o] = static_cast<float>(d) * s2[o] + b2[o];
    }
    for (int k = 0; k < 10; ++k) {
      double z = b3[k];
      for (int i = 0; i < 256; ++i) z += static_cast<double>(y2[i]) * w3[k * 256 + i];
      EXPECT_NEAR(logits[n * 10 + k], z, 1e-4 * (1 + std::abs(z))) << "image " << n << " class " << k;
    }
  }
  // The data is not degenerate: hidden units take both signs.
  EXPECT_GT(plus_count, batch * 256 / 10);
  EXPECT_LT(plus_count, batch * 256 * 9 / 10);
}

// ---- invariances
// ---------------------------------------------------------------------------------------------
class PerModel : public ::testing::TestWithParam<std::string> {};

TEST_P(PerModel, IdenticalForAnyThreadCount) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 3));
  const auto ref = run_outputs(m, {.threads = 1, .batch = 5}, 21);
  for (int t : {2, 3, 4, 7}) {
    const auto got = run_outputs(m, {.threads = t, .batch = 5}, 21);
    ASSERT_EQ(got, ref) << t << " threads";
  }
}

TEST_P(PerModel, IdenticalForEveryKernelIsa) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 3));
  const auto ref = run_outputs(m, {.threads = 2, .batch = 2, .max_isa = "portable"}, 8);
  for (const char* isa : {"avx2", "avx512"}) {
    if (!kernels::cpu_supports(*kernels::parse_isa(isa))) {
      std::printf("[  SKIP    ] CPU lacks %s\n", isa);
      continue;
    }
    EXPECT_EQ(run_outputs(m, {.threads = 2, .batch = 2, .max_isa = isa}, 8), ref) << isa;
  }
}

TEST_P(PerModel, BufferReuseChangesNothing) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 4));
  EXPECT_EQ(run_outputs(m, {.threads = 2, .batch = 3, .keep_intermediates = true}, 5),
            run_outputs(m, {.threads = 2, .batch = 3}, 5));
}

TEST_P(PerModel, BatchedEqualsOneByOne) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 6));
  Session big(m, {.threads = 2, .batch = 4});
  Session one(m, {.threads = 2, .batch = 1});
  const TensorView in = big.input(0);
  const size_t per = in.bytes / 4;
  std::vector<float> out4;
  if (in.dtype == DType::kUInt8) {
    const auto x = random_bytes(in.bytes, 3);
    big.set_input(0, std::span<const uint8_t>(x));
    big.run();
    for (int n = 0; n < 4; ++n) {
      one.set_input(0, std::span<const uint8_t>(x.data() + n * per, per));
      one.run();
      const auto o = one.output_f32(0);
      out4.insert(out4.end(), o.begin(), o.end());
    }
  } else {
    const auto x = random_floats(in.bytes / 4, 3);
    const size_t perf = x.size() / 4;
    big.set_input(0, std::span<const float>(x));
    big.run();
    for (int n = 0; n < 4; ++n) {
      one.set_input(0, std::span<const float>(x.data() + n * perf, perf));
      one.run();
      const auto o = one.output_f32(0);
      out4.insert(out4.end(), o.begin(), o.end());
    }
  }
  const auto o = big.output_f32(0);
  EXPECT_EQ(std::vector<float>(o.begin(), o.end()), out4);
}

INSTANTIATE_TEST_SUITE_P(Synthetic, PerModel, ::testing::ValuesIn(zoo::small_arch_names()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

TEST(Runtime, ArenaReusesMemory) {
  const Model m = Model::from_graph(zoo::build("fracbnn-tiny"));
  const auto arena_of = [&](bool keep) {
    const std::string d = Session(m, {.threads = 1, .batch = 8, .keep_intermediates = keep}).describe();
    const auto p = d.find("arena ");
    return std::stoll(d.substr(p + 6));
  };
  EXPECT_LT(arena_of(false) * 2, arena_of(true));
}

TEST(Runtime, FractionalGateStatistics) {
  const Model m = Model::from_graph(zoo::build("fracbnn-tiny", 2));
  Session s(m, {.threads = 2, .batch = 4, .profile = true});
  s.set_input(0, std::span<const uint8_t>(random_bytes(4 * 28 * 28, 1)));
  s.run();
  s.run();
  int gated = 0;
  for (const OpProfile& p : s.profile()) {
    EXPECT_EQ(p.runs, 2);
    if (p.op != "FracConv2d") {
      EXPECT_EQ(p.gate_outputs, 0);
      continue;
    }
    ++gated;
    EXPECT_GT(p.gate_outputs, 0);
    EXPECT_GT(p.gate_open, 0) << p.name;
    EXPECT_LT(p.gate_open, p.gate_outputs) << p.name;
    EXPECT_GT(p.macs, 0);
  }
  EXPECT_EQ(gated, 2);
  // The same counts with one thread.
  Session s1(m, {.threads = 1, .batch = 4});
  s1.set_input(0, std::span<const uint8_t>(random_bytes(4 * 28 * 28, 1)));
  s1.run();
  s1.run();
  for (size_t i = 0; i < s.profile().size(); ++i)
    EXPECT_EQ(s1.profile()[i].gate_open, s.profile()[i].gate_open);
}

TEST(Runtime, DescribeNamesKernels) {
  const Model m = Model::from_graph(zoo::build("bconv-stack"));
  const std::string d = Session(m, {.threads = 1}).describe();
  EXPECT_NE(d.find("conv1  BConv2d  [1,28,28,32] -> bits [1,28,28,64]"), std::string::npos) << d;
  EXPECT_NE(d.find("conv4  BConv2d"), std::string::npos) << d;
}

// ---- errors a user sees
// ----------------------------------------------------------------------------------------
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(RuntimeErrors, InputsAreChecked) {
  const Model mlp = Model::from_graph(zoo::build("bnn-mlp"));
  Session s(mlp, {.threads = 1, .batch = 2});
  std::vector<float> x(2 * 784, 0.5f);
  EXPECT_EQ(error_of([&] { s.set_input(0, std::span<const float>(x.data(), 100)); }),
            "input 'image' [2,28,28,1] needs 1568 values, got 100");
  x[17] = std::nanf("");
  EXPECT_EQ(error_of([&] { s.set_input(0, std::span<const float>(x)); }),
            "input 'image' element 17 is NaN; inputs must be finite");
  x[17] = INFINITY;
  EXPECT_EQ(error_of([&] { s.set_input(0, std::span<const float>(x)); }),
            "input 'image' element 17 is infinite; inputs must be finite");
  std::vector<uint8_t> u(2 * 784);
  EXPECT_EQ(error_of([&] { s.set_input(0, std::span<const uint8_t>(u)); }),
            "input 'image' is float32, not uint8");
  EXPECT_EQ(error_of([&] { s.set_input(3, std::span<const uint8_t>(u)); }), "no input 3 (the model has 1)");
  EXPECT_EQ(error_of([&] { s.output_i32(0); }), "output 'logits' is float32, not int32");
  EXPECT_EQ(error_of([&] { s.tensor("nope"); }), "no tensor named 'nope' in the model");
  EXPECT_EQ(error_of([&] { Session(mlp, {.batch = 0}); }), "batch must be in 1..1048576, got 0");
  EXPECT_EQ(error_of([&] { Session(mlp, {.max_isa = "sse9"}); }),
            "unknown ISA 'sse9' (use portable, avx2 or avx512)");
}

TEST(Cost, CountsBinaryMacsPerImage) {
  const Graph g = zoo::build("bnn-mlp");
  const ModelCost c = model_cost(g);
  EXPECT_EQ(c.binary_macs, 784 * 256 + 256 * 256);
  EXPECT_EQ(c.macs, c.binary_macs + 256 * 10);
  EXPECT_DOUBLE_EQ(c.ace, 784.0 * 256 + 256.0 * 256 + 256.0 * 10 * 32 * 32);
}

}  // namespace
}  // namespace bnnkit
