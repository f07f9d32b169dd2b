// The fused chain's float steps on one vector held in a register (avx512_16.cc, avx2_8.cc), over the vector
// traits of elementwise/simd.h. Each step calls its single op's lane formula from elementwise/simd_ops.h,
// the very function elementwise/simd_impl.h calls, with the operands in the same order, so the value after
// every step is the single op's output bit for bit (fused_variants_test.cc checks every variant against the
// ops run one by one).
//
// In an anonymous namespace: compiled once per ISA (see elementwise/simd.h).
#pragma once

#include "kernels/elementwise/simd.h"
#include "kernels/elementwise/simd_ops.h"
#include "kernels/fused/chain_impl.h"

namespace bnnkit::kernels {
namespace {

// Step `st` on x[0..R), the values at channels [c, c + lanes) of R consecutive rows, the first at flat
// offset `row`, `stride` floats apart, all in the image whose scale row (kScaleChannels) is at flat offset
// `image`. Per-channel parameters are loaded once for the R rows; the R values stay in registers (always
// inlined, with R a constant, so the array is never in memory).
template <class V, int R, class M>
[[gnu::always_inline]] inline void step_rows(const FusedStep& st, typename V::Reg (&x)[R], int64_t c,
                                             int64_t row, int64_t stride, int64_t image, M m) {
  switch (st.op) {
    case FusedOp::kAffine: {  // affine_simd
      const auto scale = V::load(st.p[0] + c, m), bias = V::load(st.p[1] + c, m);
      for (int j = 0; j < R; ++j) x[j] = affine_vec<V>(x[j], scale, bias);
      return;
    }
    case FusedOp::kPRelu: {  // prelu_simd
      const auto slope = V::load(st.p[0] + c, m);
      for (int j = 0; j < R; ++j) x[j] = prelu_vec<V>(x[j], slope);
      return;
    }
    case FusedOp::kRPRelu: {  // rprelu_simd
      const auto gamma = V::load(st.p[0] + c, m), slope = V::load(st.p[1] + c, m),
                 zeta = V::load(st.p[2] + c, m);
      for (int j = 0; j < R; ++j) x[j] = rprelu_vec<V>(x[j], gamma, slope, zeta);
      return;
    }
    case FusedOp::kDPRelu: {  // dprelu_simd
      const auto beta = V::load(st.p[0] + c, m), eta_pos = V::load(st.p[1] + c, m),
                 eta_neg = V::load(st.p[2] + c, m), gamma = V::load(st.p[3] + c, m);
      for (int j = 0; j < R; ++j) x[j] = dprelu_vec<V>(x[j], beta, eta_pos, eta_neg, gamma);
      return;
    }
    case FusedOp::kActivation:  // activation_simd
      switch (st.activation) {
        case Activation::kRelu:
          for (int j = 0; j < R; ++j) x[j] = relu_vec<V>(x[j]);
          return;
        case Activation::kRelu6:
          for (int j = 0; j < R; ++j) x[j] = relu6_vec<V>(x[j]);
          return;
        case Activation::kHardSigmoid:
          for (int j = 0; j < R; ++j) x[j] = hard_sigmoid_vec<V>(x[j]);
          return;
        case Activation::kIdentity:
          return;
      }
      return;
    case FusedOp::kAdd: {  // add_simd, in the graph's operand order
      const float* other = st.other + row + c;
      if (st.value_second) {
        for (int j = 0; j < R; ++j) x[j] = add_vec<V>(V::load(other + j * stride, m), x[j]);
      } else {
        for (int j = 0; j < R; ++j) x[j] = add_vec<V>(x[j], V::load(other + j * stride, m));
      }
      return;
    }
    case FusedOp::kScaleChannels: {  // scale_channels_simd
      const auto scale = V::load(st.other + image + c, m);
      for (int j = 0; j < R; ++j) x[j] = scale_channels_vec<V>(x[j], scale);
      return;
    }
  }
}

// Rows of at most one vector of channels packed straight from the registers: the packed planes and the
// threshold, copied out of FusedChainArgs (the packed stores could alias anything reached through a pointer;
// locals keep the compiler from re-reading them after each store). kind == kNone: the packer runs afterwards.
struct RegisterPack {
  FusedPack kind = FusedPack::kNone;
  Word* bits0 = nullptr;
  Word* bits1 = nullptr;
  const float* threshold = nullptr;  // kSign, or null for 0
};

// The packed word of one row of <= kLanes channels (lane mask m) from its value x, as the bitpack family
// computes it (bitpack.h): kSign bit = !(x >= threshold) (NaN: 1); kTwoBit by quant2bit_masks; bits past the
// channels 0.
template <class V, class M>
[[gnu::always_inline]] inline void pack_row(const RegisterPack& p, typename V::Reg x, int64_t row, M m,
                                            typename V::Reg thr) {
  const unsigned lanes = V::bits(m);
  if (p.kind == FusedPack::kSign) {
    p.bits0[row] = ~V::bits(V::ge(x, thr)) & lanes;
  } else {
    const unsigned ge1 = V::bits(V::ge(x, V::set1(kQuant2BitThreshold[0])));
    const unsigned ge2 = V::bits(V::ge(x, V::set1(kQuant2BitThreshold[1])));
    const unsigned ge3 = V::bits(V::ge(x, V::set1(kQuant2BitThreshold[2])));
    const Quant2BitMasks q = quant2bit_masks(ge1, ge2, ge3, lanes);
    p.bits0[row] = q.msb;
    p.bits1[row] = q.lsb;
  }
}

// Rows [r, r + R) of tile t through every step, one channel vector at a time; the last values go to `out`
// (the tile's first element, rows t.width apart) unless it is null, and to the packed words (p.kind).
template <class V, int R>
void vector_rows(const FusedChainArgs& a, const Tile& t, int64_t r, float* out, const RegisterPack& pack) {
  const int64_t ch = a.channels, row = (t.r0 + r) * ch, image = ((t.r0 + r) / a.pixels) * ch;
  const float* src = a.src + row;
  const RegisterPack p = pack;
  for_blocks<V>(t.width, [&](int64_t i, auto m) {
    const int64_t c = t.c0 + i;
    typename V::Reg x[R];
    for (int j = 0; j < R; ++j) x[j] = V::load(src + j * ch + c, m);
    for (int s = 0; s < a.steps; ++s) step_rows<V, R>(a.step[s], x, c, row, ch, image, m);
    if (out != nullptr) {
      for (int j = 0; j < R; ++j) V::store(out + (r + j) * t.width + i, x[j], m);
    }
    if (p.kind != FusedPack::kNone) {
      const auto thr = p.threshold != nullptr ? V::load(p.threshold, m) : V::set1(0.0f);
      for (int j = 0; j < R; ++j) pack_row<V>(p, x[j], t.r0 + r + j, m, thr);
    }
  });
}

// The float steps of tile t, 8 rows per channel vector (4 with AVX2's 16 registers), then 4, 2, 1; returns
// where the last value is, or null when it packed the rows itself (rows of one vector). A tile that holds a
// scale step lies in one image, so the rows share a scale row.
template <class V>
const float* vector_tile(const FusedChainArgs& a, const Tile& t, float* tile) {
  constexpr int kRows = V::kLanes >= 16 ? 8 : 4;
  // Rows of one vector (e.g. 16 channels with AVX-512, a ResNet-20's first stage) are one word per row and
  // plane: packed from the registers, with no value stored for the packer to read back (A/B:
  // fused/28x28x16/avx512_16 1.85 -> 1.71 us).
  RegisterPack p;
  if (a.pack != FusedPack::kNone && a.channels <= V::kLanes) {
    p = RegisterPack{a.pack, a.bits0, a.bits1, a.pack == FusedPack::kSign ? a.threshold : nullptr};
  }
  float* out = a.dst != nullptr ? a.dst + t.offset(a.channels) : p.kind != FusedPack::kNone ? nullptr : tile;
  int64_t r = 0;
  for (; r + kRows <= t.rows; r += kRows) vector_rows<V, kRows>(a, t, r, out, p);
  if (r + 4 <= t.rows) vector_rows<V, 4>(a, t, r, out, p), r += 4;
  if (r + 2 <= t.rows) vector_rows<V, 2>(a, t, r, out, p), r += 2;
  if (r < t.rows) vector_rows<V, 1>(a, t, r, out, p);
  return p.kind != FusedPack::kNone ? nullptr : out;  // null: packed already
}

}  // namespace
}  // namespace bnnkit::kernels
