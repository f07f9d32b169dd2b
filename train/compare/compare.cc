#include "train/compare/compare.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "train/compare/mobilenet_v2.h"
#include "train/compare/torch_twin.h"
#include "zoo/zoo.h"

namespace bnnkit::train {
namespace {

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// Warm-up, then up to `iters` timed calls of run() (steady_clock around each), stopping early once
// max_seconds of timed work and at least 3 runs are done: the fp32 twins take seconds per batch-8 run.
template <class F>
Timing time_runs(F&& run, int batch, const CompareOptions& o) {
  // Let the previous model's idle workers (libgomp spins a while before it sleeps) stop competing for the
  // two cores before this one starts.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < o.warmup; ++i) run();
  std::vector<double> ms;
  double total_s = 0;
  for (int i = 0; i < o.iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const double d = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ms.push_back(d);
    total_s += d / 1000.0;
    if (total_s >= o.max_seconds && ms.size() >= 3) break;
  }
  Timing t;
  t.runs = static_cast<int>(ms.size());
  t.median_ms = percentile(ms, 0.5);
  t.p10_ms = percentile(ms, 0.1);
  t.p90_ms = percentile(ms, 0.9);
  t.fps = batch * 1000.0 / t.median_ms;
  return t;
}

// Random inputs as `bnnkit bench` feeds them: uniform bytes for images, N(0, 1) for float inputs.
void random_inputs(Session& s) {
  std::mt19937 rng(42);
  for (size_t i = 0; i < s.model().inputs().size(); ++i) {
    const TensorView v = s.input(static_cast<int>(i));
    int64_t n = 1;
    for (int d : v.shape) n *= d;
    if (v.dtype == DType::kUInt8) {
      std::vector<uint8_t> x(static_cast<size_t>(n));
      for (auto& b : x) b = static_cast<uint8_t>(rng());
      s.set_input(static_cast<int>(i), std::span<const uint8_t>(x));
    } else {
      std::normal_distribution<float> d;
      std::vector<float> x(static_cast<size_t>(n));
      for (auto& f : x) f = d(rng);
      s.set_input(static_cast<int>(i), std::span<const float>(x));
    }
  }
}

void say(const CompareOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

std::string where(const std::string& what, int threads, int batch) {
  return what + ", " + std::to_string(threads) + " thread(s), batch " + std::to_string(batch);
}

nlohmann::json timing_json(const Timing& t) {
  if (!t.measured()) return nullptr;
  return {{"median_ms", t.median_ms},
          {"p10_ms", t.p10_ms},
          {"p90_ms", t.p90_ms},
          {"fps", t.fps},
          {"runs", t.runs}};
}

// printf into `out`, format-checked.
__attribute__((format(printf, 2, 3))) void appendf(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  out += buf;
}

// The 1, 5 and 15 minute load averages: timings on 2 shared cores mean little under load.
std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(f >> one >> five >> fifteen)) return "";
  return one + " " + five + " " + fifteen;
}

}  // namespace

CompareResult run_compare(const CompareOptions& o) {
  if (o.iters < 1) throw Error("--iters must be >= 1");
  if (o.warmup < 0) throw Error("--warmup must be >= 0");
  for (int t : o.threads)
    if (t < 1) throw Error("--threads values must be >= 1");
  for (int b : o.batches)
    if (b < 1) throw Error("--batch values must be >= 1");
  const TorchLayout layout = parse_torch_layout(o.layout);
  c10::InferenceMode inference;
  at::globalContext().setFlushDenormal(true);

  CompareResult r;
  r.layout = torch_layout_name(layout);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  r.omp_wait_policy = policy ? policy : "";
  r.torch_version = TORCH_VERSION;
  r.iters = o.iters;
  r.warmup = o.warmup;
  r.load_before = load_average();

  struct Arch {
    Model model;
    std::unique_ptr<TorchTwin> twin;
  };
  std::vector<Arch> archs;
  for (const std::string& name : o.archs) {
    say(o, "building " + name);
    Model model = Model::from_graph(zoo::build(name));
    const ModelCost cost = model_cost(model.graph());
    CompareResult::ArchInfo info{name, cost.macs, cost.binary_macs, 0};
    std::unique_ptr<TorchTwin> twin;
    if (o.twin) {
      twin = std::make_unique<TorchTwin>(model.graph(), layout);
      info.twin_macs = twin->macs_per_image();
    }
    r.archs.push_back(info);
    archs.push_back({std::move(model), std::move(twin)});
  }
  MobileNetV2 mnv2;
  if (o.mobilenet) {
    mnv2->eval();
    set_weight_format(*mnv2, memory_format(layout));
    r.mobilenet_macs = mnv2->macs_per_image();
  }

  for (int threads : o.threads) {
    torch::set_num_threads(threads);
    for (int batch : o.batches) {
      Timing mobilenet;
      if (o.mobilenet) {
        say(o, "timing " + where("MobileNetV2 fp32", threads, batch));
        const torch::Tensor x = torch::rand({batch, 3, 224, 224}).contiguous(memory_format(layout));
        mobilenet = time_runs([&] { mnv2->forward(x); }, batch, o);
      }
      for (size_t a = 0; a < archs.size(); ++a) {
        CompareRow row;
        row.arch = o.archs[a];
        row.threads = threads;
        row.batch = batch;
        {
          say(o, "timing " + where(row.arch + " on bnnkit", threads, batch));
          Session s(archs[a].model, {.threads = threads, .batch = batch});
          random_inputs(s);
          row.engine = time_runs([&] { s.run(); }, batch, o);
        }
        if (archs[a].twin) {
          say(o, "timing " + where(row.arch + " fp32 twin", threads, batch));
          const torch::Tensor x = archs[a].twin->example_input(batch);
          row.twin = time_runs([&] { archs[a].twin->forward(x); }, batch, o);
          row.speedup_vs_twin = row.twin.median_ms / row.engine.median_ms;
        }
        row.mobilenet = mobilenet;
        if (mobilenet.measured()) row.speedup_vs_mobilenet = mobilenet.median_ms / row.engine.median_ms;
        r.rows.push_back(row);
      }
    }
  }
  r.load_after = load_average();
  return r;
}

std::string format_compare(const CompareResult& r) {
  std::string out;
  appendf(out,
          "bnnkit vs LibTorch %s fp32 (%s, OMP_WAIT_POLICY=%s), median of up to %d runs after %d warm-up\n",
          r.torch_version.c_str(), r.layout.c_str(),
          r.omp_wait_policy.empty() ? "unset" : r.omp_wait_policy.c_str(), r.iters, r.warmup);
  appendf(out, "load average %s before, %s after\n", r.load_before.c_str(), r.load_after.c_str());
  for (const auto& a : r.archs)
    appendf(out, "  %-24s %6.3f GMAC/image (%.3f binary); fp32 twin %6.3f GMAC/image\n", a.name.c_str(),
            a.engine_macs / 1e9, a.binary_macs / 1e9, a.twin_macs / 1e9);
  if (r.mobilenet_macs > 0)
    appendf(out, "  %-24s %6.3f GMAC/image\n", "MobileNetV2 1.0 224", r.mobilenet_macs / 1e9);
  appendf(out, "\n%-24s %3s %5s | %9s %8s | %9s %8s %7s | %9s %8s %7s\n", "arch", "thr", "batch", "bnnkit ms",
          "FPS", "twin ms", "FPS", "x twin", "MNv2 ms", "FPS", "x MNv2");
  const auto cell = [&](const Timing& t, double speedup) {
    if (t.measured()) {
      appendf(out, " %9.2f %8.1f", t.median_ms, t.fps);
      if (speedup > 0) appendf(out, " %6.2fx", speedup);
    } else {
      appendf(out, " %9s %8s%s", "-", "-", speedup >= 0 ? "       -" : "");
    }
  };
  for (const auto& row : r.rows) {
    appendf(out, "%-24s %3d %5d |", row.arch.c_str(), row.threads, row.batch);
    cell(row.engine, -1);
    appendf(out, " |");
    cell(row.twin, row.speedup_vs_twin);
    appendf(out, " |");
    cell(row.mobilenet, row.speedup_vs_mobilenet);
    appendf(out, "\n");
  }
  appendf(out, "x twin / x MNv2: the reference's median latency over bnnkit's (> 1: bnnkit is faster)\n");
  return out;
}

nlohmann::json compare_json(const CompareResult& r) {
  nlohmann::json j;
  j["libtorch"] = r.torch_version;
  j["layout"] = r.layout;
  j["omp_wait_policy"] = r.omp_wait_policy;
  j["iters"] = r.iters;
  j["warmup"] = r.warmup;
  j["load_before"] = r.load_before;
  j["load_after"] = r.load_after;
  for (const auto& a : r.archs)
    j["archs"].push_back({{"name", a.name},
                          {"macs", a.engine_macs},
                          {"binary_macs", a.binary_macs},
                          {"twin_macs", a.twin_macs}});
  j["mobilenet_v2_macs"] = r.mobilenet_macs;
  j["results"] = nlohmann::json::array();
  for (const auto& row : r.rows)
    j["results"].push_back(
        {{"arch", row.arch},
         {"threads", row.threads},
         {"batch", row.batch},
         {"bnnkit", timing_json(row.engine)},
         {"twin_fp32", timing_json(row.twin)},
         {"mobilenet_v2_fp32", timing_json(row.mobilenet)},
         {"speedup_vs_twin", row.twin.measured() ? nlohmann::json(row.speedup_vs_twin) : nullptr},
         {"speedup_vs_mobilenet_v2",
          row.mobilenet.measured() ? nlohmann::json(row.speedup_vs_mobilenet) : nullptr}});
  return j;
}

}  // namespace bnnkit::train
