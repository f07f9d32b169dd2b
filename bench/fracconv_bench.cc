// The gated fractional convolution against the 1-bit and the dense 2-bit convolution of the same layer, in
// the same run, over a sweep of gate densities (issue 5). Layer: 3x3, 28x28x128 -> 128, stride 1, zero
// padding, batch 1, float output, one thread, timed in process CPU time (as bconv_bench.cc).
//
// Entries, registered in this order so the sweep can divide by the baselines' medians:
//   fracconv/28x28x128-128/1bit        bconv2d (best variant): the MSB plane alone, the 1-bit layer
//   fracconv/28x28x128-128/dense2bit   the gated variant with every gate open and the LSB pass dense: both
//                                      planes for every output, i.e. a dense 2-bit (2-plane) convolution
//   fracconv/28x28x128-128/d<P>        the gated variant with the gate thresholds set, per channel, at the
//                                      (100 - P)th percentile of that channel's D_msb over this input, so
//                                      that P % of the outputs open (the default, adaptive LSB pass)
//   fracconv/28x28x128-128/d<P>/sparse and /dense: the LSB pass forced either way (where the adaptive
//                                      cutoff should sit)
//   fracconv/28x28x128-128/d<P>/paired: the adaptive pass and the 1bit layer alternately, each call timed on
//                                      its own, so both see the same machine (the ratio least disturbed by a
//                                      shared, drifting machine; the entry's own time is the two together)
// Counters: density (open outputs / outputs, as counted by the kernel), x_1bit (time / 1bit median),
// x_dense2bit (time / dense2bit median); paired entries: x_1bit (gated / 1-bit CPU time over the same
// iterations), gated_us and onebit_us (per call).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kernels/bconv2d/bconv2d.h"
#include "kernels/bconv2d/variants.h"
#include "kernels/common/cpu_features.h"
#include "kernels/fracconv/fracconv.h"
#include "kernels/fracconv/variants.h"

namespace bnnkit::bench {
namespace {

using kernels::AlignedVector;
using kernels::ConvGeometry;
using kernels::OutputKind;
using kernels::Padding;

constexpr ConvGeometry kLayer{1, 28, 28, 128, 128, 3, 3, 1, 1, 1, 1};
const std::string kName = "fracconv/28x28x128-128";

// The layer's inputs, weights and output stage, shared by every entry.
struct Layer {
  AlignedVector<Word> msb = random_bits(static_cast<size_t>(kLayer.ih) * kLayer.iw, kLayer.ic, 11);
  AlignedVector<Word> lsb = random_bits(static_cast<size_t>(kLayer.ih) * kLayer.iw, kLayer.ic, 12);
  AlignedVector<Word> weights =
      random_bits(static_cast<size_t>(kLayer.oc) * kLayer.kh * kLayer.kw, kLayer.ic, 13);
  Stage stage{kLayer.oc};
  std::vector<int32_t> d_msb;  // [pixel][oc], for the thresholds
  Layer() {
    d_msb.resize(static_cast<size_t>(kLayer.out_rows()) * kLayer.ow() * kLayer.oc);
    kernels::BConv2dArgs a;
    a.g = kLayer;
    a.src = msb.data();
    a.weights = weights.data();
    a.dst = d_msb.data();
    kernels::bconv2d_reference(a, 0, kLayer.out_rows());
  }
  // Per-channel thresholds opening `percent` % of each channel's outputs (ties may open a few less).
  std::vector<int32_t> thresholds(int percent) const {
    const size_t px = d_msb.size() / kLayer.oc;
    std::vector<int32_t> t(kLayer.oc);
    for (int o = 0; o < kLayer.oc; ++o) {
      if (percent <= 0 || percent >= 100) {
        t[o] = percent <= 0 ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
        continue;
      }
      std::vector<int32_t> col(px);
      for (size_t p = 0; p < px; ++p) col[p] = d_msb[p * kLayer.oc + o];
      std::sort(col.begin(), col.end());
      // open iff D > t: t = the value below which (100 - percent) % of the outputs lie.
      t[o] = col[std::min(px - 1, px * (100 - percent) / 100)] - 1;
    }
    return t;
  }
};

const Layer& layer() {
  static const Layer l;
  return l;
}

// Times `run` (one whole layer per call) and records it under `key`.
template <class Run>
void time_layer(benchmark::State& state, const std::string& key, Run&& run) {
  run();  // warm caches and page tables
  int64_t iters = 0;
  const double t0 = now(1);
  for (auto _ : state) {
    run();
    ++iters;
  }
  record(key, now(1) - t0, iters);
}

void set_ratios(benchmark::State& state, const std::string& key) {
  const double mine = median(samples()[key]);
  const double one = median(samples()[kName + "/1bit"]);
  const double two = median(samples()[kName + "/dense2bit"]);
  if (one > 0) state.counters["x_1bit"] = mine / one;
  if (two > 0) state.counters["x_dense2bit"] = mine / two;
}

size_t output_floats() {
  return static_cast<size_t>(kLayer.out_rows()) * kLayer.ow() * kLayer.oc;
}

// The 1-bit layer: the MSB plane through the best bconv2d variant, float output.
struct OneBit {
  const kernels::BConv2dVariant& v =
      kernels::bconv2d_select(kLayer, Padding::kZero, OutputKind::kFloat, kernels::active_isa());
  AlignedVector<Word> w = AlignedVector<Word>(v.packed_weight_words(kLayer));
  AlignedVector<float> dst = AlignedVector<float>(output_floats());
  kernels::BConv2dArgs a;
  OneBit() {
    const Layer& l = layer();
    v.pack_weights(kLayer, l.weights.data(), w.data());
    a.g = kLayer;
    a.src = l.msb.data();
    a.weights = w.data();
    a.out = l.stage.stage(OutputKind::kFloat);
    a.dst = dst.data();
  }
  void run() { v.run(a, 0, kLayer.out_rows()); }
};

// The fractional layer with thresholds opening `percent` % of the outputs (percent < 0: every gate open).
struct Frac {
  const kernels::FracConv2dVariant& v =
      kernels::fracconv2d_select(kLayer, Padding::kZero, OutputKind::kFloat, kernels::active_isa());
  AlignedVector<Word> w = AlignedVector<Word>(v.packed_weight_words(kLayer));
  std::vector<int32_t> gate;
  AlignedVector<float> dst = AlignedVector<float>(output_floats());
  int64_t open = 0;
  kernels::FracConv2dArgs a;
  Frac(int percent, kernels::LsbPass pass) : gate(layer().thresholds(percent < 0 ? 100 : percent)) {
    const Layer& l = layer();
    v.pack_weights(kLayer, l.weights.data(), w.data());
    a.g = kLayer;
    a.src_msb = l.msb.data();
    a.src_lsb = l.lsb.data();
    a.weights = w.data();
    a.gate_threshold = gate.data();
    a.out = l.stage.stage(OutputKind::kFloat);
    a.dst = dst.data();
    a.open_count = &open;
    a.lsb_pass = pass;
  }
  void run() { v.run(a, 0, kLayer.out_rows()); }
  // Open outputs per output over `runs` calls.
  double density(double runs) const {
    return static_cast<double>(open) / (static_cast<double>(output_floats()) * runs);
  }
};

void BM_1bit(benchmark::State& state) {
  OneBit one;
  time_layer(state, kName + "/1bit", [&] { one.run(); });
  state.SetLabel(one.v.name);
}

// percent < 0: the dense2bit baseline (all open, dense LSB pass).
void BM_frac(benchmark::State& state, int percent, kernels::LsbPass pass, std::string key) {
  Frac frac(percent, pass);
  time_layer(state, key, [&] { frac.run(); });
  state.counters["density"] = frac.density(static_cast<double>(state.iterations()) + 1);
  state.SetLabel(frac.v.name);
  set_ratios(state, key);
}

// The adaptive pass and the 1-bit layer alternately, each call on its own clock readings.
void BM_paired(benchmark::State& state, int percent) {
  Frac frac(percent, kernels::LsbPass::kAuto);
  OneBit one;
  frac.run();  // warm caches and page tables
  one.run();
  double gated = 0, onebit = 0;
  int64_t iters = 0;
  for (auto _ : state) {
    const double t0 = now(1);
    frac.run();
    const double t1 = now(1);
    one.run();
    onebit += now(1) - t1;
    gated += t1 - t0;
    ++iters;
  }
  state.counters["density"] = frac.density(static_cast<double>(iters) + 1);
  if (iters > 0 && onebit > 0) {
    state.counters["x_1bit"] = gated / onebit;
    state.counters["gated_us"] = 1e6 * gated / static_cast<double>(iters);
    state.counters["onebit_us"] = 1e6 * onebit / static_cast<double>(iters);
  }
  state.SetLabel(frac.v.name);
}

void configure(benchmark::internal::Benchmark* b) {
  b->Repetitions(kRepetitions)->MinTime(kMinTime)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);
}

int register_all() {
  configure(benchmark::RegisterBenchmark((kName + "/1bit").c_str(), BM_1bit));
  configure(benchmark::RegisterBenchmark((kName + "/dense2bit").c_str(), BM_frac, -1,
                                         kernels::LsbPass::kDense, kName + "/dense2bit"));
  for (const int p : {0, 1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}) {
    const std::string key = kName + "/d" + std::to_string(p);
    configure(benchmark::RegisterBenchmark(key.c_str(), BM_frac, p, kernels::LsbPass::kAuto, key));
    configure(benchmark::RegisterBenchmark((key + "/sparse").c_str(), BM_frac, p, kernels::LsbPass::kSparse,
                                           key + "/sparse"));
    configure(benchmark::RegisterBenchmark((key + "/dense").c_str(), BM_frac, p, kernels::LsbPass::kDense,
                                           key + "/dense"));
    configure(benchmark::RegisterBenchmark((key + "/paired").c_str(), BM_paired, p));
  }
  return 0;
}

const int registered = register_all();

}  // namespace
}  // namespace bnnkit::bench
