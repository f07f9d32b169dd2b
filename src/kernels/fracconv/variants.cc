#include "kernels/fracconv/variants.h"

#include "kernels/common/variant_list.h"

#include <cstring>

#include "kernels/fracconv/gated.h"
#include "kernels/fracconv/variant_impls.h"

namespace bnnkit::kernels {
namespace {

using namespace fracconv_detail;

const char* rejects_none(const ConvGeometry&, Padding, OutputKind) {
  return nullptr;
}
const char* rejects_gated(const ConvGeometry& g, Padding, OutputKind) {
  return gated_rejects(g);
}

size_t reference_words(const ConvGeometry& g) {
  return static_cast<size_t>(g.oc) * g.kh * g.kw * words_for(g.ic);
}
void reference_pack(const ConvGeometry& g, const Word* ref, Word* packed) {
  std::memcpy(packed, ref, reference_words(g) * sizeof(Word));
}

constexpr FracConv2dVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_gated", Isa::kAvx512, rejects_gated, avx512_gated_packed_weight_words, avx512_gated_pack_weights,
     avx512_gated_run},
    {"avx2_gated", Isa::kAvx2, rejects_gated, avx2_gated_packed_weight_words, avx2_gated_pack_weights,
     avx2_gated_run},
#endif
    {"portable_gated", Isa::kPortable, rejects_gated, portable_gated_packed_weight_words,
     portable_gated_pack_weights, portable_gated_run},
    {"reference", Isa::kPortable, rejects_none, reference_words, reference_pack, fracconv2d_reference},
};

}  // namespace

std::span<const FracConv2dVariant> fracconv2d_variants() {
  return kVariants;
}

const FracConv2dVariant& fracconv2d_select(const ConvGeometry& g, Padding padding, OutputKind out,
                                           Isa max_isa) {
  return select_variant(fracconv2d_variants(), max_isa,
                        [&](const FracConv2dVariant& v) { return v.rejects(g, padding, out) == nullptr; });
}

const FracConv2dVariant* fracconv2d_find(std::string_view name) {
  return find_variant(fracconv2d_variants(), name);
}

}  // namespace bnnkit::kernels
