// The specification of softmax and argmax (see softmax.h for the evaluation order and the NaN rules).
#include <cmath>

#include "kernels/softmax/softmax.h"

namespace bnnkit::kernels {

void softmax_reference(const SoftmaxArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t cols = a.cols;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * cols;
    float* d = a.dst + r * cols;
    float m = s[0];
    for (int64_t i = 1; i < cols; ++i)
      if (s[i] > m) m = s[i];
    float sum = 0.0f;
    for (int64_t i = 0; i < cols; ++i) {
      const float e = std::exp(s[i] - m);
      d[i] = e;
      sum = sum + e;
    }
    for (int64_t i = 0; i < cols; ++i) d[i] = d[i] / sum;
  }
}

void argmax_reference(const ArgmaxArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t cols = a.cols;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * cols;
    int64_t best = 0;
    float m = s[0];
    for (int64_t i = 1; i < cols && !std::isnan(m); ++i) {
      const float v = s[i];
      if (v > m || std::isnan(v)) {
        m = v;
        best = i;
      }
    }
    a.dst[r] = static_cast<int32_t>(best);
  }
}

}  // namespace bnnkit::kernels
