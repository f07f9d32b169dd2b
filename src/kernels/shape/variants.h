// Variants of the channel reshaping ops of shape.h: one ordered list, best first, "reference" last; each op
// is selected on its own (the first entry that implements it, fits the ISA cap and runs on this CPU). Every
// function has the contract of its reference (same pixels, bit-identical floats, never allocates).
//
//   name              isa        ops                   how
//   avx512_16         kAvx512    all                   16 floats per zmm, masked tails; channel_group_avg
//                                                      deinterleaves each group of 16 outputs with VPERMT2PS
//                                                      so lane j holds src[(o + j) g + k] for each k
//   avx2_8            kAvx2      all                   8 floats per ymm, VMASKMOVPS tails; VPERMPS + blends
//   portable_fixed_g  kPortable  tile, pad, group_avg  group sizes 2..8 as compile-time constants (the
//                                                      compiler keeps the sums in registers and may vectorise
//                                                      with the baseline ISA), copies by memcpy / memset
//   reference         kPortable  all                   the spec
//
// channel_group_avg keeps the reference's order in every lane: ((0.0f + x0) + x1) + ... + x(g-1), then one
// division by g (a multiplication by 1/g when g is a power of two: the same exact quotient, so the same
// rounding). Group sizes above 8 use the reference's loop in every variant.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/shape/shape.h"

namespace bnnkit::kernels {

struct ShapeVariant {
  const char* name;
  Isa isa;  // minimum ISA
  void (*channel_duplicate)(const ChannelDuplicateArgs&, int64_t pixel_begin, int64_t pixel_end);
  void (*channel_tile)(const ChannelMapArgs&, int64_t pixel_begin, int64_t pixel_end);
  void (*channel_zero_pad)(const ChannelMapArgs&, int64_t pixel_begin, int64_t pixel_end);
  void (*channel_group_avg)(const ChannelMapArgs&, int64_t pixel_begin, int64_t pixel_end);
};

std::span<const ShapeVariant> shape_variants();
const ShapeVariant* shape_find(std::string_view name);
// True iff the variant may run under the cap max_isa on this CPU.
bool shape_usable(const ShapeVariant& v, Isa max_isa);

// The best usable variant implementing `op`, e.g. shape_select(&ShapeVariant::channel_group_avg, isa); the
// reference (last, implements everything) if none is better.
template <class Fn>
const ShapeVariant& shape_select(Fn ShapeVariant::*op, Isa max_isa) {
  const auto list = shape_variants();
  for (const ShapeVariant& v : list) {
    if (v.*op != nullptr && shape_usable(v, max_isa)) return v;
  }
  return list.back();
}

namespace shape_detail {
#define BNNKIT_SHAPE_DECLARE(prefix)                                                                      \
  void prefix##_channel_duplicate(const ChannelDuplicateArgs& a, int64_t pixel_begin, int64_t pixel_end); \
  void prefix##_channel_tile(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);            \
  void prefix##_channel_zero_pad(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);        \
  void prefix##_channel_group_avg(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);
BNNKIT_SHAPE_DECLARE(avx512_16)
BNNKIT_SHAPE_DECLARE(avx2_8)
#undef BNNKIT_SHAPE_DECLARE

void portable_fixed_g_channel_tile(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);
void portable_fixed_g_channel_zero_pad(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);
void portable_fixed_g_channel_group_avg(const ChannelMapArgs& a, int64_t pixel_begin, int64_t pixel_end);
}  // namespace shape_detail

}  // namespace bnnkit::kernels
