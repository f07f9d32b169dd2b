// Float fully connected layer: the classifier heads (FracBNN's FC 64->10 / 1024->1000, PokeBNN's Dense after
// the global mean) and the SE projections when run as dense layers.
//
//   acc = 0.0f
//   for k in [0, ic)                                   (this order, nothing reassociated)
//     acc = acc + src[b][k] * w[o][k]                  (one float multiply, rounded, then one float add)
//   dst[b][o] = bias ? acc + bias[o] : acc             (bias added last)
//
// The build uses -ffp-contract=off, so there is no FMA. Preconditions: n, ic, oc >= 1 (ic = 0 gives acc = 0);
// dst does not overlap src, weights or bias. This is also exactly a 1x1 conv2d over n images of 1 x 1 pixel
// (conv2d.h; tested), which is how the session runs Dense layers: through the float conv2d variants.
#pragma once

namespace bnnkit::kernels {

struct DenseArgs {
  int n = 1, ic = 1, oc = 1;
  const float* src = nullptr;      // [n][ic]
  const float* weights = nullptr;  // [oc][ic]
  const float* bias = nullptr;     // [oc], or nullptr for no bias
  float* dst = nullptr;            // [n][oc]
};

// Computes the rows [n_begin, n_end) of the n batch rows. Never allocates.
void dense_reference(const DenseArgs& a, int n_begin, int n_end);

}  // namespace bnnkit::kernels
