// Branch-free scalar versions of the ops with a select (the PReLU family and the activations), for CPUs and
// ISA caps without the vector variants. GCC compiles the reference's float `t >= 0 ? t : t * slope` to a
// conditional jump, which mispredicts about half the time on random signs (~2 ns per element); here both
// sides are computed and the result is picked with integer masks, the same value bit for bit.
#include <bit>
#include <cstdint>

#include "kernels/elementwise/variants.h"

namespace bnnkit::kernels::elementwise_detail {
namespace {

// c ? a : b as a bit-select.
inline float pick(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}

template <class F>
void flat_map(const float* src, float* dst, int64_t begin, int64_t end, F f) {
  for (int64_t i = begin; i < end; ++i) dst[i] = f(src[i]);
}

}  // namespace

void portable_bitselect_prelu(const PReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) {
      const float x = s[c];
      d[c] = pick(x >= 0.0f, x, x * a.slope[c]);
    }
  }
}

void portable_bitselect_rprelu(const RPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) {
      const float t = s[c] - a.gamma[c];
      const float u = pick(t >= 0.0f, t, t * a.slope[c]);
      d[c] = u + a.zeta[c];
    }
  }
}

void portable_bitselect_dprelu(const DPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for (int64_t c = 0; c < ch; ++c) {
      const float t = s[c] - a.beta[c];
      const float p = pick(t >= 0.0f, a.eta_pos[c], a.eta_neg[c]) * t;
      d[c] = p - a.gamma[c];
    }
  }
}

void portable_bitselect_activation(const ActivationArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t begin = row_begin * a.channels, end = row_end * a.channels;
  switch (a.kind) {
    case Activation::kRelu:
      flat_map(a.src, a.dst, begin, end, [](float x) { return pick(x < 0.0f, 0.0f, x); });
      return;
    case Activation::kRelu6:
      flat_map(a.src, a.dst, begin, end,
               [](float x) { return pick(x < 0.0f, 0.0f, pick(x > 6.0f, 6.0f, x)); });
      return;
    case Activation::kHardSigmoid:
      flat_map(a.src, a.dst, begin, end, [](float x) {
        float t = x + 3.0f;
        t = pick(t < 0.0f, 0.0f, t);
        t = pick(t > 6.0f, 6.0f, t);
        return t / 6.0f;
      });
      return;
    case Activation::kIdentity:
      break;
  }
  if (a.dst != a.src) flat_map(a.src, a.dst, begin, end, [](float x) { return x; });
}

}  // namespace bnnkit::kernels::elementwise_detail
