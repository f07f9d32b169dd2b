// bnnkit bench MODEL: median latency over repeated runs on random inputs, and with --profile the time of
// every op (as a share of the whole) and the gate density of fractional convs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "bnnkit/bnnkit.h"
#include "commands.h"
#include "common.h"
#include "runtime/infer.h"

namespace bnnkit::cli {
namespace {

void random_inputs(Session& s) {
  std::mt19937 rng(42);
  const auto inputs = s.model().inputs();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorView v = s.input(static_cast<int>(i));
    const int64_t n = runtime::num_elements(v.shape);
    if (v.dtype == DType::kUInt8) {
      std::vector<uint8_t> x(n);
      for (auto& b : x) b = static_cast<uint8_t>(rng());
      s.set_input(static_cast<int>(i), std::span<const uint8_t>(x));
    } else {
      std::normal_distribution<float> d;
      std::vector<float> x(n);
      for (auto& f : x) f = d(rng);
      s.set_input(static_cast<int>(i), std::span<const float>(x));
    }
  }
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

}  // namespace

int run_bench(const BenchArgs& a) {
  if (a.iters < 1) throw Error("--iters must be >= 1");
  const Model model = force_gates(load_model_or_arch(a.model), a.gates);
  Session s(model, {.threads = a.threads, .batch = a.batch, .max_isa = a.isa, .profile = a.profile});
  // Real images (cycled through, a batch per run, fed outside the timing) or random inputs.
  int count = 0;
  std::vector<uint8_t> images;
  if (!a.images.empty()) images = load_images(model, a.images, std::numeric_limits<int>::max(), &count);
  const ImageInput in = images.empty() ? ImageInput{} : image_input(model);
  const size_t per = static_cast<size_t>(in.h) * in.w * in.c;
  int next = 0;
  auto feed = [&] {
    if (images.empty()) return;
    std::vector<uint8_t> batch(per * s.batch());
    for (int i = 0; i < s.batch(); ++i, next = (next + 1) % count)
      std::copy_n(images.data() + per * next, per, batch.data() + per * i);
    feed_images(s, in, batch.data(), s.batch());
  };
  if (images.empty()) random_inputs(s);
  for (int i = 0; i < a.warmup; ++i) {
    feed();
    s.run();
  }
  s.reset_profile();
  std::vector<double> ms;
  for (int i = 0; i < a.iters; ++i) {
    feed();
    const auto t0 = std::chrono::steady_clock::now();
    s.run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double median = percentile(ms, 0.5), p10 = percentile(ms, 0.1), p90 = percentile(ms, 0.9);
  const double fps = a.batch * 1000.0 / median;
  const auto prof = s.profile();
  double prof_total = 0;
  for (const auto& p : prof) prof_total += p.total_ms;
  if (a.json) {
    nlohmann::json j = {{"model", a.model},       {"batch", a.batch},
                        {"threads", s.threads()}, {"iters", a.iters},
                        {"median_ms", median},    {"p10_ms", p10},
                        {"p90_ms", p90},          {"fps", fps},
                        {"gates", a.gates},       {"inputs", a.images.empty() ? "random" : a.images}};
    if (a.profile)
      for (const auto& p : prof) {
        nlohmann::json o = {{"name", p.name},
                            {"op", p.op},
                            {"kernel", p.kernel},
                            {"mean_ms", p.total_ms / p.runs},
                            {"macs", p.macs}};
        if (p.gate_outputs > 0) o["gate_density"] = static_cast<double>(p.gate_open) / p.gate_outputs;
        j["ops"].push_back(o);
      }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: batch %d, %d thread(s), %d runs, %s inputs%s\n", a.model.c_str(), a.batch, s.threads(),
              a.iters, a.images.empty() ? "random" : a.images.c_str(),
              a.gates == "model" ? "" : (", every gate forced " + a.gates).c_str());
  std::printf("latency  median %.3f ms  (p10 %.3f, p90 %.3f)   %.1f images/s\n", median, p10, p90, fps);
  if (a.profile) {
    std::printf("\n%-22s %-12s %-16s %10s %7s %14s %8s\n", "op", "type", "kernel", "mean ms", "share",
                "GMAC/s", "density");
    for (const auto& p : prof) {
      const double mean = p.total_ms / p.runs;
      std::printf("%-22s %-12s %-16s %10.4f %6.1f%%", p.name.c_str(), p.op.c_str(), p.kernel.c_str(), mean,
                  prof_total > 0 ? 100.0 * p.total_ms / prof_total : 0.0);
      if (p.macs > 0 && mean > 0) {
        std::printf(" %14.2f", p.macs / (mean * 1e6));
      } else {
        std::printf(" %14s", "");
      }
      if (p.gate_outputs > 0) std::printf(" %7.1f%%", 100.0 * p.gate_open / p.gate_outputs);
      std::printf("\n");
    }
  }
  return 0;
}

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Time a model: median latency, images/s, per-op profile");
  cmd->add_option("model", args->model, "Model file (.bnn) or zoo architecture name")->required();
  cmd->add_option("--batch", args->batch, "Images per run")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--iters", args->iters, "Timed runs")->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Untimed runs first")->capture_default_str();
  cmd->add_option("--isa", args->isa, "Cap the kernel ISA: portable, avx2, avx512");
  cmd->add_flag("--profile", args->profile, "Per-op time breakdown");
  cmd->add_option("--images", args->images,
                  "Time on these images (IDX or PNG, cycled) instead of random inputs: real gate densities");
  cmd->add_option("--gates", args->gates,
                  "model, open (every output takes the LSB pass: the dense model) or closed")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print machine-readable JSON");
  cmd->callback([args] {
    if (int rc = run_bench(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
