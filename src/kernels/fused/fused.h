// Fused elementwise chains: a run of per-element / per-channel float ops (kernels/elementwise/elementwise.h)
// evaluated in one pass over a [rows][channels] tensor, optionally ending in a bit-packing quantizer
// (kernels/bitpack/bitpack.h), so the chain's intermediate values never go to memory.
//
//   value = src
//   for each step s:   value = op_s(value, params_s)       (the single op's exact semantics)
//   dst   = value                                          (if dst != nullptr)
//   bits  = pack(value)                                    (if pack != kNone)
//
// Every step computes exactly what its single op computes (same float operations in the same order per
// element, each rounded), so a fused chain is bit-identical to running the ops one by one: the spec
// (reference.cc) literally calls the single-op references; the vector variants apply each op's lane
// expression (simd_steps.h, over elementwise/simd.h's traits) to values held in registers, the portable one
// runs the single ops' portable kernels over an L1 tile, and all pack with the bitpack family's kernels.
// Results do not depend on the tiling: every op is independent per element.
#pragma once

#include <array>
#include <cstdint>

#include "kernels/common/bits.h"
#include "kernels/elementwise/elementwise.h"

namespace bnnkit::kernels {

enum class FusedOp : uint8_t { kAffine, kPRelu, kRPRelu, kDPRelu, kActivation, kAdd, kScaleChannels };
enum class FusedPack : uint8_t { kNone, kSign, kTwoBit };

struct FusedStep {
  FusedOp op = FusedOp::kAffine;
  Activation activation = Activation::kIdentity;  // kActivation
  bool value_second = false;                      // kAdd: y = other + value (the graph's operand order)
  // Per-channel parameters ([channels] each), in the order of the op's args struct: affine scale, bias;
  // prelu slope; rprelu gamma, slope, zeta; dprelu beta, eta_pos, eta_neg, gamma.
  std::array<const float*, 4> p{};
  // kAdd: the other operand, [rows][channels]; kScaleChannels: the scales, [rows / pixels][channels].
  const float* other = nullptr;
};

inline constexpr int kMaxFusedSteps = 8;

struct FusedChainArgs {
  int64_t rows = 0;
  int64_t channels = 1;
  int64_t pixels = 1;          // rows per image (h * w), for kScaleChannels
  const float* src = nullptr;  // [rows][channels], the first step's input
  int steps = 0;               // 1..kMaxFusedSteps
  std::array<FusedStep, kMaxFusedSteps> step{};
  float* dst = nullptr;  // [rows][channels] the last step's value, or nullptr (then pack != kNone)
  FusedPack pack = FusedPack::kNone;
  const float* threshold = nullptr;  // kSign: [channels], or nullptr for 0
  Word* bits0 = nullptr;             // kSign: the packed signs; kTwoBit: the MSB plane [rows][words]
  Word* bits1 = nullptr;             // kTwoBit: the LSB plane [rows][words]
};

// Computes rows [row_begin, row_end). dst and the bit planes must not overlap the inputs (the session
// gives them their own memory). Never allocates (the tile lives on the stack).
void fused_chain_reference(const FusedChainArgs& a, int64_t row_begin, int64_t row_end);

}  // namespace bnnkit::kernels

#include "kernels/fused/variants.h"  // IWYU pragma: export
