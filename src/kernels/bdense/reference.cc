// The specification of binary dense: plain loops, no blocking. Every optimized variant must produce exactly
// what this produces.
#include "kernels/bdense/bdense.h"

#include <cstddef>

namespace bnnkit::kernels {

void bdense_reference(const BDenseArgs& a, int n_begin, int n_end, int oc_begin, int oc_end) {
  const int icw = words_for(a.ic);
  const int row_bytes = output_pixel_bytes(a.out.kind, a.oc);
  // Output channels go in chunks of one word starting at oc_begin, so the accumulators live on the stack and
  // bit-packed output (oc_begin % 64 == 0) is written a whole word at a time.
  int32_t acc[kWordBits];
  for (int b = n_begin; b < n_end; ++b) {
    const Word* s = a.src + static_cast<size_t>(b) * icw;
    auto* dst = static_cast<char*>(a.dst) + static_cast<size_t>(b) * row_bytes;
    for (int o = oc_begin; o < oc_end; ++o) {
      const Word* w = a.weights + static_cast<size_t>(o) * icw;
      int pc = 0;
      for (int k = 0; k < icw; ++k) pc += popcount(s[k] ^ w[k]);
      acc[(o - oc_begin) % kWordBits] = a.ic - 2 * pc;
      if ((o - oc_begin) % kWordBits == kWordBits - 1 || o == oc_end - 1) {
        const int c0 = o - (o - oc_begin) % kWordBits;
        write_output_range(a.out, acc, c0, o - c0 + 1, dst);
      }
    }
  }
}

}  // namespace bnnkit::kernels
