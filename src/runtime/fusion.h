// Operator fusion, decided at plan time: chains of float elementwise ops whose intermediate values nothing
// else reads run as one node (kernels/fused), one pass over the data instead of one per op.
//
// Rules (plan_fusion):
//   - Fusable ops: Affine, PReLU, RPReLU, DPReLU, Activation, Add, ScaleChannels (QuantUniform is not).
//   - Op B extends a chain ending in op A when A's output is read by B alone, once, and is not a graph
//     output (for Add, through either operand; for the others, through their data input).
//   - A chain of one float op plus a packer, or of at least two float ops, is fused; at most
//     kernels::kMaxFusedSteps float ops per chain (a longer run becomes several chains).
//   - Packing: if a SignQuant or Quant2Bit reads the chain's last value, it joins the chain and packs from
//     the tile. The float value is then not written at all when that packer is its only reader (and it is
//     not a graph output); otherwise it is written and packed in the same pass.
//   - The fused node runs where the chain's last float op ran (every input of the chain exists by then, and
//     nothing between reads a fused-away value); the packer moves up to it.
// Results are bit-identical to running the ops one by one (see kernels/fused/fused.h).
#pragma once

#include <string>
#include <vector>

#include "bnnkit/graph.h"
#include "kernels/common/cpu_features.h"
#include "runtime/ops.h"

namespace bnnkit::runtime {

struct FusedChain {
  std::vector<int> ops;    // float ops in chain order: ops[i + 1] reads ops[i]'s output
  int pack = -1;           // the SignQuant / Quant2Bit op reading the last value, or -1
  bool write_last = true;  // the last float value is written (a graph output, or read by another op)

  int head() const { return ops.front(); }   // its profile entry gets the chain's time
  int anchor() const { return ops.back(); }  // where the fused node runs
  int size() const { return static_cast<int>(ops.size()) + (pack >= 0 ? 1 : 0); }
};

struct FusionPlan {
  std::vector<FusedChain> chains;
  std::vector<int> chain_of;     // per op: index into chains, or -1
  std::vector<bool> fused_away;  // per tensor: never materialized (an intermediate value of a chain)

  // Where op `op` runs: its own position, or its chain's anchor.
  int step(int op) const { return chain_of[op] < 0 ? op : chains[chain_of[op]].anchor(); }
};

// The chains of `g` (an empty plan, every op on its own, when `enabled` is false).
FusionPlan plan_fusion(const Graph& g, bool enabled);

// The node running `chain` over the tensors in `slots` (shapes and memory planned).
Node make_fused_node(const Graph& g, const FusedChain& chain, std::vector<TensorSlot>& slots,
                     kernels::Isa isa);

// True unless the environment says BNNKIT_FUSE=0 (to compare fused and unfused runs without rebuilding).
bool fusion_allowed_by_env();

}  // namespace bnnkit::runtime
