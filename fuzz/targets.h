// Entry points of the fuzz targets, shared by the libFuzzer programs (fuzz/fuzz_*.cc, clang with
// -fsanitize=fuzzer) and by tests/fuzz_regression_test.cc, which replays fuzz/corpus/ and fuzz/regressions/
// through them in every CI build (gcc, and the ASan+UBSan build).
//
// Each entry takes arbitrary bytes and returns 0. A malformed input must end in bnnkit::Error, which the
// entry swallows; anything else (another exception, a crash, a sanitizer report, a leak, a hang) is a
// finding. Outcomes are counted so the regression test can report what the corpus exercised.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bnnkit/graph.h"

namespace bnnkit::fuzz {

// What one call did with its input.
enum class Outcome {
  kRejected,  // bnnkit::Error (the expected way to fail)
  kAccepted,  // parsed (and, for models, planned and run when within the work budget)
  kSkipped,   // parsed, but over the work budget below: not planned or run
};

// Model-file bytes -> Model::from_bytes -> model_cost -> Session(batch 1, 1 thread) -> run twice on zero
// inputs (outputs identical, inputs unchanged), then, for models under 1/8 of the work budget, once more with
// the kernel ISA capped to "portable" (outputs equal to the best ISA's; NaNs compare equal). Aborts on any
// mismatch.
Outcome model_load(const uint8_t* data, size_t size);
// Bytes -> maybe_gunzip -> parse_idx: the path of every IDX read (`bnnkit run --images`, `bnnkit eval`).
Outcome idx(const uint8_t* data, size_t size);
// Bytes -> decode_png as grayscale and as RGB -> normalize.
Outcome png(const uint8_t* data, size_t size);
// Bytes -> the trainer's config parser (train::parse_config: JSON, unknown keys, types, ranges). Errors must
// be one line naming the config; an accepted config must read back unchanged from its dump, and each resolved
// stage must be a valid config on its own.
Outcome config(const uint8_t* data, size_t size);

// Budget for planning and running a fuzzed model: a hostile file may declare tensors of up to 2^28
// elements and 64x64 windows, which the runtime accepts but would take seconds to minutes to run.
inline constexpr int64_t kMaxFuzzWork = int64_t{1} << 22;              // element operations, batch 1
inline constexpr int64_t kMaxFuzzActivationBytes = int64_t{64} << 20;  // all activations together
// The estimate that budget is checked against, from the recorded shapes (an upper bound for batch 1).
struct WorkEstimate {
  int64_t work = 0;              // Σ over ops: elements read and written + inner-loop iterations
  int64_t activation_bytes = 0;  // Σ over non-constant tensors
};
WorkEstimate estimate_work(const Graph& g);

}  // namespace bnnkit::fuzz

// The C entry points the libFuzzer programs call (one per program, so -fsanitize=fuzzer finds
// LLVMFuzzerTestOneInput in each fuzz_<target>.cc).
int fuzz_model_load(const uint8_t* data, size_t size);
int fuzz_idx(const uint8_t* data, size_t size);
int fuzz_png(const uint8_t* data, size_t size);
int fuzz_config(const uint8_t* data, size_t size);
