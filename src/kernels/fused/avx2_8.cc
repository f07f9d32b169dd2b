// The fused chain on AVX2: chain_impl.h's tiles, every float step on one 8-lane vector in a
// register (simd_steps.h over elementwise/simd.h's Avx2 traits), the packing by the bitpack family's
// avx2_8 kernels.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include "kernels/bitpack/variants.h"
#include "kernels/fused/simd_steps.h"

namespace bnnkit::kernels::fused_detail {
namespace {

struct Packers {
  static void bitpack(const BitpackArgs& a, int64_t b, int64_t e) { bitpack_detail::bitpack_avx2_8(a, b, e); }
  static void quant2bit(const Quant2BitArgs& a, int64_t b, int64_t e) {
    bitpack_detail::quant2bit_avx2_8(a, b, e);
  }
};

}  // namespace

void fused_avx2_8(const FusedChainArgs& a, int64_t row_begin, int64_t row_end) {
  fused_chain<Packers>(a, row_begin, row_end, vector_tile<Avx2>);
}

}  // namespace bnnkit::kernels::fused_detail

#endif  // defined(__x86_64__)
