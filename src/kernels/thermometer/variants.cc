#include "kernels/thermometer/variants.h"

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
  const auto list = thermometer_variants();
  for (const ThermometerVariant& v : list) {
    if (static_cast<int>(v.isa) > static_cast<int>(max_isa) || !cpu_supports(v.isa)) continue;
    if (v.rejects(channels, levels) == nullptr) return v;
  }
  return list.back();
}

const ThermometerVariant* thermometer_find(std::string_view name) {
  for (const ThermometerVariant& v : thermometer_variants()) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

}  // namespace bnnkit::kernels
