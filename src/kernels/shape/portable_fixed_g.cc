// Portable channel reshaping: the reference's loops with the group size as a compile-time constant, so the
// compiler keeps each sum in a register and may vectorise across outputs with the baseline ISA (the order of
// the additions inside a group is the reference's, so the floats are identical); copies by memcpy / memset.
#include <cstring>

#include "kernels/shape/variants.h"

namespace bnnkit::kernels::shape_detail {
namespace {

template <int G>
void group_avg_fixed(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const float count = static_cast<float>(G);
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = a.src + p * a.ic;
    float* d = a.dst + p * a.oc;
    for (int64_t o = 0; o < a.oc; ++o) {
      float sum = 0.0f;
      for (int k = 0; k < G; ++k) sum = sum + s[o * G + k];
      d[o] = sum / count;
    }
  }
}

}  // namespace

void portable_fixed_g_channel_tile(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  const auto bytes = [](int64_t n) { return static_cast<size_t>(n) * sizeof(float); };
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    const float* s = a.src + p * a.ic;
    float* d = a.dst + p * a.oc;
    int64_t c = 0;
    for (; c + a.ic <= a.oc; c += a.ic) std::memcpy(d + c, s, bytes(a.ic));
    std::memcpy(d + c, s, bytes(a.oc - c));
  }
}

void portable_fixed_g_channel_zero_pad(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  for (int64_t p = pixel_begin; p < pixel_end; ++p) {
    float* d = a.dst + p * a.oc;
    std::memcpy(d, a.src + p * a.ic, static_cast<size_t>(a.ic) * sizeof(float));
    // All-zero bytes are +0.0f.
    std::memset(d + a.ic, 0, static_cast<size_t>(a.oc - a.ic) * sizeof(float));
  }
}

void portable_fixed_g_channel_group_avg(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end) {
  switch (a.ic / a.oc) {
    case 1:
      return group_avg_fixed<1>(a, pixel_begin, pixel_end);
    case 2:
      return group_avg_fixed<2>(a, pixel_begin, pixel_end);
    case 3:
      return group_avg_fixed<3>(a, pixel_begin, pixel_end);
    case 4:
      return group_avg_fixed<4>(a, pixel_begin, pixel_end);
    case 5:
      return group_avg_fixed<5>(a, pixel_begin, pixel_end);
    case 6:
      return group_avg_fixed<6>(a, pixel_begin, pixel_end);
    case 7:
      return group_avg_fixed<7>(a, pixel_begin, pixel_end);
    case 8:
      return group_avg_fixed<8>(a, pixel_begin, pixel_end);
    default:
      return channel_group_avg_reference(a, pixel_begin, pixel_end);
  }
}

}  // namespace bnnkit::kernels::shape_detail
