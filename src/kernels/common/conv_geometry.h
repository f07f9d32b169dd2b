// Shape of a 2-D convolution or pooling window over an NHWC tensor (benchdnn letters: n ih iw ic oc kh kw sh
// sw ph pw). Padding is symmetric: ph rows above and below, pw columns left and right, as in PyTorch.
#pragma once

namespace bnnkit::kernels {

struct ConvGeometry {
  int n = 1, ih = 1, iw = 1, ic = 1, oc = 1;
  int kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;

  constexpr int oh() const { return (ih + 2 * ph - kh) / sh + 1; }
  constexpr int ow() const { return (iw + 2 * pw - kw) / sw + 1; }
  // Output rows over the batch: the unit kernels are sliced by for threading.
  constexpr int out_rows() const { return n * oh(); }
};

}  // namespace bnnkit::kernels
