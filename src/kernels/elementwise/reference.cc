// The specification of the float elementwise ops (see elementwise.h for the formulas, the evaluation order
// and the NaN rules). Every optimized variant must produce exactly what this produces.
#include <cmath>

#include "kernels/elementwise/elementwise.h"

namespace bnnkit::kernels {

void affine_reference(const AffineArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) {
      const float p = s[c] * a.scale[c];
      d[c] = p + a.bias[c];
    }
  }
}

void prelu_reference(const PReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) {
      const float x = s[c];
      d[c] = x >= 0.0f ? x : x * a.slope[c];
    }
  }
}

void rprelu_reference(const RPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) {
      const float t = s[c] - a.gamma[c];
      const float u = t >= 0.0f ? t : t * a.slope[c];
      d[c] = u + a.zeta[c];
    }
  }
}

void dprelu_reference(const DPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) {
      const float t = s[c] - a.beta[c];
      const float p = (t >= 0.0f ? a.eta_pos[c] : a.eta_neg[c]) * t;
      d[c] = p - a.gamma[c];
    }
  }
}

namespace {

inline float apply_activation(Activation kind, float x) {
  switch (kind) {
    case Activation::kRelu:
      return x < 0.0f ? 0.0f : x;
    case Activation::kRelu6:
      return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case Activation::kHardSigmoid: {
      float t = x + 3.0f;
      t = t < 0.0f ? 0.0f : t;
      t = t > 6.0f ? 6.0f : t;
      return t / 6.0f;
    }
    case Activation::kIdentity:
      break;
  }
  return x;
}

}  // namespace

void activation_reference(const ActivationArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t i = row_begin * ch; i < row_end * ch; ++i) a.dst[i] = apply_activation(a.kind, a.src[i]);
}

void add_reference(const AddArgs& a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) a.dst[i] = a.a[i] + a.b[i];
}

void scale_channels_reference(const ScaleChannelsArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    const float* g = a.scale + (r / a.pixels) * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) d[c] = s[c] * g[c];
  }
}

void quant_uniform_reference(const QuantUniformArgs& a, int64_t row_begin, int64_t row_end) {
  const float lo = a.lo, hi = a.hi;
  const float range = hi - lo;
  const float levels = static_cast<float>((1 << a.bits) - 1);
  const float step = range / levels;
  const int64_t ch = a.channels;
  for (int64_t i = row_begin * ch; i < row_end * ch; ++i) {
    const float x = a.src[i];
    const float xc = x < lo ? lo : (x > hi ? hi : x);
    const float u = (xc - lo) / range;
    const float v = u * levels;
    const float q = std::floor(v + 0.5f);
    if (a.codes) {
      a.dst[i] = 2.0f * q - levels;  // exact: |2q| <= 2^17
      continue;
    }
    const float qs = q * step;
    a.dst[i] = lo + qs;
  }
}

}  // namespace bnnkit::kernels
