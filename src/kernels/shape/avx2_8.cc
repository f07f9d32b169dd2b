// The channel reshaping ops on AVX2 (8 floats per ymm): shape/simd_impl.h instantiated for Avx2.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include "kernels/shape/simd_impl.h"
#include "kernels/shape/variants.h"

namespace bnnkit::kernels::shape_detail {

void avx2_8_channel_duplicate(const ChannelDuplicateArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  channel_duplicate_simd<Avx2>(a, pixel_begin, pixel_end);
}
void avx2_8_channel_tile(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  channel_tile_simd<Avx2>(a, pixel_begin, pixel_end);
}
void avx2_8_channel_zero_pad(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  channel_zero_pad_simd<Avx2>(a, pixel_begin, pixel_end);
}
void avx2_8_channel_group_avg(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  channel_group_avg_simd<Avx2>(a, pixel_begin, pixel_end);
}

}  // namespace bnnkit::kernels::shape_detail

#endif  // defined(__x86_64__)
