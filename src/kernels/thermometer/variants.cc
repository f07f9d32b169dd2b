#include "kernels/thermometer/variants.h"

#include "kernels/common/variant_list.h"

namespace bnnkit::kernels {
namespace {

using namespace thermometer_detail;

const char* rejects_none(int, int) {
  return nullptr;
}
const char* rejects_not_32(int, int levels) {
  return levels == 32 ? nullptr : "needs levels == 32";
}

// avx512_* is compiled (with its ISA flags) on x86-64 only.
constexpr ThermometerVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_l32", Isa::kAvx512, rejects_not_32, thermometer_avx512_l32},
#endif
    {"portable_words", Isa::kPortable, rejects_none, thermometer_portable_words},
    {"reference", Isa::kPortable, rejects_none, thermometer_reference},
};

}  // namespace

std::span<const ThermometerVariant> thermometer_variants() {
  return kVariants;
}

const ThermometerVariant& thermometer_select(int channels, int levels, Isa max_isa) {
  return select_variant(thermometer_variants(), max_isa,
                        [&](const ThermometerVariant& v) { return v.rejects(channels, levels) == nullptr; });
}

const ThermometerVariant* thermometer_find(std::string_view name) {
  return find_variant(thermometer_variants(), name);
}

}  // namespace bnnkit::kernels
