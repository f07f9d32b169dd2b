// The float elementwise ops between the binary layers of FracBNN's ResNet-20 (kernels/elementwise), one
// 28x28x16 activation, one thread, every variant this CPU runs:
//   rprelu/28x28x16/<variant>   affine/28x28x16/<variant>
// Inputs are N(0, 1), so the sign of x - gamma is random: the reference's branch mispredicts about half the
// time, the variants do not branch on the data. The iterations cycle through kCopies different inputs (400
// KB, in L2): on one input repeated, the branch predictor would learn its signs and flatter the reference.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kernels/common/cpu_features.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/elementwise/variants.h"

namespace bnnkit::bench {
namespace {

namespace k = bnnkit::kernels;

constexpr int64_t kRows = 28 * 28, kChannels = 16, kCopies = 8;

// 64-byte aligned arrays, as the session's arena places activations (a misaligned zmm load splits a line).
struct Aligned {
  std::vector<float> storage;
  float* p;
  explicit Aligned(size_t n) : storage(n + 16) {
    const auto addr = reinterpret_cast<uintptr_t>(storage.data());
    p = storage.data() + ((64 - addr % 64) % 64) / sizeof(float);
  }
};

struct Data {
  Aligned src{kCopies * kRows * kChannels}, dst{kRows * kChannels}, p0{kChannels}, p1{kChannels},
      p2{kChannels};
  Data() {
    std::mt19937_64 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto* v : {&src, &p0, &p1, &p2}) {
      for (float& x : v->storage) x = normal(rng);
    }
  }
};

void BM_rprelu(benchmark::State& state, const k::ElementwiseVariant* v) {
  Data d;
  const k::RPReluArgs a{kChannels, d.src.p, d.p0.p, d.p1.p, d.p2.p, d.dst.p};
  int64_t i = 0;
  for (auto _ : state) {
    k::RPReluArgs b = a;
    b.src += (i++ % kCopies) * kRows * kChannels;
    v->rprelu(b, 0, kRows);
    benchmark::DoNotOptimize(d.dst.p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kRows * kChannels);
}

void BM_affine(benchmark::State& state, const k::ElementwiseVariant* v) {
  Data d;
  const k::AffineArgs a{kChannels, d.src.p, d.p0.p, d.p1.p, d.dst.p};
  int64_t i = 0;
  for (auto _ : state) {
    k::AffineArgs b = a;
    b.src += (i++ % kCopies) * kRows * kChannels;
    v->affine(b, 0, kRows);
    benchmark::DoNotOptimize(d.dst.p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kRows * kChannels);
}

// Registered at static-initialization time, one entry per variant that implements the op and runs here.
[[maybe_unused]] const bool kRegistered = [] {
  for (const k::ElementwiseVariant& v : k::elementwise_variants()) {
    if (!k::cpu_supports(v.isa)) continue;
    const std::string shape = "/28x28x16/" + std::string(v.name);
    if (v.rprelu != nullptr) {
      benchmark::RegisterBenchmark(("rprelu" + shape).c_str(), BM_rprelu, &v)
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(kMinTime);
    }
    if (v.affine != nullptr) {
      benchmark::RegisterBenchmark(("affine" + shape).c_str(), BM_affine, &v)
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(kMinTime);
    }
  }
  return true;
}();

}  // namespace
}  // namespace bnnkit::bench
