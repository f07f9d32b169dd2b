// Binary dense (fully connected) layer: bit-packed input rows, bit-packed weights, exact integer
// accumulation, then the shared output stage (kernels/common/output_stage.h).
//
// For batch row b and output channel o, over the ic input channels:
//   D[b][o] = ic - 2 * popcount(src[b] XOR w[o])
// Layouts: src [n][words_for(ic)], weights [oc][words_for(ic)], both with tail bits zero (the tail
// contributes nothing to the popcount). dst is [n][oc] int32 or float, or [n][words_for(oc)] words for kBits.
//
// Slices: a call computes rows [n_begin, n_end) x output channels [oc_begin, oc_end) and writes nothing else.
// For kBits a word is written whole, so oc_begin must be a multiple of 64 and oc_end a multiple of 64 or oc;
// when oc_end == oc the tail bits of the row's last word are written as zero.
#pragma once

#include <cstdint>

#include "kernels/common/bits.h"
#include "kernels/common/output_stage.h"

namespace bnnkit::kernels {

struct BDenseArgs {
  int n = 1, ic = 1, oc = 1;
  const Word* src = nullptr;      // [n][words_for(ic)]
  const Word* weights = nullptr;  // [oc][words_for(ic)]
  OutputStage out;
  void* dst = nullptr;  // [n][oc] int32/float, or [n][words_for(oc)] words
};

// Computes rows [n_begin, n_end) and output channels [oc_begin, oc_end). Never allocates.
void bdense_reference(const BDenseArgs& a, int n_begin, int n_end, int oc_begin, int oc_end);

}  // namespace bnnkit::kernels
