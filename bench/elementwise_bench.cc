// The float elementwise ops between the binary layers of FracBNN's ResNet-20 (kernels/elementwise), one
// 28x28x16 activation, one thread, every variant this CPU runs:
//   rprelu/28x28x16/<variant>   affine/28x28x16/<variant>
//   fused/28x28x16/<variant>    the chain between two fractional convs of a ResNet-20 block as the session
//                               fuses it (bnnkit bench --profile: "RPReLU ... +3 fused"): RPReLU, the
//                               residual add, the next BN's affine, and the 2-bit quantizer's two packed
//                               planes
//   fused/28x28x16/<variant>/dst   the same, also storing the float value (the residual of the next block)
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
#include "kernels/fused/fused.h"

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

void BM_fused(benchmark::State& state, const k::FusedVariant* v, bool with_dst) {
  Data d;
  Aligned other{kRows * kChannels};
  for (int64_t i = 0; i < kRows * kChannels; ++i) other.p[i] = d.src.p[(i * 7) % (kRows * kChannels)];
  std::vector<k::Word> msb(kRows), lsb(kRows);  // one word per pixel at 16 channels
  k::FusedChainArgs a;
  a.rows = kRows;
  a.channels = kChannels;
  a.pixels = kRows;
  a.src = d.src.p;
  a.steps = 3;
  a.step[0].op = k::FusedOp::kRPRelu;
  a.step[0].p = {d.p0.p, d.p1.p, d.p2.p, nullptr};
  a.step[1].op = k::FusedOp::kAdd;
  a.step[1].other = other.p;
  a.step[2].op = k::FusedOp::kAffine;
  a.step[2].p = {d.p1.p, d.p2.p, nullptr, nullptr};
  a.dst = with_dst ? d.dst.p : nullptr;
  a.pack = k::FusedPack::kTwoBit;
  a.bits0 = msb.data();
  a.bits1 = lsb.data();
  int64_t i = 0;
  for (auto _ : state) {
    k::FusedChainArgs b = a;
    b.src += (i++ % kCopies) * kRows * kChannels;
    v->run(b, 0, kRows);
    benchmark::DoNotOptimize(msb.data());
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
  for (const k::FusedVariant& v : k::fused_variants()) {
    if (!k::cpu_supports(v.isa)) continue;
    for (const bool with_dst : {false, true}) {
      benchmark::RegisterBenchmark(
          ("fused/28x28x16/" + std::string(v.name) + (with_dst ? "/dst" : "")).c_str(), BM_fused, &v,
          with_dst)
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(kMinTime);
    }
  }
  return true;
}();

}  // namespace
}  // namespace bnnkit::bench
