#include "kernels/bitpack/variants.h"

#include "kernels/common/variant_list.h"

namespace bnnkit::kernels {
namespace {

using namespace bitpack_detail;

// The avx*_ files are compiled (with their ISA flags) on x86-64 only; elsewhere only the reference is listed.
constexpr BitpackVariant kBitpack[] = {
#if defined(__x86_64__)
    {"avx512_16", Isa::kAvx512, bitpack_avx512_16},
    {"avx2_8", Isa::kAvx2, bitpack_avx2_8},
#endif
    {"reference", Isa::kPortable, bitpack_reference},
};

constexpr Quant2BitVariant kQuant2Bit[] = {
#if defined(__x86_64__)
    {"avx512_16", Isa::kAvx512, quant2bit_avx512_16},
    {"avx2_8", Isa::kAvx2, quant2bit_avx2_8},
#endif
    {"reference", Isa::kPortable, quant2bit_reference},
};

}  // namespace

std::span<const BitpackVariant> bitpack_variants() {
  return kBitpack;
}
const BitpackVariant& bitpack_select(Isa max_isa) {
  return select_variant(bitpack_variants(), max_isa);
}
const BitpackVariant* bitpack_find(std::string_view name) {
  return find_variant(bitpack_variants(), name);
}

std::span<const Quant2BitVariant> quant2bit_variants() {
  return kQuant2Bit;
}
const Quant2BitVariant& quant2bit_select(Isa max_isa) {
  return select_variant(quant2bit_variants(), max_isa);
}
const Quant2BitVariant* quant2bit_find(std::string_view name) {
  return find_variant(quant2bit_variants(), name);
}

}  // namespace bnnkit::kernels
