#include "kernels/pool/variants.h"

#include "kernels/common/variant_list.h"

namespace bnnkit::kernels {
namespace {

using namespace pool_detail;

// avx512_* / avx2_* are compiled (with their ISA flags) on x86-64 only.
constexpr PoolVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_16", Isa::kAvx512, avx512_16_avg_pool2d, avx512_16_global_avg_pool},
    {"avx2_8", Isa::kAvx2, avx2_8_avg_pool2d, avx2_8_global_avg_pool},
#endif
    {"reference", Isa::kPortable, avg_pool2d_reference, global_avg_pool_reference},
};

}  // namespace

std::span<const PoolVariant> pool_variants() {
  return kVariants;
}

const PoolVariant* pool_find(std::string_view name) {
  return find_variant(pool_variants(), name);
}

bool pool_usable(const PoolVariant& v, Isa max_isa) {
  return variant_usable(v, max_isa);
}

}  // namespace bnnkit::kernels
