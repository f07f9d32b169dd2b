// Softmax and argmax over the last dimension of a [rows][cols] float tensor: the classifier output.
//
// softmax, per row, each operation rounded to float (the build uses -ffp-contract=off):
//   m   = max_i x[i]                  (m = x[0], then m = x[i] > m ? x[i] : m for i = 1, 2, ...)
//   e_i = expf(x[i] - m)              (std::exp on float; its last bit is the C library's, so results are
//                                      reproducible on one platform, not across C libraries)
//   sum = 0.0f;  sum = sum + e_i  for i = 0, 1, ..., cols - 1
//   y_i = e_i / sum                   (one float division)
// A row holding a NaN or +inf, or only -inf values, gives NaN in every output of the row (the NaN reaches
// e_i, hence sum; or +inf - +inf / -inf - -inf is NaN). A -inf next to a finite maximum gives 0.
//
// argmax, per row: the index of the first maximum (ties go to the lowest index; -0.0 and +0.0 tie). A NaN
// counts as larger than every number, so the first NaN wins (as torch.argmax and numpy.argmax). Output int32.
//
// Preconditions: cols >= 1. softmax may run in place (dst == src); argmax's dst is [rows].
#pragma once

#include <cstdint>

namespace bnnkit::kernels {

struct SoftmaxArgs {
  int64_t cols = 1;
  const float* src = nullptr;  // [rows][cols]
  float* dst = nullptr;        // [rows][cols]
};

struct ArgmaxArgs {
  int64_t cols = 1;
  const float* src = nullptr;  // [rows][cols]
  int32_t* dst = nullptr;      // [rows]
};

// Each computes rows [row_begin, row_end). Never allocate.
void softmax_reference(const SoftmaxArgs& a, int64_t row_begin, int64_t row_end);
void argmax_reference(const ArgmaxArgs& a, int64_t row_begin, int64_t row_end);

}  // namespace bnnkit::kernels
