// The bdense variant list. Each optimized entry adapts a bconv2d kernel: dense(n, ic, oc) is the 1x1 conv of
// a 1 x n image with ic channels, so the batch rows become one output row of n pixels (see variants.h).
#include "kernels/bdense/variants.h"

#include "kernels/common/variant_list.h"

#include <cstring>

#include "kernels/bconv2d/direct_conv.h"
#include "kernels/bconv2d/variant_impls.h"

namespace bnnkit::kernels {
namespace {

using namespace bconv2d_detail;

ConvGeometry as_conv(int n, int ic, int oc) {
  ConvGeometry g;
  g.n = 1;
  g.ih = 1;
  g.iw = n;
  g.ic = ic;
  g.oc = oc;
  return g;  // 1x1 window, stride 1, no padding
}

BConv2dArgs as_conv(const BDenseArgs& d) {
  BConv2dArgs a;
  a.g = as_conv(d.n, d.ic, d.oc);
  a.padding = Padding::kZero;  // irrelevant: a 1x1 window without padding has no padded taps
  a.src = d.src;
  a.weights = d.weights;
  a.out = d.out;
  a.dst = d.dst;
  return a;
}

const char* rejects_none(int, int, OutputKind) {
  return nullptr;
}
const char* rejects_direct(int ic, int oc, OutputKind) {
  return too_deep(as_conv(1, ic, oc)) ? "needs ic < 2^28" : nullptr;
}

// The adapters: one set per conv kernel.
template <size_t (*Words)(const ConvGeometry&), void (*Pack)(const ConvGeometry&, const Word*, Word*),
          void (*Segment)(const BConv2dArgs&, int, int, int, int, int, int, void*)>
struct Adapter {
  static size_t words(int ic, int oc) { return Words(as_conv(1, ic, oc)); }
  static void pack(int ic, int oc, const Word* ref, Word* packed) { Pack(as_conv(1, ic, oc), ref, packed); }
  static void run(const BDenseArgs& d, int n_begin, int n_end, int oc_begin, int oc_end) {
    if (n_begin >= n_end || oc_begin >= oc_end) return;
    Segment(as_conv(d), 0, 0, n_begin, n_end, oc_begin, oc_end, nullptr);
  }
};

#if defined(__x86_64__)
using Avx512 = Adapter<avx512_6x4_packed_weight_words, avx512_6x4_pack_weights, avx512_6x4_run_segment>;
using Avx2 = Adapter<avx2_4x2_packed_weight_words, avx2_4x2_pack_weights, avx2_4x2_run_segment>;
#endif
using Portable =
    Adapter<portable_2x4_packed_weight_words, portable_2x4_pack_weights, portable_2x4_run_segment>;

size_t reference_words(int ic, int oc) {
  return static_cast<size_t>(oc) * words_for(ic);
}
void reference_pack(int ic, int oc, const Word* ref, Word* packed) {
  std::memcpy(packed, ref, reference_words(ic, oc) * sizeof(Word));
}

// The avx*_ kernels are compiled (with their ISA flags) on x86-64 only; elsewhere the list starts at
// portable.
constexpr BDenseVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512_6x4", Isa::kAvx512, rejects_direct, Avx512::words, Avx512::pack, Avx512::run},
    {"avx2_4x2", Isa::kAvx2, rejects_direct, Avx2::words, Avx2::pack, Avx2::run},
#endif
    {"portable_2x4", Isa::kPortable, rejects_direct, Portable::words, Portable::pack, Portable::run},
    {"reference", Isa::kPortable, rejects_none, reference_words, reference_pack, bdense_reference},
};

}  // namespace

std::span<const BDenseVariant> bdense_variants() {
  return kVariants;
}

const BDenseVariant& bdense_select(int ic, int oc, OutputKind out, Isa max_isa) {
  return select_variant(bdense_variants(), max_isa,
                        [&](const BDenseVariant& v) { return v.rejects(ic, oc, out) == nullptr; });
}

const BDenseVariant* bdense_find(std::string_view name) {
  return find_variant(bdense_variants(), name);
}

}  // namespace bnnkit::kernels
