#include "kernels/bconv2d/variants.h"

#include "kernels/common/variant_list.h"

#include <cstring>

#include "kernels/bconv2d/direct_conv.h"
#include "kernels/bconv2d/variant_impls.h"

namespace bnnkit::kernels {
namespace {

using namespace bconv2d_detail;

const char* rejects_none(const ConvGeometry&, Padding, OutputKind) {
  return nullptr;
}

// The direct variants keep accumulators and thresholds in int32 with headroom (direct_conv.h).
const char* rejects_direct(const ConvGeometry& g, Padding, OutputKind) {
  return too_deep(g) ? "needs kh * kw * ic < 2^28" : nullptr;
}

size_t reference_words(const ConvGeometry& g) {
  return static_cast<size_t>(g.oc) * g.kh * g.kw * words_for(g.ic);
}
void reference_pack(const ConvGeometry& g, const Word* ref, Word* packed) {
  std::memcpy(packed, ref, reference_words(g) * sizeof(Word));
}

// The avx*_ files are compiled (with their ISA flags) on x86-64 only; elsewhere the list starts at portable.
constexpr BConv2dVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_6x4", Isa::kAvx512, rejects_direct, avx512_6x4_packed_weight_words, avx512_6x4_pack_weights,
     avx512_6x4_run},
    {"avx2_4x2", Isa::kAvx2, rejects_direct, avx2_4x2_packed_weight_words, avx2_4x2_pack_weights,
     avx2_4x2_run},
#endif
    {"portable_2x4", Isa::kPortable, rejects_direct, portable_2x4_packed_weight_words,
     portable_2x4_pack_weights, portable_2x4_run},
    {"reference", Isa::kPortable, rejects_none, reference_words, reference_pack, bconv2d_reference},
};

}  // namespace

std::span<const BConv2dVariant> bconv2d_variants() {
  return kVariants;
}

const BConv2dVariant& bconv2d_select(const ConvGeometry& g, Padding padding, OutputKind out, Isa max_isa) {
  return select_variant(bconv2d_variants(), max_isa,
                        [&](const BConv2dVariant& v) { return v.rejects(g, padding, out) == nullptr; });
}

const BConv2dVariant* bconv2d_find(std::string_view name) {
  return find_variant(bconv2d_variants(), name);
}

}  // namespace bnnkit::kernels
