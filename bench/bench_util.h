// Timing helpers shared by the benchmark programs (one executable, bnnkit_bench): the clock an entry is timed
// with, and per-repetition samples by key, so an entry can report its ratio to the median of another entry
// (or of an on-the-fly measurement) of the same run.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/aligned.h"
#include "kernels/common/bits.h"
#include "kernels/common/output_stage.h"

namespace bnnkit::bench {

// Seconds on the clock the entry is timed with: process CPU time for 1 thread, real time otherwise.
inline double now(int threads) {
  if (threads == 1) {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline constexpr int kRepetitions = 5;
inline constexpr double kMinTime = 0.05;  // seconds per repetition

// ---- medians shared between benchmarks of the same run ----------------------------------------------------

// Seconds per iteration of each repetition of a benchmark, by key.
inline std::map<std::string, std::vector<double>>& samples() {
  static std::map<std::string, std::vector<double>> s;
  return s;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Records a repetition's seconds per iteration. The short calibration runs Google Benchmark makes before the
// timed repetitions are left out.
inline void record(const std::string& key, double seconds, int64_t iterations) {
  if (seconds >= kMinTime / 2 && iterations > 0)
    samples()[key].push_back(seconds / static_cast<double>(iterations));
}

using kernels::Word;

// Random bit-packed rows with zero tail bits.
inline kernels::AlignedVector<Word> random_bits(size_t rows, int channels, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int words = kernels::words_for(channels);
  kernels::AlignedVector<Word> v(rows * words);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = rng() & ((i % words == static_cast<size_t>(words - 1)) ? kernels::tail_mask(channels) : ~Word{0});
  return v;
}

// Output-stage parameters for oc channels (any values: the time does not depend on them).
struct Stage {
  std::vector<float> scale, bias;
  std::vector<int32_t> threshold;
  std::vector<uint8_t> flip;
  explicit Stage(int oc) : scale(oc, 0.5f), bias(oc, 0.25f), threshold(oc, 3), flip(oc, 0) {
    for (int c = 0; c < oc; c += 3) flip[c] = 1;
  }
  kernels::OutputStage stage(kernels::OutputKind kind) const {
    kernels::OutputStage s;
    s.kind = kind;
    s.scale = scale.data();
    s.bias = bias.data();
    s.threshold = threshold.data();
    s.flip = flip.data();
    return s;
  }
};

}  // namespace bnnkit::bench
