#include "kernels/pgconv/variants.h"

#include "kernels/common/variant_list.h"

#include "kernels/pgconv/bitserial.h"
#include "kernels/pgconv/variant_impls.h"

namespace bnnkit::kernels {
namespace {

using namespace pgconv_detail;

const char* rejects_none(const ConvGeometry&, int, int, int) {
  return nullptr;
}

// The bit-serial variants gather one pixel's window on the stack (bitserial.h).
const char* rejects_window(const ConvGeometry& g, int act_bits, int, int) {
  return window_words(g, act_bits) > kMaxWindowWords ? "needs kh * kw * words(ic) * 2B <= 8192" : nullptr;
}

size_t reference_words(const ConvGeometry&, int) {
  return 0;
}
void reference_pack(const ConvGeometry&, int, const int32_t*, Word*) {}

// The avx*_ files are compiled (with their ISA flags) on x86-64 only; elsewhere the list starts at portable.
constexpr PGConv2dVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_vpopcntq", Isa::kAvx512, rejects_window, avx512_vpopcntq_packed_weight_words,
     avx512_vpopcntq_pack_weights, avx512_vpopcntq_run},
    {"avx2_popcnt", Isa::kAvx2, rejects_window, avx2_popcnt_packed_weight_words, avx2_popcnt_pack_weights,
     avx2_popcnt_run},
#endif
    {"portable_swar", Isa::kPortable, rejects_window, portable_swar_packed_weight_words,
     portable_swar_pack_weights, portable_swar_run},
    {"reference", Isa::kPortable, rejects_none, reference_words, reference_pack, pgconv2d_reference},
};

}  // namespace

std::span<const PGConv2dVariant> pgconv2d_variants() {
  return kVariants;
}

const PGConv2dVariant& pgconv2d_select(const ConvGeometry& g, int act_bits, int high_bits, int weight_bits,
                                       Isa max_isa) {
  return select_variant(pgconv2d_variants(), max_isa, [&](const PGConv2dVariant& v) {
    return v.rejects(g, act_bits, high_bits, weight_bits) == nullptr;
  });
}

const PGConv2dVariant* pgconv2d_find(std::string_view name) {
  return find_variant(pgconv2d_variants(), name);
}

}  // namespace bnnkit::kernels
