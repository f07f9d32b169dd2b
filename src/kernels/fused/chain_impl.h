// The tile driver shared by the fused-chain variants. The rows are cut into tiles of at most
// kFusedTileFloats floats (whole rows, or 64-channel-aligned parts of one row when a row is longer); tiles
// never straddle two images when a step scales channels. Per tile:
//
//   1. the float steps, by one of two bodies:
//      - op_by_op_tile (portable_bitselect.cc): each step over the whole tile with its single op's kernel
//        from `Ops` (the first reads the chain's input, the others work in place on the tile, in L1);
//      - vector_tile<V> (avx512_16.cc, avx2_8.cc, simd_steps.h): every step on one vector of the value
//        while it sits in a register, so nothing between the steps is stored at all;
//      the last value goes to dst, or to the tile when only the packed bits are wanted;
//   2. the packer (the bitpack family's kernel from `Ops`) reads the last value back from there, in L1 -
//      except that vector_tile packs rows of at most one vector from its registers (RegisterPack).
//
// Ops has static functions with the single-op kernels' signatures: bitpack, quant2bit, and for
// op_by_op_tile also affine, prelu, rprelu, dprelu, activation, add, scale_channels.
//
// In an anonymous namespace: each ISA's file instantiates it with its own flags (see elementwise/simd.h).
#pragma once

#include <algorithm>

#include "kernels/bitpack/bitpack.h"
#include "kernels/fused/fused.h"

namespace bnnkit::kernels {
namespace {

// 16 KB: the tile, the streamed inputs and the parameters stay in L1 (32-48 KB). A multiple of 64 channels,
// so a part of a long row ends on a word boundary of the packed planes.
inline constexpr int64_t kFusedTileFloats = 4096;

// A tile: rows [r0, r0 + rows) x channels [c0, c0 + width), contiguous in the [rows][channels] tensor
// (rows > 1 only when width == channels), so also in the tile buffer.
struct Tile {
  int64_t r0, rows, c0, width;
  int64_t offset(int64_t channels) const { return r0 * channels + c0; }
};

// Each step of the chain over the tile with its single op's kernel; returns where the last value is.
template <class Ops>
const float* op_by_op_tile(const FusedChainArgs& a, const Tile& t, float* tile) {
  const int64_t off = t.offset(a.channels), rows = t.rows, width = t.width, c0 = t.c0;
  const float* in = a.src + off;
  for (int s = 0; s < a.steps; ++s) {
    const FusedStep& st = a.step[s];
    float* out = (s == a.steps - 1 && a.dst != nullptr) ? a.dst + off : tile;
    const auto pc = [&](int k) { return st.p[k] + c0; };
    switch (st.op) {
      case FusedOp::kAffine:
        Ops::affine(AffineArgs{width, in, pc(0), pc(1), out}, 0, rows);
        break;
      case FusedOp::kPRelu:
        Ops::prelu(PReluArgs{width, in, pc(0), out}, 0, rows);
        break;
      case FusedOp::kRPRelu:
        Ops::rprelu(RPReluArgs{width, in, pc(0), pc(1), pc(2), out}, 0, rows);
        break;
      case FusedOp::kDPRelu:
        Ops::dprelu(DPReluArgs{width, in, pc(0), pc(1), pc(2), pc(3), out}, 0, rows);
        break;
      case FusedOp::kActivation:
        Ops::activation(ActivationArgs{st.activation, width, in, out}, 0, rows);
        break;
      case FusedOp::kAdd: {
        const float* other = st.other + off;
        Ops::add(st.value_second ? AddArgs{other, in, out} : AddArgs{in, other, out}, 0, rows * width);
        break;
      }
      case FusedOp::kScaleChannels:
        // The tile lies in one image: its scale row, and `pixels` = rows keeps every row on it.
        Ops::scale_channels(
            ScaleChannelsArgs{rows, width, in, st.other + (t.r0 / a.pixels) * a.channels + c0, out}, 0, rows);
        break;
    }
    in = out;
  }
  return in;
}

// Packs the tile's last value (`value`, [rows][width]) into the planes.
template <class Ops>
void pack_tile(const FusedChainArgs& a, const Tile& t, const float* value) {
  if (a.pack == FusedPack::kNone) return;
  const int64_t words = words_for(static_cast<int>(a.channels));
  const int64_t word_off = t.r0 * words + t.c0 / kWordBits;
  const int w = static_cast<int>(t.width);
  if (a.pack == FusedPack::kSign) {
    const float* thr = a.threshold != nullptr ? a.threshold + t.c0 : nullptr;
    Ops::bitpack(BitpackArgs{t.rows, w, value, thr, a.bits0 + word_off}, 0, t.rows);
  } else {
    Ops::quant2bit(Quant2BitArgs{t.rows, w, value, a.bits0 + word_off, a.bits1 + word_off}, 0, t.rows);
  }
}

// Rows [row_begin, row_end) tile by tile: body(a, tile, buffer) computes the float steps and returns where
// the last value is, then the packer runs.
template <class Ops, class Body>
void fused_chain(const FusedChainArgs& a, int64_t row_begin, int64_t row_end, Body&& body) {
  alignas(64) float tile[kFusedTileFloats];
  const int64_t ch = a.channels;
  const bool whole_rows = ch <= kFusedTileFloats;
  const int64_t tile_rows = whole_rows ? kFusedTileFloats / ch : 1;
  const int64_t chunk = whole_rows ? ch : kFusedTileFloats;
  bool scaled = false;
  for (int s = 0; s < a.steps; ++s) scaled |= a.step[s].op == FusedOp::kScaleChannels;
  for (int64_t r0 = row_begin; r0 < row_end;) {
    int64_t r1 = std::min(r0 + tile_rows, row_end);
    if (scaled) r1 = std::min(r1, (r0 / a.pixels + 1) * a.pixels);
    for (int64_t c0 = 0; c0 < ch; c0 += chunk) {
      const Tile t{r0, r1 - r0, c0, std::min(chunk, ch - c0)};
      // A body that packed from its registers returns null.
      if (const float* value = body(a, t, tile); value != nullptr) pack_tile<Ops>(a, t, value);
    }
    r0 = r1;
  }
}

}  // namespace
}  // namespace bnnkit::kernels
