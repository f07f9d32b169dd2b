// The specification of the channel reshaping ops (see shape.h for the maps and the averaging order).
#include "kernels/shape/shape.h"

#include <cstring>

namespace bnnkit::kernels {

void concat_channels_reference(const ConcatChannelsArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const int64_t oc = a.c0 + a.c1;
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s0 = a.src0 + p * a.c0;
    const float* s1 = a.src1 + p * a.c1;
    float* d = a.dst + p * oc;
    for (int64_t c = 0; c < a.c0; ++c) d[c] = s0[c];
    for (int64_t c = 0; c < a.c1; ++c) d[a.c0 + c] = s1[c];
  }
}

void channel_duplicate_reference(const ChannelDuplicateArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const int64_t ic = a.ic, oc = a.ic * a.times;
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = a.src + p * ic;
    float* d = a.dst + p * oc;
    // A copy per repetition (the element loop compiled to scalar moves: 2 % of FracBNN-ImageNet).
    for (int t = 0; t < a.times; ++t) std::memcpy(d + t * ic, s, static_cast<size_t>(ic) * sizeof(float));
  }
}

void channel_tile_reference(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = a.src + p * a.ic;
    float* d = a.dst + p * a.oc;
    for (int64_t c = 0; c < a.oc; ++c) d[c] = s[c % a.ic];
  }
}

void channel_zero_pad_reference(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = a.src + p * a.ic;
    float* d = a.dst + p * a.oc;
    for (int64_t c = 0; c < a.ic; ++c) d[c] = s[c];
    for (int64_t c = a.ic; c < a.oc; ++c) d[c] = 0.0f;
  }
}

void channel_group_avg_reference(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const int64_t g = a.ic / a.oc;
  const float count = static_cast<float>(g);
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = a.src + p * a.ic;
    float* d = a.dst + p * a.oc;
    for (int64_t o = 0; o < a.oc; ++o) {
      float sum = 0.0f;
      for (int64_t k = 0; k < g; ++k) sum = sum + s[o * g + k];
      d[o] = sum / count;
    }
  }
}

}  // namespace bnnkit::kernels
