// Precision Gating convolution (kernels/pgconv): time against gate density on one layer.
//
// Layer: 3x3, stride 1, padding 1, 28x28x128 -> 128, batch 1, one thread; W8 A3 hb2 (8-bit weight codes,
// 3-bit activations, 2 high bits), random N(0,1) inputs and normal weight codes. The quantizer runs once; the
// entries time the convolution only.
//
// Density sweep: the high-part outputs O_hb = float(acc_hb) * k are measured once (an all-closed run with
// int32 output), and for a target density d each channel's threshold delta[o] is set at the (1 - d) quantile
// of its own O_hb over the 784 pixels, so that a fraction d of every channel's gates opens (d = 0: +inf, d =
// 1: -inf). Entries, for every variant this CPU runs except the (much slower) reference:
//   pgconv3x3/28x28x128-128/W8A3hb2/<variant>/density:<percent>
// Counters (each entry runs kRepetitions repetitions; report the medians):
//   density        the measured fraction of open gates
//   us             thread CPU time of one convolution at the entry's density, microseconds (also the entry's
//                  manual time)
//   vs_dense       that time / the time of the all-open run (density 100) in the same iterations
//   vs_high_only   that time / the time of the all-closed run (density 0): the cost of the low-part updates
// Every iteration runs the entry's density, all open and all closed in turn (see run_density), so the ratios
// compare runs made moments apart; thread CPU time, so time slices lost to other processes on a shared
// machine do not count.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/aligned.h"
#include "kernels/common/cpu_features.h"
#include "kernels/pgconv/pgconv.h"
#include "kernels/pgconv/variants.h"

namespace bnnkit::bench {
namespace {

namespace k = bnnkit::kernels;

constexpr int kRepetitions = 7;
constexpr int kB = 3, kHb = 2, kWb = 8;

double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The layer's data, built once.
struct Layer {
  k::ConvGeometry g;
  std::vector<float> x, s, scale, bias;
  k::AlignedVector<k::Word> planes;
  std::vector<int32_t> codes;
  std::vector<float> o_hb;  // [pixel][oc]: float(acc_hb) * k

  Layer() {
    g.n = 1, g.ih = g.iw = 28, g.ic = g.oc = 128, g.kh = g.kw = 3, g.ph = g.pw = 1;
    std::mt19937_64 rng(42);
    std::normal_distribution<float> nd;
    x.resize(static_cast<size_t>(g.ih) * g.iw * g.ic);
    for (auto& v : x) v = nd(rng);
    planes.resize(static_cast<size_t>(g.ih) * g.iw * k::pg_pixel_words(kB, g.ic));
    s.resize(1);
    k::pgquant_reference({1, g.ih * g.iw, g.ic, kB, x.data(), planes.data(), s.data()}, 0, 1);
    codes.resize(static_cast<size_t>(g.oc) * 9 * g.ic);
    for (auto& c : codes) c = static_cast<int32_t>(std::clamp(std::lround(nd(rng) * 40.0f), -127L, 127L));
    scale.assign(g.oc, 1.0f);
    bias.assign(g.oc, 0.0f);
    // O_hb from an all-closed int32 run of the reference.
    const std::vector<float> closed(g.oc, std::numeric_limits<float>::infinity());
    std::vector<int32_t> acc(static_cast<size_t>(g.oh()) * g.ow() * g.oc);
    k::PGConv2dArgs a = args(closed.data(), acc.data(), nullptr);
    a.kind = k::OutputKind::kInt32;
    k::pgconv2d_reference(a, 0, g.out_rows());
    const float kk = k::pg_step(a, s[0]);
    for (const int32_t v : acc) o_hb.push_back(static_cast<float>(v) * kk);
  }

  k::PGConv2dArgs args(const float* delta, void* dst, const k::Word* packed) const {
    k::PGConv2dArgs a;
    a.g = g;
    a.act_bits = kB, a.high_bits = kHb, a.weight_bits = kWb;
    a.src = planes.data(), a.src_scale = s.data(), a.codes = codes.data(), a.packed = packed;
    a.weight_step = 1.0f / 127.0f;
    a.delta = delta;
    a.kind = k::OutputKind::kFloat, a.scale = scale.data(), a.bias = bias.data();
    a.dst = dst;
    return a;
  }

  // Per-channel thresholds opening a fraction `density` of each channel's gates.
  std::vector<float> thresholds(double density) const {
    const int pixels = g.oh() * g.ow();
    const int open = static_cast<int>(std::lround(density * pixels));
    std::vector<float> delta(g.oc);
    std::vector<float> v(pixels);
    for (int o = 0; o < g.oc; ++o) {
      for (int p = 0; p < pixels; ++p) v[p] = o_hb[static_cast<size_t>(p) * g.oc + o];
      std::sort(v.begin(), v.end());
      // Gates open where O_hb > delta: the `open` largest values (fewer if values tie at the cut).
      delta[o] = open == 0        ? std::numeric_limits<float>::infinity()
                 : open == pixels ? -std::numeric_limits<float>::infinity()
                                  : v[pixels - open - 1];
    }
    return delta;
  }
};

const Layer& layer() {
  static const Layer l;
  return l;
}

struct Prepared {
  k::AlignedVector<k::Word> packed;
  k::AlignedVector<float> out;
  explicit Prepared(const k::PGConv2dVariant& v) {
    const Layer& l = layer();
    packed.assign(v.packed_weight_words(l.g, kWb) + 1, 0);
    v.pack_weights(l.g, kWb, l.codes.data(), packed.data());
    out.resize(static_cast<size_t>(l.g.oh()) * l.g.ow() * l.g.oc);
  }
};

// Each iteration runs three convolutions in turn, timed apart in thread CPU time: the entry's density, all
// open and all closed. The entry's time (manual time) is the first alone; the ratios compare runs of the same
// iteration, so a slower or faster stretch of a shared machine moves all three together.
void run_density(benchmark::State& state, const k::PGConv2dVariant* v, int percent) {
  const Layer& l = layer();
  Prepared p(*v);
  const std::vector<float> target = l.thresholds(percent / 100.0), open_all = l.thresholds(1.0),
                           closed_all = l.thresholds(0.0);
  k::PGConv2dArgs a = l.args(target.data(), p.out.data(), p.packed.data());
  int64_t open = 0;
  a.open_count = &open;
  k::PGConv2dArgs dense = l.args(open_all.data(), p.out.data(), p.packed.data());
  k::PGConv2dArgs high_only = l.args(closed_all.data(), p.out.data(), p.packed.data());
  const auto timed = [&](const k::PGConv2dArgs& args) {
    const double t0 = thread_seconds();
    v->run(args, 0, l.g.out_rows());
    benchmark::DoNotOptimize(p.out.data());
    return thread_seconds() - t0;
  };
  double t_target = 0, t_dense = 0, t_high = 0;
  for (auto _ : state) {
    const double t = timed(a);
    t_target += t;
    t_dense += timed(dense);
    t_high += timed(high_only);
    state.SetIterationTime(t);
  }
  const double iters = static_cast<double>(state.iterations());
  const double outputs = static_cast<double>(l.g.oh()) * l.g.ow() * l.g.oc;
  state.counters["density"] = static_cast<double>(open) / (outputs * iters);
  state.counters["us"] = t_target / iters * 1e6;
  state.counters["vs_dense"] = t_target / t_dense;
  state.counters["vs_high_only"] = t_target / t_high;
}

// Registered at static-initialization time, variant by variant, densities in order.
const bool kRegistered = [] {
  for (const k::PGConv2dVariant& v : k::pgconv2d_variants()) {
    if (std::string(v.name) == "reference" || !k::cpu_supports(v.isa)) continue;
    for (int percent = 0; percent <= 100; percent += 10) {
      const std::string name =
          std::string("pgconv3x3/28x28x128-128/W8A3hb2/") + v.name + "/density:" + std::to_string(percent);
      benchmark::RegisterBenchmark(name.c_str(), run_density, &v, percent)
          ->Repetitions(kRepetitions)
          ->ReportAggregatesOnly(true)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace bnnkit::bench
