// The specification of the float dense layer (see dense.h for the math and the evaluation order).
#include <cstddef>

#include "kernels/dense/dense.h"

namespace bnnkit::kernels {

void dense_reference(const DenseArgs& a, int n_begin, int n_end) {
  for (int b = n_begin; b < n_end; ++b) {
    const float* s = a.src + static_cast<size_t>(b) * a.ic;
    float* dst = a.dst + static_cast<size_t>(b) * a.oc;
    for (int o = 0; o < a.oc; ++o) {
      const float* w = a.weights + static_cast<size_t>(o) * a.ic;
      float acc = 0.0f;
      for (int k = 0; k < a.ic; ++k) {
        const float p = s[k] * w[k];
        acc = acc + p;
      }
      dst[o] = a.bias != nullptr ? acc + a.bias[o] : acc;
    }
  }
}

}  // namespace bnnkit::kernels
