// The specification of the fused chain (fused.h): the single ops' references, one after the other, on one
// row (or a 256-channel part of a row) at a time, the intermediate values in a small buffer. Nothing here
// computes a float itself: a fused chain means exactly "these ops in this order".
#include <algorithm>

#include "kernels/bitpack/bitpack.h"
#include "kernels/fused/fused.h"

namespace bnnkit::kernels {
namespace {

constexpr int64_t kPart = 4 * kWordBits;  // channels per part: whole packed words

}  // namespace

void fused_chain_reference(const FusedChainArgs& a, int64_t row_begin, int64_t row_end) {
  float buf[kPart];
  const int64_t ch = a.channels;
  const int64_t words = words_for(static_cast<int>(ch));
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int64_t c0 = 0; c0 < ch; c0 += kPart) {
      const int64_t w = std::min(kPart, ch - c0), off = r * ch + c0;
      const float* in = a.src + off;
      for (int s = 0; s < a.steps; ++s) {
        const FusedStep& st = a.step[s];
        float* out = (s == a.steps - 1 && a.dst != nullptr) ? a.dst + off : buf;
        const float* const* p = st.p.data();
        switch (st.op) {
          case FusedOp::kAffine:
            affine_reference(AffineArgs{w, in, p[0] + c0, p[1] + c0, out}, 0, 1);
            break;
          case FusedOp::kPRelu:
            prelu_reference(PReluArgs{w, in, p[0] + c0, out}, 0, 1);
            break;
          case FusedOp::kRPRelu:
            rprelu_reference(RPReluArgs{w, in, p[0] + c0, p[1] + c0, p[2] + c0, out}, 0, 1);
            break;
          case FusedOp::kDPRelu:
            dprelu_reference(DPReluArgs{w, in, p[0] + c0, p[1] + c0, p[2] + c0, p[3] + c0, out}, 0, 1);
            break;
          case FusedOp::kActivation:
            activation_reference(ActivationArgs{st.activation, w, in, out}, 0, 1);
            break;
          case FusedOp::kAdd: {
            const float* other = st.other + off;
            add_reference(st.value_second ? AddArgs{other, in, out} : AddArgs{in, other, out}, 0, w);
            break;
          }
          case FusedOp::kScaleChannels:
            scale_channels_reference(ScaleChannelsArgs{1, w, in, st.other + (r / a.pixels) * ch + c0, out}, 0,
                                     1);
            break;
        }
        in = out;
      }
      const int64_t word_off = r * words + c0 / kWordBits;
      if (a.pack == FusedPack::kSign) {
        const float* t = a.threshold != nullptr ? a.threshold + c0 : nullptr;
        bitpack_reference(BitpackArgs{1, static_cast<int>(w), in, t, a.bits0 + word_off}, 0, 1);
      } else if (a.pack == FusedPack::kTwoBit) {
        quant2bit_reference(Quant2BitArgs{1, static_cast<int>(w), in, a.bits0 + word_off, a.bits1 + word_off},
                            0, 1);
      }
    }
  }
}

}  // namespace bnnkit::kernels
