// Models with random weights, built with the public GraphBuilder: for benchmarks, tests and the engine's demo
// before a trained model exists. Weights are ±1 with a fixed seed; folded batch-norm parameters are scaled so
// activations stay in a useful range (neither all +1 nor all -1), which the tests check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::cli {

// Names accepted by synthetic_model().
std::vector<std::string> synthetic_archs();

// "fracbnn-tiny": 28×28×1 uint8 → thermometer → binary stem → 2 fractional residual blocks (one stride 2) →
// head. "bnn-mlp":      28×28×1 float → sign → binary dense 784→256→256 (bit-packed between) → float head.
// "bconv-stack":  28×28×1 uint8 → thermometer → four binary 3×3 convs with bit-packed outputs → head;
// exercises
//                 both padding modes and strides.
// Throws bnnkit::Error for an unknown name.
Graph synthetic_model(const std::string& arch, uint64_t seed = 1);

}  // namespace bnnkit::cli
