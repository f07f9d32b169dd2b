// The gated fractional convolution (gated.h) in plain C++: MSB pass by bconv2d portable_2x4, LSB dot products
// with std::popcount on 64-bit words.
#include "kernels/bconv2d/variant_impls.h"
#include "kernels/fracconv/gated.h"
#include "kernels/fracconv/variant_impls.h"

namespace bnnkit::kernels::fracconv_detail {
namespace {

using Variant =
    GatedVariant<bconv2d_detail::portable_2x4_packed_weight_words, bconv2d_detail::portable_2x4_pack_weights,
                 ScalarTraits<bconv2d_detail::portable_2x4_run_segment>>;

}  // namespace

size_t portable_gated_packed_weight_words(const ConvGeometry& g) {
  return Variant::packed_weight_words(g);
}

void portable_gated_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  Variant::pack_weights(g, ref, packed);
}

void portable_gated_run(const FracConv2dArgs& a, int row_begin, int row_end) {
  Variant::run(a, row_begin, row_end);
}

}  // namespace bnnkit::kernels::fracconv_detail
