// From a graph op to a runnable node: the glue between the runtime and the kernels. Each node owns whatever
// its kernel prepared (repacked weights) and exposes one function over a range of independent work units
// ("rows"), which the session splits into disjoint slices, one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bnnkit/graph.h"
#include "kernels/common/aligned.h"
#include "kernels/common/bits.h"
#include "kernels/common/cpu_features.h"
#include "runtime/infer.h"

namespace bnnkit::runtime {

struct TensorSlot {
  std::string name;
  TensorSpec spec;   // shape for the session's batch
  size_t bytes = 0;  // tensor_bytes(spec)
  uint8_t* data = nullptr;
};

// Below this much work (≈ scalar operations) a slice is not worth a thread.
inline constexpr int64_t kMinWorkPerPart = 16384;

struct Node {
  std::string kernel;    // chosen kernel variant
  std::string rejected;  // why better variants were not taken ("avx512_4x3: needs ..."), for describe()
  int64_t rows = 1;      // independent work units
  int64_t work = 0;      // estimated cost of all rows
  // Computes rows [begin, end); fractional convs add their open-gate count to *gate_count.
  std::function<void(int64_t begin, int64_t end, int64_t* gate_count)> fn;
  bool gated = false;
  int64_t gate_outputs = 0;                      // outputs per run (for density)
  std::vector<int64_t> gate_counts;              // per thread, filled by the session
  kernels::AlignedVector<kernels::Word> packed;  // weights in the chosen variant's layout, 64-byte aligned
  // Optional first phase over its own units, run (split over the threads like fn) before fn: PGConv2d
  // quantizes each image here, since every output row needs its whole image's scale.
  std::function<void(int64_t begin, int64_t end)> prepare;
  int64_t prepare_rows = 0, prepare_work = 0;
};

Node make_node(const OpDef& op, std::vector<TensorSlot>& slots, kernels::Isa isa);

// Packs ±1 floats of a tensor whose last dimension is the channels (value < 0 -> bit 1).
void pack_signs(const float* src, const std::vector<int>& shape, kernels::Word* dst);

}  // namespace bnnkit::runtime
