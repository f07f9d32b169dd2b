// `bnnkit-train compare` (issue 7): the engine against LibTorch fp32 in the same process and run. For each
// zoo architecture, thread count and batch: the engine (Session::run on random inputs), its fp32 twin in
// LibTorch (train/compare/torch_twin.h: the same graph with float convs) and MobileNetV2 fp32
// (train/compare/mobilenet_v2.h), each timed as the median of repeated runs after a warm-up.
//
// Threads: the engine's SessionOptions::threads and torch::set_num_threads (LibTorch's intra-op OpenMP /
// oneDNN threads) get the same count; inter-op threads are not used by these models. Both are inference-only:
// c10::InferenceMode, eval mode, denormals flushed to zero (so random float nets cannot slow down on
// denormals). OpenMP's wait policy is the environment's (OMP_WAIT_POLICY, reported in the output): each model
// runs its warm-up and timed runs back to back after a 200 ms pause, so LibTorch's idle spinning does not
// overlap the engine's runs. Unset (libgomp spins a while, then sleeps) is LibTorch's faster setting on 2
// cores: PASSIVE wakes its threads for every parallel region (MobileNetV2, 2 threads, batch 1: 5.3 ms unset,
// 11.2 ms PASSIVE). The LibTorch models run channels-last (--torch-layout nhwc), LibTorch's faster format
// here.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bnnkit::train {

struct CompareOptions {
  std::vector<std::string> archs = {"fracbnn-imagenet", "pokebnn-1.0x-imagenet"};
  std::vector<int> threads = {1, 2};
  std::vector<int> batches = {1, 8};
  int iters = 20;               // timed runs per measurement (at most)
  int warmup = 2;               // untimed runs first
  double max_seconds = 15.0;    // a measurement stops early after this much timed work (and >= 3 runs)
  std::string layout = "nhwc";  // LibTorch memory format: nhwc (channels-last) or nchw
  bool twin = true, mobilenet = true;
  std::function<void(const std::string&)> progress;  // one line per measurement started (may be empty)
};

struct Timing {
  double median_ms = 0, p10_ms = 0, p90_ms = 0, fps = 0;
  int runs = 0;
  bool measured() const { return runs > 0; }
};

struct CompareRow {
  std::string arch;
  int threads = 0, batch = 0;
  Timing engine, twin, mobilenet;
  // Median latency of the reference / the engine's (> 1: the engine is faster); 0 when not measured.
  double speedup_vs_twin = 0, speedup_vs_mobilenet = 0;
};

struct CompareResult {
  struct ArchInfo {
    std::string name;
    int64_t engine_macs = 0, binary_macs = 0, twin_macs = 0;  // per image
  };
  std::vector<ArchInfo> archs;
  int64_t mobilenet_macs = 0;
  std::vector<CompareRow> rows;
  std::string layout, omp_wait_policy, torch_version;
  std::string load_before, load_after;  // /proc/loadavg's 1, 5 and 15 minute loads ("" where unreadable)
  int iters = 0, warmup = 0;
};

CompareResult run_compare(const CompareOptions& options);
std::string format_compare(const CompareResult& result);  // the table
nlohmann::json compare_json(const CompareResult& result);

}  // namespace bnnkit::train
