// Determinism beyond tests/runtime_test.cc (thread counts, ISAs, batch splits, buffer reuse): one Session run
// again and again, with other inputs in between, gives the same outputs; two Sessions sharing one Model and
// running at the same time in two threads give the outputs a lone Session gives; a moved Session too.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <thread>

#include "bnnkit/bnnkit.h"
#include "test_util.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

// The small zoo models: every op family of the engine at 28x28, fast enough to run many times.
const char* const kSmallArchs[] = {"fracbnn-tiny", "bnn-mlp", "bconv-stack"};

// Fills input 0 from `seed`.
void set_from(Session& s, uint64_t seed) {
  ::bnnkit::testing::fill_input_random(s, seed);
}

std::vector<uint8_t> output_bytes(const Session& s) {
  const TensorView out = s.output(0);
  const auto* p = static_cast<const uint8_t*>(out.data);
  return {p, p + out.bytes};
}

// Fills input 0 from `seed` and runs; returns output 0's bytes.
std::vector<uint8_t> run_with(Session& s, uint64_t seed) {
  set_from(s, seed);
  s.run();
  return output_bytes(s);
}

class Determinism : public ::testing::TestWithParam<const char*> {};

TEST_P(Determinism, RepeatedRunsOfOneSessionAreIdentical) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 2));
  Session s(m, {.threads = 2, .batch = 3});
  const std::vector<uint8_t> a = run_with(s, 1), b = run_with(s, 2);
  ASSERT_NE(a, b) << "different inputs should give different outputs";
  for (int rep = 0; rep < 5; ++rep) {
    EXPECT_EQ(run_with(s, 1), a) << "run " << rep;  // nothing carries over from the run before
    EXPECT_EQ(run_with(s, 2), b) << "run " << rep;
  }
}

// Session::tensor() promises that graph inputs hold their values after run(), so run() without new inputs
// repeats the last result. A kernel that writes past its output into a neighbouring tensor of the arena
// breaks this (ASan cannot see it: the arena is one allocation); fuzz_model_load checks the same on every
// fuzzed model.
TEST_P(Determinism, GraphInputsKeepTheirValuesAfterRun) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 2));
  Session s(m, {.threads = 2, .batch = 3});
  set_from(s, 1);
  const TensorView in = s.input(0);
  const auto* p = static_cast<const uint8_t*>(in.data);
  const std::vector<uint8_t> input_before(p, p + in.bytes);
  s.run();
  EXPECT_EQ(std::vector<uint8_t>(p, p + in.bytes), input_before) << "the input changed during run()";
  const std::vector<uint8_t> first = output_bytes(s);
  s.run();
  EXPECT_EQ(output_bytes(s), first) << "run() again without new inputs gave other outputs";
}

TEST_P(Determinism, TwoSessionsOnOneModelInTwoThreadsAtOnce) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 3));
  std::vector<std::vector<uint8_t>> want;
  {
    Session lone(m, {.threads = 1, .batch = 2});
    for (uint64_t seed = 0; seed < 4; ++seed) want.push_back(run_with(lone, seed));
  }
  constexpr int kRounds = 6;
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> workers;
  for (int t = 0; t < 2; ++t)
    workers.emplace_back([&, t] {
      Session s(m, {.threads = 2, .batch = 2});  // each Session has its own pool: 4 threads in all
      for (int r = 0; r < kRounds; ++r) {
        const uint64_t seed = static_cast<uint64_t>((r + t) % 4);
        if (run_with(s, seed) != want[seed]) ++mismatches[t];
      }
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(mismatches[0], 0);
  EXPECT_EQ(mismatches[1], 0);
}

TEST_P(Determinism, MovedSessionKeepsItsPlan) {
  const Model m = Model::from_graph(zoo::build(GetParam(), 4));
  Session a(m, {.threads = 2, .batch = 1});
  const std::vector<uint8_t> want = run_with(a, 9);
  Session b = std::move(a);
  EXPECT_EQ(run_with(b, 9), want);
}

TEST_P(Determinism, SessionOutlivesItsModel) {
  // A Session keeps the Model's graph alive: the Model object may go away first.
  std::vector<uint8_t> want;
  std::unique_ptr<Session> s;
  {
    const Model m = Model::from_graph(zoo::build(GetParam(), 5));
    Session ref(m, {.threads = 1});
    want = run_with(ref, 4);
    s = std::make_unique<Session>(m, SessionOptions{.threads = 1});
  }
  EXPECT_EQ(run_with(*s, 4), want);
}

INSTANTIATE_TEST_SUITE_P(Small, Determinism, ::testing::ValuesIn(kSmallArchs), [](const auto& info) {
  std::string s = info.param;
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
});

}  // namespace
}  // namespace bnnkit
