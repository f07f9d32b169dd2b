// The gated fractional convolution (gated.h) in plain C++: MSB pass by bconv2d portable_2x4, LSB dot products
// with std::popcount on 64-bit words.
#include "kernels/bconv2d/variant_impls.h"
#include "kernels/fracconv/gated.h"
#include "kernels/fracconv/variant_impls.h"

namespace bnnkit::kernels::fracconv_detail {
namespace {

struct PortableTraits {
  static constexpr bool kFusedGates = false;
  static void msb_gated(const BConv2dArgs&, int, int, int, int, void*, const bconv2d_detail::GateEpilogue&) {}
  static void copy(Word* dst, const Word* src, int n) { copy_words(dst, src, n); }
  static void zero_pad_base(int32_t* base, int oc, int32_t valid_bits, const int32_t* popw,
                            const ConvGeometry& g, TapRange rows, TapRange cols) {
    fracconv_detail::zero_pad_base(base, oc, valid_bits, popw, g, rows, cols);
  }
  static void msb(const BConv2dArgs& a, int b, int oy, int x0, int x1, void* block) {
    bconv2d_detail::portable_2x4_run_segment(a, b, oy, x0, x1, 0, a.g.oc, block);
  }
  static int gates(const int32_t* dm, int n, int oc, const int32_t* thr, uint16_t* masks) {
    return gates_scalar(dm, n, oc, thr, masks);
  }
  static int compact(const uint16_t* masks, int oc, int32_t* list) { return compact_scalar(masks, oc, list); }
  static void dots(const Word* win, int k, const Word* wl, const int32_t* list, int n, int32_t* pcs) {
    dots_scalar(win, k, wl, list, n, pcs);
  }
  static void finish(const OutputStage& out, int oc, const PixelOut& px) { finish_scalar(out, oc, px); }
};

}  // namespace

size_t portable_gated_packed_weight_words(const ConvGeometry& g) {
  return GatedLayout(g, bconv2d_detail::portable_2x4_packed_weight_words(g)).total_words;
}

void portable_gated_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  gated_pack(g, ref, packed, bconv2d_detail::portable_2x4_packed_weight_words(g),
             bconv2d_detail::portable_2x4_pack_weights);
}

void portable_gated_run(const FracConv2dArgs& a, int row_begin, int row_end) {
  run_gated<PortableTraits>(a, row_begin, row_end, bconv2d_detail::portable_2x4_packed_weight_words(a.g));
}

}  // namespace bnnkit::kernels::fracconv_detail
