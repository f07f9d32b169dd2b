// The float conv2d variants, best first, "reference" last (accepts everything); the contract of the bconv2d
// list (kernels/bconv2d/variants.h): a variant repacks the weights once at plan time from the reference
// layout [oc][kh][kw][ic / groups] and run() produces exactly the floats of conv2d_reference (same taps in
// the same order per output, a multiply then an add each, bias last) for any split of the rows.
//
//   name        isa      tile
//   avx512_16   kAvx512  6 output pixels x 16 output channels of one group (lanes); per tap a broadcast of
//   each
//                        pixel's input value, VMULPS + VADDPS (no FMA) into 6 accumulators
//   reference   kPortable
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"
#include "kernels/conv2d/conv2d.h"

namespace bnnkit::kernels {

struct Conv2dVariant {
  const char* name;
  Isa isa;
  const char* (*rejects)(const ConvGeometry& g, int groups);
  // Floats of the packed weights; pack() converts the reference layout.
  size_t (*packed_floats)(const ConvGeometry& g, int groups);
  void (*pack)(const ConvGeometry& g, int groups, const float* reference_weights, float* packed);
  // Same contract as conv2d_reference, with args.weights pointing at the packed layout.
  void (*run)(const Conv2dArgs& args, int row_begin, int row_end);
};

std::span<const Conv2dVariant> conv2d_variants();
const Conv2dVariant& conv2d_select(const ConvGeometry& g, int groups, Isa max_isa);
const Conv2dVariant* conv2d_find(std::string_view name);

namespace conv2d_detail {
size_t avx512_16_packed_floats(const ConvGeometry& g, int groups);
void avx512_16_pack(const ConvGeometry& g, int groups, const float* ref, float* packed);
void avx512_16_run(const Conv2dArgs& a, int row_begin, int row_end);
}  // namespace conv2d_detail

}  // namespace bnnkit::kernels
