#include "kernels/elementwise/variants.h"

#include "kernels/common/variant_list.h"

namespace bnnkit::kernels {
namespace {

using namespace elementwise_detail;

// avx512_* / avx2_* are compiled (with their ISA flags) on x86-64 only.
constexpr ElementwiseVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_16", Isa::kAvx512, avx512_16_affine, avx512_16_prelu, avx512_16_rprelu, avx512_16_dprelu,
     avx512_16_activation, avx512_16_add, avx512_16_scale_channels, avx512_16_quant_uniform},
    {"avx2_8", Isa::kAvx2, avx2_8_affine, avx2_8_prelu, avx2_8_rprelu, avx2_8_dprelu, avx2_8_activation,
     avx2_8_add, avx2_8_scale_channels, avx2_8_quant_uniform},
#endif
    {"portable_bitselect", Isa::kPortable, nullptr, portable_bitselect_prelu, portable_bitselect_rprelu,
     portable_bitselect_dprelu, portable_bitselect_activation, nullptr, nullptr, nullptr},
    {"reference", Isa::kPortable, affine_reference, prelu_reference, rprelu_reference, dprelu_reference,
     activation_reference, add_reference, scale_channels_reference, quant_uniform_reference},
};

}  // namespace

std::span<const ElementwiseVariant> elementwise_variants() {
  return kVariants;
}

const ElementwiseVariant* elementwise_find(std::string_view name) {
  return find_variant(elementwise_variants(), name);
}

bool elementwise_usable(const ElementwiseVariant& v, Isa max_isa) {
  return variant_usable(v, max_isa);
}

}  // namespace bnnkit::kernels
