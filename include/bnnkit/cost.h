// What a model costs, per layer: parameters, multiply-accumulates and PokeBNN's ACE (arithmetic computation
// effort, Σ MACs × weight bits × activation bits; papers.md §3.2). Computed from the graph alone; gated
// (fractional) layers count 2 activation bits unless a measured gate density is supplied.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit {

struct LayerCost {
  std::string name;
  std::string op;
  std::vector<int> out_shape;
  int64_t param_bytes = 0;  // bytes of the op's constant inputs as stored
  int64_t macs = 0;         // multiply-accumulates per image
  double w_bits = 0, a_bits = 0;
  double ace = 0;       // macs × w_bits × a_bits
  bool binary = false;  // XOR-popcount layer
};

struct ModelCost {
  std::vector<LayerCost> layers;  // only ops that have constants or MACs
  int64_t param_bytes = 0, macs = 0, binary_macs = 0;
  double ace = 0;
};

// `gate_density` maps fractional-conv op names to the measured fraction of outputs that took the LSB pass.
ModelCost model_cost(const Graph& g, const std::map<std::string, double>& gate_density = {});

}  // namespace bnnkit
