// pgconv with the hardware POPCNT instruction: the scalar bit-serial kernel of scalar_impl.h, built with this
// folder's AVX2 flags (which include -mpopcnt; the AVX2 level implies POPCNT, cpu_features.h).
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include "kernels/pgconv/scalar_impl.h"
#include "kernels/pgconv/variant_impls.h"

namespace bnnkit::kernels::pgconv_detail {
namespace {

struct HardwarePopcount {
  int operator()(Word x) const { return __builtin_popcountll(x); }
};

}  // namespace

size_t avx2_popcnt_packed_weight_words(const ConvGeometry& g, int wb) {
  return scalar_packed_words(g, wb);
}
void avx2_popcnt_pack_weights(const ConvGeometry& g, int wb, const int32_t* codes, Word* packed) {
  scalar_pack(g, wb, codes, packed);
}
void avx2_popcnt_run(const PGConv2dArgs& a, int row_begin, int row_end) {
  scalar_run(a, row_begin, row_end, HardwarePopcount{});
}

}  // namespace bnnkit::kernels::pgconv_detail
#endif
