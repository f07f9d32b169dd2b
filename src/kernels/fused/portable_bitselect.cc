// The fused chain without vector ISA: chain_impl.h's tiles with the elementwise family's portable
// variants (branch-free PReLU family and activations, elementwise/portable_bitselect.cc; the references
// for the ops without a branch) and the reference packers.
#include "kernels/bitpack/bitpack.h"
#include "kernels/elementwise/variants.h"
#include "kernels/fused/chain_impl.h"

namespace bnnkit::kernels::fused_detail {
namespace {

using namespace elementwise_detail;

struct PortableOps {
  static void affine(const AffineArgs& a, int64_t b, int64_t e) { affine_reference(a, b, e); }
  static void prelu(const PReluArgs& a, int64_t b, int64_t e) { portable_bitselect_prelu(a, b, e); }
  static void rprelu(const RPReluArgs& a, int64_t b, int64_t e) { portable_bitselect_rprelu(a, b, e); }
  static void dprelu(const DPReluArgs& a, int64_t b, int64_t e) { portable_bitselect_dprelu(a, b, e); }
  static void activation(const ActivationArgs& a, int64_t b, int64_t e) {
    portable_bitselect_activation(a, b, e);
  }
  static void add(const AddArgs& a, int64_t b, int64_t e) { add_reference(a, b, e); }
  static void scale_channels(const ScaleChannelsArgs& a, int64_t b, int64_t e) {
    scale_channels_reference(a, b, e);
  }
  static void bitpack(const BitpackArgs& a, int64_t b, int64_t e) { bitpack_reference(a, b, e); }
  static void quant2bit(const Quant2BitArgs& a, int64_t b, int64_t e) { quant2bit_reference(a, b, e); }
};

}  // namespace

void fused_portable_bitselect(const FusedChainArgs& a, int64_t row_begin, int64_t row_end) {
  fused_chain<PortableOps>(a, row_begin, row_end, op_by_op_tile<PortableOps>);
}

}  // namespace bnnkit::kernels::fused_detail
