// Replays the fuzz corpus (fuzz/corpus/<target>/, the seeds) and every minimised finding
// (fuzz/regressions/<target>/) through the same entry points the libFuzzer programs call (fuzz/targets.h), so
// each CI build — gcc, and the ASan+UBSan build of scripts/test.sh — checks that none of them crashes, leaks
// or escapes with anything but bnnkit::Error. New findings land in fuzz/regressions/ via scripts/fuzz.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "targets.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> files_of(const std::string& target) {
  std::vector<fs::path> out;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path d = fs::path(BNNKIT_SOURCE_DIR) / "fuzz" / kind / target;
    if (!fs::is_directory(d)) continue;
    for (const auto& e : fs::recursive_directory_iterator(d))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct Counts {
  int rejected = 0, accepted = 0, skipped = 0;
};

Counts replay(const std::string& target, fuzz::Outcome (*entry)(const uint8_t*, size_t)) {
  Counts c;
  for (const fs::path& p : files_of(target)) {
    SCOPED_TRACE(p.string());
    const std::vector<uint8_t> bytes = read_all(p);
    fuzz::Outcome o = fuzz::Outcome::kRejected;
    EXPECT_NO_THROW(o = entry(bytes.data(), bytes.size())) << p;
    (o == fuzz::Outcome::kAccepted ? c.accepted : o == fuzz::Outcome::kSkipped ? c.skipped : c.rejected) += 1;
  }
  std::printf("[          ] fuzz/%s: %d accepted, %d rejected, %d over the work budget\n", target.c_str(),
              c.accepted, c.rejected, c.skipped);
  return c;
}

TEST(FuzzRegression, ModelLoad) {
  const Counts c = replay("model_load", fuzz::model_load);
  // The seeds are valid models: they must load, plan and run (otherwise the fuzzer starts from nothing).
  EXPECT_GE(c.accepted, 3);
}

TEST(FuzzRegression, Idx) {
  EXPECT_GE(replay("idx", fuzz::idx).accepted, 4);
}

TEST(FuzzRegression, Png) {
  EXPECT_GE(replay("png", fuzz::png).accepted, 4);
}

// The trainer's config parser (no LibTorch): the seeds are configs/*.json, all valid.
TEST(FuzzRegression, Config) {
  EXPECT_GE(replay("config", fuzz::config).accepted, 5);
}

// The small zoo models (the seeds) are within the fuzz work budget, so the fuzzer plans and runs real models.
TEST(FuzzRegression, SmallZooModelsAreWithinTheWorkBudget) {
  for (const char* arch : {"fracbnn-tiny", "bnn-mlp", "bconv-stack"}) {
    const fuzz::WorkEstimate w = fuzz::estimate_work(zoo::build(arch, 1));
    EXPECT_LE(w.work, fuzz::kMaxFuzzWork) << arch;
    EXPECT_LE(w.activation_bytes, fuzz::kMaxFuzzActivationBytes) << arch;
    std::printf("[          ] %s: work %lld, activations %lld bytes\n", arch, static_cast<long long>(w.work),
                static_cast<long long>(w.activation_bytes));
  }
}

// Reproducers of findings whose fix is not in yet (fuzz/pending/<target>/, listed in docs/reliability.md):
// they crash or trip UBSan today. Run with --gtest_also_run_disabled_tests after a fix, then move the files
// into fuzz/regressions/<target>/.
TEST(FuzzRegression, DISABLED_Pending) {
  const std::pair<const char*, fuzz::Outcome (*)(const uint8_t*, size_t)> targets[] = {
      {"model_load", fuzz::model_load}, {"idx", fuzz::idx}, {"png", fuzz::png}, {"config", fuzz::config}};
  for (const auto& [target, entry] : targets) {
    const fs::path d = fs::path(BNNKIT_SOURCE_DIR) / "fuzz" / "pending" / target;
    if (!fs::is_directory(d)) continue;
    for (const auto& e : fs::directory_iterator(d)) {
      const std::vector<uint8_t> bytes = read_all(e.path());
      EXPECT_NO_THROW(entry(bytes.data(), bytes.size())) << e.path();
    }
  }
}

// Cheap structural mutations of every seed model (truncations and single-byte flips) go through the same
// entry: a small, deterministic fuzzer that runs with gcc in every build.
TEST(FuzzRegression, MutatedSeedModelsOnlyRaiseErrors) {
  int cases = 0;
  for (const fs::path& p : files_of("model_load")) {
    if (p.parent_path().filename() != "model_load" || p.parent_path().parent_path().filename() != "corpus")
      continue;
    const std::vector<uint8_t> seed = read_all(p);
    if (seed.size() > 20000) continue;  // the small op-coverage seeds
    for (size_t cut : {size_t{0}, size_t{7}, seed.size() / 2, seed.size() - 1}) {
      EXPECT_NO_THROW(fuzz::model_load(seed.data(), std::min(cut, seed.size()))) << p << " cut " << cut;
      ++cases;
    }
    for (size_t i = 0; i < seed.size(); i += 1 + seed.size() / 97) {
      std::vector<uint8_t> m = seed;
      m[i] ^= 0x5a;
      EXPECT_NO_THROW(fuzz::model_load(m.data(), m.size())) << p << " byte " << i;
      ++cases;
    }
  }
  EXPECT_GT(cases, 100);
}

}  // namespace
}  // namespace bnnkit
