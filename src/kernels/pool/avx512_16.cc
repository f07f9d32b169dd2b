// The average pools on AVX-512 (16 channels per zmm): pool/simd_impl.h instantiated for Avx512.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include "kernels/pool/simd_impl.h"
#include "kernels/pool/variants.h"

namespace bnnkit::kernels::pool_detail {

void avx512_16_avg_pool2d(const AvgPool2dArgs& a, int row_begin, int row_end) {
  avg_pool2d_simd<Avx512>(a, row_begin, row_end);
}
void avx512_16_global_avg_pool(const GlobalAvgPoolArgs& a, int n_begin, int n_end) {
  global_avg_pool_simd<Avx512>(a, n_begin, n_end);
}

}  // namespace bnnkit::kernels::pool_detail

#endif  // defined(__x86_64__)
