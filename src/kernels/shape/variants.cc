#include "kernels/shape/variants.h"

#include "kernels/common/variant_list.h"

namespace bnnkit::kernels {
namespace {

using namespace shape_detail;

// avx512_* / avx2_* are compiled (with their ISA flags) on x86-64 only.
constexpr ShapeVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_16", Isa::kAvx512, avx512_16_channel_duplicate, avx512_16_channel_tile,
     avx512_16_channel_zero_pad, avx512_16_channel_group_avg},
    {"avx2_8", Isa::kAvx2, avx2_8_channel_duplicate, avx2_8_channel_tile, avx2_8_channel_zero_pad,
     avx2_8_channel_group_avg},
#endif
    {"portable_fixed_g", Isa::kPortable, nullptr, portable_fixed_g_channel_tile,
     portable_fixed_g_channel_zero_pad, portable_fixed_g_channel_group_avg},
    {"reference", Isa::kPortable, channel_duplicate_reference, channel_tile_reference,
     channel_zero_pad_reference, channel_group_avg_reference},
};

}  // namespace

std::span<const ShapeVariant> shape_variants() {
  return kVariants;
}

const ShapeVariant* shape_find(std::string_view name) {
  return find_variant(shape_variants(), name);
}

bool shape_usable(const ShapeVariant& v, Isa max_isa) {
  return variant_usable(v, max_isa);
}

}  // namespace bnnkit::kernels
