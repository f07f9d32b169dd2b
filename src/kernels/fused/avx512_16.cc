// The fused chain on AVX-512: chain_impl.h's tiles, every float step on one 16-lane vector in a
// register (simd_steps.h over elementwise/simd.h's Avx512 traits), the packing by the bitpack family's
// avx512_16 kernels.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include "kernels/bitpack/variants.h"
#include "kernels/fused/simd_steps.h"

namespace bnnkit::kernels::fused_detail {
namespace {

struct Packers {
  static void bitpack(const BitpackArgs& a, int64_t b, int64_t e) {
    bitpack_detail::bitpack_avx512_16(a, b, e);
  }
  static void quant2bit(const Quant2BitArgs& a, int64_t b, int64_t e) {
    bitpack_detail::quant2bit_avx512_16(a, b, e);
  }
};

}  // namespace

void fused_avx512_16(const FusedChainArgs& a, int64_t row_begin, int64_t row_end) {
  fused_chain<Packers>(a, row_begin, row_end, vector_tile<Avx512>);
}

}  // namespace bnnkit::kernels::fused_detail

#endif  // defined(__x86_64__)
