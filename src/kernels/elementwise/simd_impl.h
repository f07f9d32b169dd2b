// The elementwise ops of elementwise.h written once over the vector traits of simd.h, for avx512_16.cc and
// avx2_8.cc: the loads, stores and loops here, each lane's formula from simd_ops.h (shared with the fused
// chain, fused/simd_steps.h). The reference's branches (t >= 0 ? t : t * slope, ...) are lane selects of
// both computed sides there, so the time no longer depends on the signs of the data.
#pragma once

#include "kernels/elementwise/elementwise.h"
#include "kernels/elementwise/simd.h"
#include "kernels/elementwise/simd_ops.h"

namespace bnnkit::kernels {
namespace {

template <class V>
void affine_simd(const AffineArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  // Parameters in locals, not read through `a` (here and below): the stores through dst could alias the args
  // struct, which would force a reload of each pointer per vector.
  const float *scale = a.scale, *bias = a.bias;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for_blocks<V>(ch, [&](int64_t c, auto m) {
      V::store(d + c, affine_vec<V>(V::load(s + c, m), V::load(scale + c, m), V::load(bias + c, m)), m);
    });
  }
}

template <class V>
void prelu_simd(const PReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  const float* slope = a.slope;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for_blocks<V>(ch, [&](int64_t c, auto m) {
      V::store(d + c, prelu_vec<V>(V::load(s + c, m), V::load(slope + c, m)), m);
    });
  }
}

template <class V>
void rprelu_simd(const RPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  const float *gamma = a.gamma, *slope = a.slope, *zeta = a.zeta;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for_blocks<V>(ch, [&](int64_t c, auto m) {
      const auto y = rprelu_vec<V>(V::load(s + c, m), V::load(gamma + c, m), V::load(slope + c, m),
                                   V::load(zeta + c, m));
      V::store(d + c, y, m);
    });
  }
}

template <class V>
void dprelu_simd(const DPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  const float *beta = a.beta, *eta_pos = a.eta_pos, *eta_neg = a.eta_neg, *gamma = a.gamma;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for_blocks<V>(ch, [&](int64_t c, auto m) {
      const auto y = dprelu_vec<V>(V::load(s + c, m), V::load(beta + c, m), V::load(eta_pos + c, m),
                                   V::load(eta_neg + c, m), V::load(gamma + c, m));
      V::store(d + c, y, m);
    });
  }
}

// The per-call constants as quant_uniform_reference computes them (in float), broadcast once.
template <class V>
void quant_uniform_simd(const QuantUniformArgs& a, int64_t row_begin, int64_t row_end) {
  const float lo = a.lo, hi = a.hi;
  const float range = hi - lo;
  const float levels = static_cast<float>((1 << a.bits) - 1);
  const float step = range / levels;
  const auto vlo = V::set1(lo), vhi = V::set1(hi), vrange = V::set1(range), vlevels = V::set1(levels),
             vstep = V::set1(step);
  const float* src = a.src;
  float* dst = a.dst;
  const bool codes = a.codes;
  const int64_t begin = row_begin * a.channels, end = row_end * a.channels;
  for_blocks<V>(end - begin, [&](int64_t i, auto m) {
    const auto y = quant_uniform_vec<V>(V::load(src + begin + i, m), vlo, vhi, vrange, vlevels, vstep, codes);
    V::store(dst + begin + i, y, m);
  });
}

// The flat range [begin, end) through f, one vector at a time (activation and add see no channels).
template <class V, class F>
inline void flat_map(const float* src, float* dst, int64_t begin, int64_t end, F f) {
  for_blocks<V>(end - begin, [&](int64_t i, auto m) {
    const int64_t k = begin + i;
    V::store(dst + k, f(V::load(src + k, m)), m);
  });
}

template <class V>
void activation_simd(const ActivationArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t begin = row_begin * a.channels, end = row_end * a.channels;
  switch (a.kind) {
    case Activation::kRelu:
      flat_map<V>(a.src, a.dst, begin, end, [](auto x) { return relu_vec<V>(x); });
      return;
    case Activation::kRelu6:
      flat_map<V>(a.src, a.dst, begin, end, [](auto x) { return relu6_vec<V>(x); });
      return;
    case Activation::kHardSigmoid:
      flat_map<V>(a.src, a.dst, begin, end, [](auto x) { return hard_sigmoid_vec<V>(x); });
      return;
    case Activation::kIdentity:
      break;
  }
  // Identity: a bit copy, as the reference's float assignment (nothing to do in place).
  if (a.dst != a.src) flat_map<V>(a.src, a.dst, begin, end, [](auto x) { return x; });
}

template <class V>
void add_simd(const AddArgs& a, int64_t begin, int64_t end) {
  const float *x = a.a, *y = a.b;
  float* dst = a.dst;
  for_blocks<V>(end - begin, [&](int64_t i, auto m) {
    const int64_t k = begin + i;
    V::store(dst + k, add_vec<V>(V::load(x + k, m), V::load(y + k, m)), m);
  });
}

template <class V>
void scale_channels_simd(const ScaleChannelsArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  // Image by image, so the gate row is found without a division per row.
  for (int64_t r = row_begin; r < row_end;) {
    const int64_t image = r / a.pixels;
    const int64_t image_end = (image + 1) * a.pixels < row_end ? (image + 1) * a.pixels : row_end;
    const float* g = a.scale + image * ch;
    for (; r < image_end; ++r) {
      const float* s = a.src + r * ch;
      float* d = a.dst + r * ch;
      for_blocks<V>(ch, [&](int64_t c, auto m) {
        V::store(d + c, scale_channels_vec<V>(V::load(s + c, m), V::load(g + c, m)), m);
      });
    }
  }
}

}  // namespace
}  // namespace bnnkit::kernels
