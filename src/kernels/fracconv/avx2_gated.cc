// The gated fractional convolution (gated.h) for AVX2: MSB pass by bconv2d avx2_4x2; the per-pair LSB dot
// products are the scalar steps of gated.h, compiled here with -mpopcnt (hardware POPCNT on 64-bit words),
// which at the densities where the sparse path runs is cheaper than gathering channels into AVX2 lanes.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include "kernels/bconv2d/variant_impls.h"
#include "kernels/fracconv/gated.h"
#include "kernels/fracconv/variant_impls.h"

namespace bnnkit::kernels::fracconv_detail {
namespace {

using Variant =
    GatedVariant<bconv2d_detail::avx2_4x2_packed_weight_words, bconv2d_detail::avx2_4x2_pack_weights,
                 ScalarTraits<bconv2d_detail::avx2_4x2_run_segment>>;

}  // namespace

size_t avx2_gated_packed_weight_words(const ConvGeometry& g) {
  return Variant::packed_weight_words(g);
}

void avx2_gated_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  Variant::pack_weights(g, ref, packed);
}

void avx2_gated_run(const FracConv2dArgs& a, int row_begin, int row_end) {
  Variant::run(a, row_begin, row_end);
}

}  // namespace bnnkit::kernels::fracconv_detail

#endif  // defined(__x86_64__)
