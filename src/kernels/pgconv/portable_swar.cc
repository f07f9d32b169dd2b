// pgconv on any CPU: the scalar bit-serial kernel (scalar_impl.h) with a branch-free SWAR popcount, since the
// portable build may not assume the POPCNT instruction (GCC would otherwise call libgcc per word).
#include "kernels/pgconv/scalar_impl.h"
#include "kernels/pgconv/variant_impls.h"

namespace bnnkit::kernels::pgconv_detail {
namespace {

struct SwarPopcount {
  int operator()(Word x) const {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return static_cast<int>((x * 0x0101010101010101ull) >> 56);
  }
};

}  // namespace

size_t portable_swar_packed_weight_words(const ConvGeometry& g, int wb) {
  return scalar_packed_words(g, wb);
}
void portable_swar_pack_weights(const ConvGeometry& g, int wb, const int32_t* codes, Word* packed) {
  scalar_pack(g, wb, codes, packed);
}
void portable_swar_run(const PGConv2dArgs& a, int row_begin, int row_end) {
  scalar_run(a, row_begin, row_end, SwarPopcount{});
}

}  // namespace bnnkit::kernels::pgconv_detail
