#include "kernels/conv2d/variants.h"

#include <cstring>

namespace bnnkit::kernels {
namespace {

const char* rejects_none(const ConvGeometry&, int) {
  return nullptr;
}
size_t reference_floats(const ConvGeometry& g, int groups) {
  return static_cast<size_t>(g.oc) * g.kh * g.kw * (g.ic / groups);
}
void reference_pack(const ConvGeometry& g, int groups, const float* ref, float* packed) {
  std::memcpy(packed, ref, reference_floats(g, groups) * sizeof(float));
}

constexpr Conv2dVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_16", Isa::kAvx512, rejects_none, conv2d_detail::avx512_16_packed_floats,
     conv2d_detail::avx512_16_pack, conv2d_detail::avx512_16_run},
#endif
    {"reference", Isa::kPortable, rejects_none, reference_floats, reference_pack, conv2d_reference},
};

}  // namespace

std::span<const Conv2dVariant> conv2d_variants() {
  return kVariants;
}

const Conv2dVariant& conv2d_select(const ConvGeometry& g, int groups, Isa max_isa) {
  const auto list = conv2d_variants();
  for (const Conv2dVariant& v : list) {
    if (static_cast<int>(v.isa) > static_cast<int>(max_isa) || !cpu_supports(v.isa)) continue;
    if (v.rejects(g, groups) == nullptr) return v;
  }
  return list.back();
}

const Conv2dVariant* conv2d_find(std::string_view name) {
  for (const Conv2dVariant& v : conv2d_variants()) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

}  // namespace bnnkit::kernels
