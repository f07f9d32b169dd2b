// The model zoo: architectures defined with the public GraphBuilder and filled with random weights (fixed
// seed), for benchmarks, cost reports (`bnnkit info <arch>`), tests and demos before a trained model exists.
// Folded batch-norm parameters are scaled so activations stay in a useful range (neither all +1 nor all -1).
//
// To add an architecture: write its builder in its own file in this folder and add one line to kArchs in
// zoo.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::zoo {

struct Arch {
  const char* name;
  const char* about;  // one line for --help and errors
  Graph (*build)(uint64_t seed);
};

// Every architecture, in the order `bnnkit synth --help` lists them.
const std::vector<Arch>& archs();
// Names of all architectures.
std::vector<std::string> arch_names();
// Builds `arch` with random weights. Throws bnnkit::Error for an unknown name.
Graph build(const std::string& arch, uint64_t seed = 1);

// Small 28×28 models (tiny.cc).
Graph fracbnn_tiny(uint64_t seed);  // thermometer → binary stem → 2 fractional residual blocks → head
Graph bnn_mlp(uint64_t seed);       // float → sign → binary dense 784→256→256 → float head
Graph bconv_stack(uint64_t seed);   // thermometer → four binary convs, bit-packed between, both paddings

}  // namespace bnnkit::zoo
