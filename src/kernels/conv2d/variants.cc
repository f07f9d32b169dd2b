#include "kernels/conv2d/variants.h"

#include "kernels/common/variant_list.h"

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
  return select_variant(conv2d_variants(), max_isa,
                        [&](const Conv2dVariant& v) { return v.rejects(g, groups) == nullptr; });
}

const Conv2dVariant* conv2d_find(std::string_view name) {
  return find_variant(conv2d_variants(), name);
}

}  // namespace bnnkit::kernels
