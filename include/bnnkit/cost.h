// What a model costs, per layer: parameters, multiply-accumulates and PokeBNN's ACE (arithmetic computation
// effort, Σ MACs × weight bits × activation bits; papers.md §3.2, docs/cost.md). Computed from the graph
// alone:
//   - binary convs/dense (BConv2d, BDense): 1 × 1 bits;
//   - fractional convs (FracConv2d): 1-bit weights, 1 + d activation bits, where d is the measured
//     fraction of outputs that took the LSB pass (a profile), or 2 bits when no density is supplied;
//   - Precision Gating convs (PGConv2d): weight_bits × (high_bits + low_bits × d) — the high part for every
//     MAC, the low part for the measured fraction d of open gates (the BOPs of the bit-serial kernel); with
//     no density supplied, d = 1 (all act_bits);
//   - float convs/dense (Conv2d, Dense): the weight_bits × act_bits they declare (32 × 32 unless quantised);
//   - every other op (BN, activations, adds, pools, SE scaling): no MACs, as in PokeBNN's count, which
//     tallies them separately as scalar ops.
// conv_ace / dense_ace split the total as google/aqt's PokeBNN size_stats does: layers with a spatial kernel
// (conv) versus fully connected layers (dense).
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
  double ace = 0;            // macs × w_bits × a_bits
  bool binary = false;       // XOR-popcount layer
  bool gated = false;        // fractional or PG conv: a_bits depends on the gate density
  double gate_density = -1;  // the measured density a_bits came from; -1: none supplied (all bits assumed)
  double high_bits = 0, low_bits = 0;  // gated: a_bits = high_bits + low_bits * density (FracConv2d: 1 + 1)
};

struct ModelCost {
  std::vector<LayerCost> layers;  // only ops that have constants or MACs
  int64_t param_bytes = 0, macs = 0, binary_macs = 0;
  double ace = 0;
  double conv_ace = 0, dense_ace = 0;  // ace = conv_ace + dense_ace
};

// `gate_density` maps fractional/PG-conv op names to the measured fraction of outputs that took the LSB pass.
ModelCost model_cost(const Graph& g, const std::map<std::string, double>& gate_density = {});

}  // namespace bnnkit
