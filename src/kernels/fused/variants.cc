#include "kernels/fused/variants.h"

#include "kernels/common/variant_list.h"

namespace bnnkit::kernels {
namespace {

using namespace fused_detail;

// The avx*_ files are compiled (with their ISA flags) on x86-64 only.
constexpr FusedVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_16", Isa::kAvx512, fused_avx512_16},
    {"avx2_8", Isa::kAvx2, fused_avx2_8},
#endif
    {"portable_bitselect", Isa::kPortable, fused_portable_bitselect},
    {"reference", Isa::kPortable, fused_chain_reference},
};

}  // namespace

std::span<const FusedVariant> fused_variants() {
  return kVariants;
}
const FusedVariant& fused_select(Isa max_isa) {
  return select_variant(fused_variants(), max_isa);
}
const FusedVariant* fused_find(std::string_view name) {
  return find_variant(fused_variants(), name);
}

}  // namespace bnnkit::kernels
