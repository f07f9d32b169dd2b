// Channel reshaping of NHWC float tensors for parameter-free shortcuts. Each op maps the channels of one
// pixel to the channels of the same pixel, so all are sliced by pixels (rows = n * h * w). For pixel p:
//
//   concat_channels    dst[p] = [src0[p][0..c0), src1[p][0..c1)]                         (torch.cat dim=1)
//   channel_duplicate  dst[p][t * ic + c] = src[p][c],  t in [0, times)      (FracBNN downsampling shortcut
//                      cat(x, x): times = 2; the channel order is x's channels, then x's channels again)
//   channel_tile       dst[p][c] = src[p][c % ic],  c in [0, oc),  oc % ic == 0           (PokeBNN long
//                      shortcut, jnp.tile(r, (1, 1, 1, oc / ic)); the same map as channel_duplicate with
//                      times = oc / ic)
//   channel_zero_pad   dst[p][c] = c < ic ? src[p][c] : 0.0f,  c in [0, oc),  oc >= ic  (PokeBNN local
//                      shortcut when C_in < C_out: jnp.pad with zeros after the existing channels)
//   channel_group_avg  g = ic / oc (integer division, >= 1);  for o in [0, oc):
//                        sum = 0.0f;  sum = sum + src[p][o * g + k] for k = 0, 1, ..., g - 1;
//                        dst[p][o] = sum / (float)g                     (one float division)
//                      (PokeBNN local shortcut when C_in > C_out: jnp.average over groups of g consecutive
//                      channels; like PokeBNN, the trailing ic - oc * g channels are ignored when oc does not
//                      divide ic)
//
// All but channel_group_avg copy values exactly. dst must not overlap the sources.
#pragma once

#include <cstdint>

namespace bnnkit::kernels {

struct ConcatChannelsArgs {
  int64_t c0 = 1, c1 = 1;
  const float* src0 = nullptr;  // [pixels][c0]
  const float* src1 = nullptr;  // [pixels][c1]
  float* dst = nullptr;         // [pixels][c0 + c1]
};

struct ChannelDuplicateArgs {
  int64_t ic = 1;
  int times = 2;
  const float* src = nullptr;  // [pixels][ic]
  float* dst = nullptr;        // [pixels][ic * times]
};

// ic, oc are the channel counts of src and dst; the relation each op needs is in the comment above.
struct ChannelMapArgs {
  int64_t ic = 1, oc = 1;
  const float* src = nullptr;  // [pixels][ic]
  float* dst = nullptr;        // [pixels][oc]
};

// Each computes the pixels [pixel_begin, pixel_end). Never allocate.
void concat_channels_reference(const ConcatChannelsArgs& a, int64_t pixel_begin, int64_t pixel_end);
void channel_duplicate_reference(const ChannelDuplicateArgs& a, int64_t pixel_begin, int64_t pixel_end);
void channel_tile_reference(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);
void channel_zero_pad_reference(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);
void channel_group_avg_reference(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);

}  // namespace bnnkit::kernels
