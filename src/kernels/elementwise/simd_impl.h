// The elementwise ops of elementwise.h written once over the vector traits of simd.h, for avx512_16.cc and
// avx2_8.cc. Each lane does the reference's operations in the reference's order; the reference's branches
// (t >= 0 ? t : t * slope, ...) become a compare and a lane select of both computed sides, so the time no
// longer depends on the signs of the data. Compares are ordered (false for NaN), so NaN takes the same side
// as in the reference.
#pragma once

#include "kernels/elementwise/elementwise.h"
#include "kernels/elementwise/simd.h"

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
      const auto p = V::mul(V::load(s + c, m), V::load(scale + c, m));
      V::store(d + c, V::add(p, V::load(bias + c, m)), m);
    });
  }
}

template <class V>
void prelu_simd(const PReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  const float* slope = a.slope;
  const auto zero = V::set1(0.0f);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for_blocks<V>(ch, [&](int64_t c, auto m) {
      const auto x = V::load(s + c, m);
      V::store(d + c, V::select(V::ge(x, zero), x, V::mul(x, V::load(slope + c, m))), m);
    });
  }
}

template <class V>
void rprelu_simd(const RPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  const float *gamma = a.gamma, *slope = a.slope, *zeta = a.zeta;
  const auto zero = V::set1(0.0f);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for_blocks<V>(ch, [&](int64_t c, auto m) {
      const auto t = V::sub(V::load(s + c, m), V::load(gamma + c, m));
      const auto u = V::select(V::ge(t, zero), t, V::mul(t, V::load(slope + c, m)));
      V::store(d + c, V::add(u, V::load(zeta + c, m)), m);
    });
  }
}

template <class V>
void dprelu_simd(const DPReluArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t ch = a.channels;
  const float *beta = a.beta, *eta_pos = a.eta_pos, *eta_neg = a.eta_neg, *gamma = a.gamma;
  const auto zero = V::set1(0.0f);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* s = a.src + r * ch;
    float* d = a.dst + r * ch;
    for_blocks<V>(ch, [&](int64_t c, auto m) {
      const auto t = V::sub(V::load(s + c, m), V::load(beta + c, m));
      const auto eta = V::select(V::ge(t, zero), V::load(eta_pos + c, m), V::load(eta_neg + c, m));
      V::store(d + c, V::sub(V::mul(eta, t), V::load(gamma + c, m)), m);
    });
  }
}

// quant_uniform_reference's expression lane by lane: clamp by two ordered compares (NaN stays NaN, as there),
// then the same division, multiply, floor(v + 0.5), multiply and add.
template <class V>
void quant_uniform_simd(const QuantUniformArgs& a, int64_t row_begin, int64_t row_end) {
  const float lo = a.lo, hi = a.hi;
  const float range = hi - lo;
  const float levels = static_cast<float>((1 << a.bits) - 1);
  const float step = range / levels;
  const auto vlo = V::set1(lo), vhi = V::set1(hi), vrange = V::set1(range), vlevels = V::set1(levels),
             vstep = V::set1(step), half = V::set1(0.5f);
  const float* src = a.src;
  float* dst = a.dst;
  const bool codes = a.codes;
  const int64_t begin = row_begin * a.channels, end = row_end * a.channels;
  for_blocks<V>(end - begin, [&](int64_t i, auto m) {
    const auto x = V::load(src + begin + i, m);
    const auto xc = V::select(V::lt(x, vlo), vlo, V::select(V::gt(x, vhi), vhi, x));
    const auto v = V::mul(V::div(V::sub(xc, vlo), vrange), vlevels);
    const auto q = V::floor(V::add(v, half));
    V::store(dst + begin + i, codes ? V::sub(V::add(q, q), vlevels) : V::add(vlo, V::mul(q, vstep)), m);
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
  const auto zero = V::set1(0.0f), three = V::set1(3.0f), six = V::set1(6.0f);
  switch (a.kind) {
    case Activation::kRelu:
      flat_map<V>(a.src, a.dst, begin, end, [&](auto x) { return V::select(V::lt(x, zero), zero, x); });
      return;
    case Activation::kRelu6:
      flat_map<V>(a.src, a.dst, begin, end,
                  [&](auto x) { return V::select(V::lt(x, zero), zero, V::select(V::gt(x, six), six, x)); });
      return;
    case Activation::kHardSigmoid:
      flat_map<V>(a.src, a.dst, begin, end, [&](auto x) {
        auto t = V::add(x, three);
        t = V::select(V::lt(t, zero), zero, t);
        t = V::select(V::gt(t, six), six, t);
        return V::div(t, six);
      });
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
    V::store(dst + k, V::add(V::load(x + k, m), V::load(y + k, m)), m);
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
      for_blocks<V>(
          ch, [&](int64_t c, auto m) { V::store(d + c, V::mul(V::load(s + c, m), V::load(g + c, m)), m); });
    }
  }
}

}  // namespace
}  // namespace bnnkit::kernels
