// Binary conv2d / dense kernels against oneDNN fp32 and int8 on the same shapes, in the same run, plus the
// machine's binary peak measured by a register-only XOR + VPOPCNTQ + VPADDQ loop.
//
// Benchmarks run in registration order: the peak first, then per shape and thread count oneDNN fp32, oneDNN
// int8 and ours, so our entries can report ratios to the oneDNN medians of the same run:
//   peak/xor_vpopcntq_vpaddq                   binmac_per_s of one core
//   onednn_fp32/<op>/<shape>/<stride>[/t2]      oneDNN f32 conv (or inner product), formats chosen by oneDNN
//   onednn_int8/<op>/<shape>/<stride>[/t2]      oneDNN u8 x s8 -> u8 conv (VNNI)
//   bconv3x3/56x56x64-64/s1[/bits][/t2]       ours, float output (or packed bits), best variant for the CPU
//   bconv3x3/56x56x64-64/s1/<variant>          ours with a named variant (a few shapes, every variant)
//   bconv3x3/32x32x16-16/s1[/bits]             small-channel layers (ResNet-20 stages of 16 and 32 channels)
//   bdense/1024-1024/n64[/t2]                  dense, float output
//   bitpack/56x56x64/<variant>                 float -> packed sign bits (the input of a first binary layer)
//   thermometer/224x224x3-l32/<variant>        uint8 image -> 32-level thermometer bits (FracBNN's input)
// Counters (each entry runs 5 repetitions; the medians are reported):
//   binmac_per_s            nominal binary MACs (oh * ow * oc * kh * kw * ic * n, padded taps included, as
//                           oneDNN counts MACs) per second on the entry's clock (see Clocks below)
//   peak_fraction           binmac_per_s / (threads * one-core peak), the peak being the higher of the one
//                           measured next to the repetition and the run's best (conservative)
//   peak_fraction_run       the same against the best repetition of peak/xor_vpopcntq_vpaddq in the run
//   speedup_vs_onednn_int8  oneDNN int8 median time / ours;  speedup_vs_onednn_fp32 likewise
//   best_iteration_us       shortest real time of one iteration in the repetition
//   speedup_vs_1thread_best (2 threads) shortest 1-thread iteration / shortest 2-thread iteration, see
//                           best_iteration()
//   speedup_cpu_bound       (2 threads) 1-thread CPU time / CPU time of the slower of the 2 slices: the
//                           speedup if each thread had a core (a check of the split, not of the hardware)
// Threads: "/t2" splits output rows (conv) or output channels (dense) into 2 disjoint slices on a persistent
// helper thread; oneDNN gets omp_set_num_threads(2). Results are identical for any split (tested).
// Clocks: 1-thread entries are timed in process CPU time (Google Benchmark's default), so that time slices
// lost to other processes on a shared machine do not count; 2-thread entries in real time. The oneDNN medians
// the ratios use are taken with the same clock as the entry they are compared with.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "kernels/bconv2d/bconv2d.h"
#include "kernels/bconv2d/variants.h"
#include "kernels/bdense/bdense.h"
#include "kernels/bdense/variants.h"
#include "kernels/bitpack/variants.h"
#include "kernels/common/cpu_features.h"
#include "kernels/thermometer/variants.h"

#if defined(BNNKIT_HAVE_ONEDNN)
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace bnnkit::bench {
namespace {

using kernels::AlignedVector;
using kernels::BConv2dArgs;
using kernels::BDenseArgs;
using kernels::ConvGeometry;
using kernels::OutputKind;
using kernels::Padding;
using kernels::Word;
using Clock = std::chrono::steady_clock;

// ---- the binary peak: register-only XOR + VPOPCNTQ + VPADDQ -----------------------------------------------

constexpr int kPeakBlocks = 1000;  // asm blocks per benchmark iteration
constexpr int kPeakTriples = 12;   // independent XOR+POPCNT+ADD chains per block
constexpr double kPeakBinMacs = 512.0 * kPeakTriples * kPeakBlocks;

#if defined(__x86_64__)
// 12 independent accumulators (zmm8-19) over 4 "activation" (zmm0-3) and 3 "weight" (zmm4-6) registers: the
// 4x3 tile of engines.md 3.3 without its loads. One asm block holding the whole loop, so the compiler can
// neither drop nor reorder the work nor touch the registers in between. `blocks` must be > 0.
#define BNNKIT_TRIPLE(a, w, acc, t)           \
  "vpxorq %%zmm" #w ", %%zmm" #a ", %%zmm" #t \
  "\n\t"                                      \
  "vpopcntq %%zmm" #t ", %%zmm" #t            \
  "\n\t"                                      \
  "vpaddq %%zmm" #t ", %%zmm" #acc ", %%zmm" #acc "\n\t"
__attribute__((target("avx512f,avx512vpopcntdq"))) void peak_loop(int blocks) {
  asm volatile(
      "vpternlogd $0xff, %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpsrlq $3, %%zmm0, %%zmm1\n\t"
      "vpsrlq $7, %%zmm0, %%zmm2\n\t"
      "vpsrlq $11, %%zmm0, %%zmm3\n\t"
      "vpsrlq $13, %%zmm0, %%zmm4\n\t"
      "vpsrlq $17, %%zmm0, %%zmm5\n\t"
      "vpsrlq $19, %%zmm0, %%zmm6\n\t"
      "1:\n\t" BNNKIT_TRIPLE(0, 4, 8, 20) BNNKIT_TRIPLE(1, 4, 9, 21) BNNKIT_TRIPLE(2, 4, 10, 22)
          BNNKIT_TRIPLE(3, 4, 11, 23) BNNKIT_TRIPLE(0, 5, 12, 24) BNNKIT_TRIPLE(1, 5, 13, 25)
              BNNKIT_TRIPLE(2, 5, 14, 26) BNNKIT_TRIPLE(3, 5, 15, 27) BNNKIT_TRIPLE(0, 6, 16, 28)
                  BNNKIT_TRIPLE(1, 6, 17, 29) BNNKIT_TRIPLE(2, 6, 18, 30) BNNKIT_TRIPLE(3, 6, 19, 31)
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      : [n] "+r"(blocks)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
        "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}
#undef BNNKIT_TRIPLE
#endif

void BM_peak(benchmark::State& state) {
#if defined(__x86_64__)
  if (!kernels::cpu_supports(kernels::Isa::kAvx512)) {
    state.SkipWithError("the peak loop needs AVX-512 VPOPCNTDQ");
    return;
  }
  const double t0 = now(1);
  for (auto _ : state) peak_loop(kPeakBlocks);
  record("peak", now(1) - t0, state.iterations());
  state.counters["binmac_per_s"] =
      benchmark::Counter(kPeakBinMacs, benchmark::Counter::kIsIterationInvariantRate);
#else
  state.SkipWithError("x86-64 only");
#endif
}

// One core's peak in binMAC/s measured now, over `seconds` of CPU time (0 without AVX-512).
double peak_now(double seconds) {
#if defined(__x86_64__)
  if (!kernels::cpu_supports(kernels::Isa::kAvx512)) return 0.0;
  const double t0 = now(1);
  int64_t n = 0;
  double t = 0;
  do {
    peak_loop(kPeakBlocks);
    ++n;
    t = now(1) - t0;
  } while (t < seconds);
  return kPeakBinMacs * static_cast<double>(n) / t;
#else
  (void)seconds;
  return 0.0;
#endif
}

// Seconds of peak loop run next to each timed repetition (before and after it), see set_counters().
constexpr double kLocalPeakSeconds = 0.005;

// One core's peak in binMAC/s: the best repetition of BM_peak if it ran, else measured here. The best, not
// the median: on a shared machine the loop loses throughput to its neighbours, and a low peak would flatter
// us.
double peak_per_core() {
  auto& s = samples()["peak"];
  if (s.empty()) {
#if defined(__x86_64__)
    if (!kernels::cpu_supports(kernels::Isa::kAvx512)) return 0.0;
    for (int r = 0; r < kRepetitions; ++r) {
      const double t0 = now(1);
      int64_t n = 0;
      while (now(1) - t0 < kMinTime) {
        peak_loop(kPeakBlocks);
        ++n;
      }
      record("peak", now(1) - t0, n);
    }
#else
    return 0.0;
#endif
  }
  return kPeakBinMacs / *std::min_element(s.begin(), s.end());
}

// ---- a helper thread for 2-thread runs --------------------------------------------------------------------

// Runs job(1) on a helper thread while the caller runs job(0); spins, so a fork/join costs well under a
// microsecond rather than a thread start. A wait that lasts yields the core (on a shared machine the thread
// being waited for may need it). Exists only during a 2-thread benchmark.
class HelperThread {
 public:
  HelperThread() : th_([this] { loop(); }) {}
  ~HelperThread() {
    stop_.store(true);
    gen_.fetch_add(1);
    th_.join();
  }
  void run(const std::function<void(int)>& job) {
    job_ = &job;
    const int g = gen_.fetch_add(1, std::memory_order_acq_rel) + 1;
    job(0);
    for (int spins = 0; done_.load(std::memory_order_acquire) != g; ++spins) {
      if (spins > kSpinsBeforeYield) std::this_thread::yield();
    }
  }

 private:
  void loop() {
    int seen = 0;
    for (;;) {
      int g;
      for (int spins = 0; (g = gen_.load(std::memory_order_acquire)) == seen; ++spins) {
        if (spins > kSpinsBeforeYield) std::this_thread::yield();
      }
      if (stop_.load()) return;
      (*job_)(1);
      seen = g;
      done_.store(g, std::memory_order_release);
    }
  }
  static constexpr int kSpinsBeforeYield = 20000;  // ~10-50 us of spinning
  std::atomic<int> gen_{0}, done_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int)>* job_ = nullptr;
  std::thread th_;
};

// Shortest real time of one iteration, by entry and thread count. On a shared machine a 2-thread iteration
// often waits for a time slice (a median then measures the scheduler), but some iterations run with both
// threads on a core: the ratio of the best iterations is the thread scaling the hardware gives.
std::map<std::string, double>& best_iteration() {
  static std::map<std::string, double> b;
  return b;
}

double thread_cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs fn(slice, slices) in the benchmark loop with 1 or 2 threads; returns seconds per iteration on the
// clock the entry is timed with, the shortest real time of one iteration in *best, and (2 threads) the CPU
// time per iteration of the slowest slice in *slice_cpu: what a 2-thread iteration would take if both threads
// had a core to themselves.
double timed_loop(benchmark::State& state, int threads, const std::function<void(int, int)>& fn, double* best,
                  double* slice_cpu) {
  std::unique_ptr<HelperThread> helper;
  double cpu[2] = {0, 0};
  const std::function<void(int)> job = [&](int part) {
    const double t0 = thread_cpu_now();
    fn(part, threads);
    cpu[part] += thread_cpu_now() - t0;
  };
  if (threads > 1) helper = std::make_unique<HelperThread>();
  *best = 1e30;
  const double t0 = now(threads);
  for (auto _ : state) {
    const auto a = Clock::now();
    if (helper) {
      helper->run(job);
    } else {
      fn(0, 1);
    }
    benchmark::ClobberMemory();
    *best = std::min(*best, std::chrono::duration<double>(Clock::now() - a).count());
  }
  const auto iters = static_cast<double>(std::max<int64_t>(1, state.iterations()));
  *slice_cpu = std::max(cpu[0], cpu[1]) / iters;
  return (now(threads) - t0) / iters;
}

// Records this entry's best iteration and, for 2 threads, sets speedup_vs_1thread_best against the 1-thread
// entry of the same shape, output and variant (registered earlier in the run), and speedup_cpu_bound: the
// 1-thread CPU time per iteration over that of the slowest of the 2 slices.
void set_scaling(benchmark::State& state, const std::string& key, int threads, double best, double seconds,
                 double slice_cpu) {
  double& mine = best_iteration().try_emplace(key + "/t" + std::to_string(threads), 1e30).first->second;
  mine = std::min(mine, best);
  state.counters["best_iteration_us"] = best * 1e6;
  if (threads == 1) samples()["cpu" + key].push_back(seconds);
  const auto one = best_iteration().find(key + "/t1");
  if (threads > 1 && one != best_iteration().end())
    state.counters["speedup_vs_1thread_best"] = one->second / mine;
  const auto& one_cpu = samples()["cpu" + key];
  if (threads > 1 && !one_cpu.empty() && slice_cpu > 0)
    state.counters["speedup_cpu_bound"] = median(one_cpu) / slice_cpu;
}

// "/conv3x3/56x56x64-64/s1/t2" -> "/conv3x3/56x56x64-64/s1".
std::string without_threads(const std::string& key) {
  return key.size() > 3 && key.compare(key.size() - 3, 3, "/t2") == 0 ? key.substr(0, key.size() - 3) : key;
}

// ---- oneDNN baselines -------------------------------------------------------------------------------------

// oneDNN here runs on OpenMP (libgomp, loaded with libdnnl); omp_set_num_threads is looked up at run time so
// the bench does not need to link libgomp itself.
void set_onednn_threads(int threads) {
  using SetFn = void (*)(int);
  static const auto fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (fn != nullptr) fn(threads);
}

#if defined(BNNKIT_HAVE_ONEDNN)
// One oneDNN convolution or inner product with its memories, built once, executed many times.
class OnednnOp {
 public:
  // kh == 0 means an inner product (dense) of ic -> oc over g.n rows.
  OnednnOp(const ConvGeometry& g, bool dense, bool int8) : eng_(dnnl::engine::kind::cpu, 0), strm_(eng_) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const dt src_t = int8 ? dt::u8 : dt::f32, wei_t = int8 ? dt::s8 : dt::f32,
             dst_t = int8 ? dt::u8 : dt::f32;
    dnnl::primitive_desc_base pd;
    if (dense) {
      const dnnl::memory::desc src({g.n, g.ic}, src_t, tag::any), wei({g.oc, g.ic}, wei_t, tag::any),
          dst({g.n, g.oc}, dst_t, tag::any);
      const dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src, wei, dst);
      const dnnl::inner_product_forward::primitive_desc p(d, eng_);
      prim_ = dnnl::inner_product_forward(p);
      pd = p;
    } else {
      const dnnl::memory::desc src({g.n, g.ic, g.ih, g.iw}, src_t, tag::any),
          wei({g.oc, g.ic, g.kh, g.kw}, wei_t, tag::any), dst({g.n, g.oc, g.oh(), g.ow()}, dst_t, tag::any);
      // Right/bottom padding that makes oneDNN's output size equal ours exactly.
      const int pb = (g.oh() - 1) * g.sh + g.kh - g.ih - g.ph, pr = (g.ow() - 1) * g.sw + g.kw - g.iw - g.pw;
      const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                              dnnl::algorithm::convolution_direct, src, wei, dst,
                                              {g.sh, g.sw}, {g.ph, g.pw}, {pb, pr});
      const dnnl::convolution_forward::primitive_desc p(d, eng_);
      prim_ = dnnl::convolution_forward(p);
      pd = p;
    }
    impl_ = pd.impl_info_str();
    src_ = filled(pd.src_desc(), 1);
    wei_ = filled(pd.weights_desc(), 2);
    dst_ = dnnl::memory(pd.dst_desc(), eng_);
  }
  void run() {
    prim_.execute(strm_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, wei_}, {DNNL_ARG_DST, dst_}});
    strm_.wait();
  }
  const std::string& impl() const { return impl_; }

 private:
  dnnl::memory filled(const dnnl::memory::desc& md, uint64_t seed) {
    dnnl::memory m(md, eng_);
    auto* p = static_cast<uint8_t*>(m.get_data_handle());
    std::mt19937_64 rng(seed);
    const bool f32 = md.data_type() == dnnl::memory::data_type::f32;
    for (size_t i = 0; i < md.get_size(); i += f32 ? 4 : 1) {
      if (f32) {
        const float v = (rng() & 1) ? 1.0f : -1.0f;  // +-1, like the binary layer's values
        std::memcpy(p + i, &v, 4);
      } else {
        p[i] = static_cast<uint8_t>(rng() & 0x7f);
      }
    }
    return m;
  }
  dnnl::engine eng_;
  dnnl::stream strm_;
  dnnl::primitive prim_;
  dnnl::memory src_, wei_, dst_;
  std::string impl_;
};

void BM_onednn(benchmark::State& state, ConvGeometry g, bool dense, bool int8, int threads, std::string key) {
  set_onednn_threads(threads);
  OnednnOp op(g, dense, int8);
  op.run();  // first execution outside the timing (page faults, JIT)
  const double t0 = now(threads);
  for (auto _ : state) op.run();
  record(key, now(threads) - t0, state.iterations());
  set_onednn_threads(1);
  state.SetLabel(op.impl());
  const double macs = dense ? static_cast<double>(g.n) * g.ic * g.oc
                            : static_cast<double>(g.n) * g.oh() * g.ow() * g.oc * g.kh * g.kw * g.ic;
  state.counters["mac_per_s"] = benchmark::Counter(macs, benchmark::Counter::kIsIterationInvariantRate);
}

// The oneDNN median for key, measuring it here if its benchmark was filtered out of this run.
double onednn_seconds(const std::string& key, const ConvGeometry& g, bool dense, bool int8, int threads) {
  auto& s = samples()[key];
  if (s.empty()) {
    set_onednn_threads(threads);
    OnednnOp op(g, dense, int8);
    op.run();
    for (int r = 0; r < kRepetitions; ++r) {
      const double t0 = now(threads);
      int64_t n = 0;
      while (now(threads) - t0 < kMinTime) {
        op.run();
        ++n;
      }
      record(key, now(threads) - t0, n);
    }
    set_onednn_threads(1);
  }
  return median(s);
}
#endif

// ---- our kernels ------------------------------------------------------------------------------------------

// Counters shared by conv and dense; `seconds` is ours per iteration (one repetition), and Google Benchmark
// reports the median over the repetitions.
void set_counters(benchmark::State& state, double macs, double seconds, double local_peak, int threads,
                  double int8_s, double fp32_s) {
  using benchmark::Counter;
  state.counters["binmac_per_s"] = Counter(macs, Counter::kIsIterationInvariantRate);
  // The vCPUs of a shared machine lose throughput to whatever runs beside them, even in CPU time, and that
  // changes over a run. The fraction is taken against the higher of the peak measured next to this repetition
  // (half before, half after the timed loop) and the run's best peak; peak_fraction_run uses the latter.
  const double run_peak = peak_per_core();
  const double peak = std::max(local_peak, run_peak);  // the higher peak: the lower, conservative fraction
  if (peak > 0) state.counters["peak_fraction"] = macs / seconds / (peak * threads);
  if (run_peak > 0) state.counters["peak_fraction_run"] = macs / seconds / (run_peak * threads);
  if (int8_s > 0) state.counters["speedup_vs_onednn_int8"] = int8_s / seconds;
  if (fp32_s > 0) state.counters["speedup_vs_onednn_fp32"] = fp32_s / seconds;
}

void BM_bconv(benchmark::State& state, ConvGeometry g, OutputKind kind, int threads, std::string variant,
              std::string onednn_key) {
  const kernels::BConv2dVariant* v =
      variant.empty() ? &kernels::bconv2d_select(g, Padding::kZero, kind, kernels::active_isa())
                      : kernels::bconv2d_find(variant);
  if (v == nullptr || !kernels::cpu_supports(v->isa)) {
    state.SkipWithError("variant not available on this CPU");
    return;
  }
  const auto src = random_bits(static_cast<size_t>(g.n) * g.ih * g.iw, g.ic, 1);
  const auto ref_w = random_bits(static_cast<size_t>(g.oc) * g.kh * g.kw, g.ic, 2);
  AlignedVector<Word> w(v->packed_weight_words(g));
  v->pack_weights(g, ref_w.data(), w.data());
  const Stage st(g.oc);
  AlignedVector<unsigned char> dst(static_cast<size_t>(g.out_rows()) * g.ow() *
                                   kernels::output_pixel_bytes(kind, g.oc));
  BConv2dArgs a;
  a.g = g;
  a.padding = Padding::kZero;
  a.src = src.data();
  a.weights = w.data();
  a.out = st.stage(kind);
  a.dst = dst.data();
  const int rows = g.out_rows();
  v->run(a, 0, rows);  // warm the caches and the page tables
  const double peak_before = peak_now(kLocalPeakSeconds);
  double best = 0, slice_cpu = 0;
  const double seconds = timed_loop(
      state, threads, [&](int part, int parts) { v->run(a, rows * part / parts, rows * (part + 1) / parts); },
      &best, &slice_cpu);
  const double local_peak = (peak_before + peak_now(kLocalPeakSeconds)) / 2;
  state.SetLabel(v->name);
  set_scaling(state,
              without_threads(onednn_key) + "/" + std::to_string(static_cast<int>(kind)) + "/" + v->name,
              threads, best, seconds, slice_cpu);
  double int8_s = 0, fp32_s = 0;
#if defined(BNNKIT_HAVE_ONEDNN)
  int8_s = onednn_seconds("int8" + onednn_key, g, false, true, threads);
  fp32_s = onednn_seconds("fp32" + onednn_key, g, false, false, threads);
#endif
  set_counters(state, static_cast<double>(rows) * g.ow() * g.oc * g.kh * g.kw * g.ic, seconds, local_peak,
               threads, int8_s, fp32_s);
}

void BM_bdense(benchmark::State& state, int n, int ic, int oc, OutputKind kind, int threads,
               std::string variant, std::string onednn_key) {
  const kernels::BDenseVariant* v = variant.empty()
                                        ? &kernels::bdense_select(ic, oc, kind, kernels::active_isa())
                                        : kernels::bdense_find(variant);
  if (v == nullptr || !kernels::cpu_supports(v->isa)) {
    state.SkipWithError("variant not available on this CPU");
    return;
  }
  const auto src = random_bits(n, ic, 3);
  const auto ref_w = random_bits(oc, ic, 4);
  AlignedVector<Word> w(v->packed_weight_words(ic, oc));
  v->pack_weights(ic, oc, ref_w.data(), w.data());
  const Stage st(oc);
  AlignedVector<unsigned char> dst(static_cast<size_t>(n) * kernels::output_pixel_bytes(kind, oc));
  BDenseArgs a;
  a.n = n;
  a.ic = ic;
  a.oc = oc;
  a.src = src.data();
  a.weights = w.data();
  a.out = st.stage(kind);
  a.dst = dst.data();
  v->run(a, 0, n, 0, oc);
  // Threads split the output channels in whole words, so each streams its own half of the weights.
  const int oc_words = kernels::words_for(oc);
  const double peak_before = peak_now(kLocalPeakSeconds);
  double best = 0, slice_cpu = 0;
  const double seconds = timed_loop(
      state, threads,
      [&](int part, int parts) {
        const int c0 = std::min(oc, oc_words * part / parts * kernels::kWordBits);
        const int c1 = std::min(oc, oc_words * (part + 1) / parts * kernels::kWordBits);
        v->run(a, 0, n, c0, c1);
      },
      &best, &slice_cpu);
  const double local_peak = (peak_before + peak_now(kLocalPeakSeconds)) / 2;
  state.SetLabel(v->name);
  set_scaling(state, without_threads(onednn_key) + "/" + v->name, threads, best, seconds, slice_cpu);
  double int8_s = 0, fp32_s = 0;
#if defined(BNNKIT_HAVE_ONEDNN)
  ConvGeometry g;
  g.n = n;
  g.ic = ic;
  g.oc = oc;
  int8_s = onednn_seconds("int8" + onednn_key, g, true, true, threads);
  fp32_s = onednn_seconds("fp32" + onednn_key, g, true, false, threads);
#endif
  set_counters(state, static_cast<double>(n) * ic * oc, seconds, local_peak, threads, int8_s, fp32_s);
}

// ---- quantizers -------------------------------------------------------------------------------------------

void BM_bitpack(benchmark::State& state, const kernels::BitpackVariant* v, int pixels, int channels) {
  if (!kernels::cpu_supports(v->isa)) {
    state.SkipWithError("variant not available on this CPU");
    return;
  }
  std::mt19937_64 rng(5);
  AlignedVector<float> src(static_cast<size_t>(pixels) * channels);
  for (auto& x : src) x = static_cast<float>(static_cast<int64_t>(rng() % 2001) - 1000) * 1e-3f;
  AlignedVector<Word> dst(static_cast<size_t>(pixels) * kernels::words_for(channels));
  kernels::BitpackArgs a;
  a.rows = pixels;
  a.channels = channels;
  a.src = src.data();
  a.dst = dst.data();
  for (auto _ : state) {
    v->run(a, 0, pixels);
    benchmark::ClobberMemory();
  }
  state.SetLabel(v->name);
  state.counters["floats_per_s"] =
      benchmark::Counter(static_cast<double>(src.size()), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_thermometer(benchmark::State& state, const kernels::ThermometerVariant* v, int pixels, int channels) {
  if (!kernels::cpu_supports(v->isa) || v->rejects(channels, 32) != nullptr) {
    state.SkipWithError("variant not available on this CPU or for this shape");
    return;
  }
  std::mt19937_64 rng(6);
  AlignedVector<uint8_t> src(static_cast<size_t>(pixels) * channels);
  for (auto& x : src) x = static_cast<uint8_t>(rng());
  AlignedVector<Word> dst(static_cast<size_t>(pixels) * kernels::words_for(channels * 32));
  kernels::ThermometerArgs a;
  a.pixels = pixels;
  a.channels = channels;
  a.levels = 32;
  a.src = src.data();
  a.dst = dst.data();
  for (auto _ : state) {
    v->run(a, 0, pixels);
    benchmark::ClobberMemory();
  }
  state.SetLabel(v->name);
  state.counters["pixels_per_s"] = benchmark::Counter(pixels, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- registration -----------------------------------------------------------------------------------------

benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b, int threads) {
  b->Unit(benchmark::kMicrosecond)->MinTime(kMinTime)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
  return threads == 1 ? b : b->UseRealTime();
}

struct ConvShape {
  int hw, c;
};
constexpr ConvShape kConvShapes[] = {{56, 64}, {28, 128}, {14, 256}, {7, 512}};

void register_all() {
  configure(benchmark::RegisterBenchmark("peak/xor_vpopcntq_vpaddq", BM_peak), 1);
  for (const int threads : {1, 2}) {
    const std::string tsuf = threads == 1 ? "" : "/t2";
    for (const int k : {3, 1}) {
      for (const int s : {1, 2}) {
        for (const ConvShape& cs : kConvShapes) {
          ConvGeometry g{1, cs.hw, cs.hw, cs.c, cs.c, k, k, s, s, k / 2, k / 2};
          const std::string shape = std::to_string(cs.hw) + "x" + std::to_string(cs.hw) + "x" +
                                    std::to_string(cs.c) + "-" + std::to_string(cs.c) + "/s" +
                                    std::to_string(s);
          const std::string op = "conv" + std::to_string(k) + "x" + std::to_string(k) + "/";
          const std::string key = "/" + op + shape + tsuf;
#if defined(BNNKIT_HAVE_ONEDNN)
          configure(benchmark::RegisterBenchmark(("onednn_fp32/" + op + shape + tsuf).c_str(), BM_onednn, g,
                                                 false, false, threads, "fp32" + key),
                    threads);
          configure(benchmark::RegisterBenchmark(("onednn_int8/" + op + shape + tsuf).c_str(), BM_onednn, g,
                                                 false, true, threads, "int8" + key),
                    threads);
#endif
          configure(benchmark::RegisterBenchmark(("b" + op + shape + tsuf).c_str(), BM_bconv, g,
                                                 OutputKind::kFloat, threads, std::string(), key),
                    threads);
          configure(benchmark::RegisterBenchmark(("b" + op + shape + "/bits" + tsuf).c_str(), BM_bconv, g,
                                                 OutputKind::kBits, threads, std::string(), key),
                    threads);
          // Every variant on the first shape, one thread: what a CPU without AVX-512 (or without AVX2) gets.
          if (threads == 1 && k == 3 && s == 1 && cs.hw == 56) {
            for (const auto& v : kernels::bconv2d_variants()) {
              configure(benchmark::RegisterBenchmark(("b" + op + shape + "/" + v.name).c_str(), BM_bconv, g,
                                                     OutputKind::kFloat, threads, std::string(v.name), key),
                        threads);
            }
          }
        }
      }
    }
    for (const int n : {1, 64}) {
      for (const int c : {1024, 4096}) {
        const std::string shape = std::to_string(c) + "-" + std::to_string(c) + "/n" + std::to_string(n);
        const std::string key = "/dense/" + shape + tsuf;
        ConvGeometry g;
        g.n = n;
        g.ic = g.oc = c;
#if defined(BNNKIT_HAVE_ONEDNN)
        configure(benchmark::RegisterBenchmark(("onednn_fp32/dense/" + shape + tsuf).c_str(), BM_onednn, g,
                                               true, false, threads, "fp32" + key),
                  threads);
        configure(benchmark::RegisterBenchmark(("onednn_int8/dense/" + shape + tsuf).c_str(), BM_onednn, g,
                                               true, true, threads, "int8" + key),
                  threads);
#endif
        configure(benchmark::RegisterBenchmark(("bdense/" + shape + tsuf).c_str(), BM_bdense, n, c, c,
                                               OutputKind::kFloat, threads, std::string(), key),
                  threads);
        if (threads == 1 && n == 64 && c == 1024) {
          for (const auto& v : kernels::bdense_variants()) {
            configure(
                benchmark::RegisterBenchmark(("bdense/" + shape + "/" + v.name).c_str(), BM_bdense, n, c, c,
                                             OutputKind::kFloat, threads, std::string(v.name), key),
                threads);
          }
        }
      }
    }
  }
}

// The small-channel layers of the CIFAR / Fashion-MNIST ResNet-20 stages (16 and 32 channels), 3x3 stride 1,
// one thread: below 64 channels a pixel's word is mostly padding, so these are not held to the peak targets.
void register_small_channels() {
  for (const ConvShape& cs : {ConvShape{32, 16}, ConvShape{16, 32}}) {
    ConvGeometry g{1, cs.hw, cs.hw, cs.c, cs.c, 3, 3, 1, 1, 1, 1};
    const std::string shape = std::to_string(cs.hw) + "x" + std::to_string(cs.hw) + "x" +
                              std::to_string(cs.c) + "-" + std::to_string(cs.c) + "/s1";
    const std::string key = "/conv3x3/" + shape;
#if defined(BNNKIT_HAVE_ONEDNN)
    configure(benchmark::RegisterBenchmark(("onednn_fp32/conv3x3/" + shape).c_str(), BM_onednn, g, false,
                                           false, 1, "fp32" + key),
              1);
    configure(benchmark::RegisterBenchmark(("onednn_int8/conv3x3/" + shape).c_str(), BM_onednn, g, false,
                                           true, 1, "int8" + key),
              1);
#endif
    for (const OutputKind kind : {OutputKind::kFloat, OutputKind::kBits}) {
      configure(benchmark::RegisterBenchmark(
                    ("bconv3x3/" + shape + (kind == OutputKind::kBits ? "/bits" : "")).c_str(), BM_bconv, g,
                    kind, 1, std::string(), key),
                1);
    }
  }
}

void register_quantizers() {
  for (const auto& v : kernels::bitpack_variants()) {
    configure(benchmark::RegisterBenchmark((std::string("bitpack/56x56x64/") + v.name).c_str(), BM_bitpack,
                                           &v, 56 * 56, 64),
              1);
  }
  for (const auto& v : kernels::thermometer_variants()) {
    configure(benchmark::RegisterBenchmark((std::string("thermometer/224x224x3-l32/") + v.name).c_str(),
                                           BM_thermometer, &v, 224 * 224, 3),
              1);
  }
}

// Registration at static-initialization time, in this order (the peak first, oneDNN before ours per shape).
const bool kRegistered = (register_all(), register_small_channels(), register_quantizers(), true);

}  // namespace
}  // namespace bnnkit::bench
