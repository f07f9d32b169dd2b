// The elementwise ops on AVX2 (8 floats per ymm; channel tails with VMASKMOVPS): simd_impl.h instantiated for
// Avx2.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include "kernels/elementwise/simd_impl.h"
#include "kernels/elementwise/variants.h"

namespace bnnkit::kernels::elementwise_detail {

void avx2_8_affine(const AffineArgs& a, int64_t row_begin, int64_t row_end) {
  affine_simd<Avx2>(a, row_begin, row_end);
}
void avx2_8_prelu(const PReluArgs& a, int64_t row_begin, int64_t row_end) {
  prelu_simd<Avx2>(a, row_begin, row_end);
}
void avx2_8_rprelu(const RPReluArgs& a, int64_t row_begin, int64_t row_end) {
  rprelu_simd<Avx2>(a, row_begin, row_end);
}
void avx2_8_dprelu(const DPReluArgs& a, int64_t row_begin, int64_t row_end) {
  dprelu_simd<Avx2>(a, row_begin, row_end);
}
void avx2_8_activation(const ActivationArgs& a, int64_t row_begin, int64_t row_end) {
  activation_simd<Avx2>(a, row_begin, row_end);
}
void avx2_8_add(const AddArgs& a, int64_t begin, int64_t end) {
  add_simd<Avx2>(a, begin, end);
}
void avx2_8_scale_channels(const ScaleChannelsArgs& a, int64_t row_begin, int64_t row_end) {
  scale_channels_simd<Avx2>(a, row_begin, row_end);
}

void avx2_8_quant_uniform(const QuantUniformArgs& a, int64_t row_begin, int64_t row_end) {
  quant_uniform_simd<Avx2>(a, row_begin, row_end);
}

}  // namespace bnnkit::kernels::elementwise_detail

#endif  // defined(__x86_64__)
