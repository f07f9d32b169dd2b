// The one copy of each float elementwise op's lane formula over the vector traits of simd.h, shared by the
// whole-row kernels (elementwise/simd_impl.h) and the fused chain's register steps (fused/simd_steps.h), so
// the two stay bit-identical to each other and to reference.cc by construction.
//
// Each function does the reference's operations in the reference's order, one IEEE rounding per V::add /
// V::sub / V::mul / V::div (the build passes -ffp-contract=off, so a mul followed by an add is never fused
// into an FMA). The reference's branches become an ordered compare (false for NaN, so NaN takes the same
// side as there) and a lane select of both computed sides. Operands are in the reference's order; with two
// NaN operands the payload is unspecified anyway (the compiler may swap commutative operands, elementwise.h).
//
// Only the lane arithmetic lives here; loads, stores and loops stay with the callers. Constants such as
// V::set1(0.0f) are folded and hoisted out of the callers' loops once these are inlined.
//
// In an anonymous namespace: compiled once per ISA (see simd.h).
#pragma once

#include "kernels/elementwise/simd.h"

namespace bnnkit::kernels {
namespace {

// affine: p = x * scale; p + bias (two roundings).
template <class V>
[[gnu::always_inline]] inline typename V::Reg affine_vec(typename V::Reg x, typename V::Reg scale,
                                                         typename V::Reg bias) {
  return V::add(V::mul(x, scale), bias);
}

// prelu: x >= 0 ? x : x * slope.
template <class V>
[[gnu::always_inline]] inline typename V::Reg prelu_vec(typename V::Reg x, typename V::Reg slope) {
  return V::select(V::ge(x, V::set1(0.0f)), x, V::mul(x, slope));
}

// rprelu: t = x - gamma; u = t >= 0 ? t : t * slope; u + zeta.
template <class V>
[[gnu::always_inline]] inline typename V::Reg rprelu_vec(typename V::Reg x, typename V::Reg gamma,
                                                         typename V::Reg slope, typename V::Reg zeta) {
  const auto t = V::sub(x, gamma);
  const auto u = V::select(V::ge(t, V::set1(0.0f)), t, V::mul(t, slope));
  return V::add(u, zeta);
}

// dprelu: t = x - beta; p = (t >= 0 ? eta_pos : eta_neg) * t; p - gamma.
template <class V>
[[gnu::always_inline]] inline typename V::Reg dprelu_vec(typename V::Reg x, typename V::Reg beta,
                                                         typename V::Reg eta_pos, typename V::Reg eta_neg,
                                                         typename V::Reg gamma) {
  const auto t = V::sub(x, beta);
  const auto eta = V::select(V::ge(t, V::set1(0.0f)), eta_pos, eta_neg);
  return V::sub(V::mul(eta, t), gamma);
}

// The activations, one function per kind: the callers switch on the kind once, outside their loops.
// relu: x < 0 ? 0 : x (NaN and -0 pass through).
template <class V>
[[gnu::always_inline]] inline typename V::Reg relu_vec(typename V::Reg x) {
  const auto zero = V::set1(0.0f);
  return V::select(V::lt(x, zero), zero, x);
}

// relu6: x < 0 ? 0 : (x > 6 ? 6 : x).
template <class V>
[[gnu::always_inline]] inline typename V::Reg relu6_vec(typename V::Reg x) {
  const auto zero = V::set1(0.0f), six = V::set1(6.0f);
  return V::select(V::lt(x, zero), zero, V::select(V::gt(x, six), six, x));
}

// hard sigmoid: t = x + 3; t = t < 0 ? 0 : t; t = t > 6 ? 6 : t; t / 6 (a division, not * (1/6)).
template <class V>
[[gnu::always_inline]] inline typename V::Reg hard_sigmoid_vec(typename V::Reg x) {
  const auto zero = V::set1(0.0f), six = V::set1(6.0f);
  auto t = V::add(x, V::set1(3.0f));
  t = V::select(V::lt(t, zero), zero, t);
  t = V::select(V::gt(t, six), six, t);
  return V::div(t, six);
}

// add: a + b.
template <class V>
[[gnu::always_inline]] inline typename V::Reg add_vec(typename V::Reg a, typename V::Reg b) {
  return V::add(a, b);
}

// scale_channels: x * gate.
template <class V>
[[gnu::always_inline]] inline typename V::Reg scale_channels_vec(typename V::Reg x, typename V::Reg gate) {
  return V::mul(x, gate);
}

// quant_uniform, with the caller's per-call constants broadcast (range = hi - lo, levels = 2^bits - 1,
// step = range / levels, all computed in float as the reference does):
//   xc = x < lo ? lo : (x > hi ? hi : x)   (NaN stays NaN)
//   q = floor((xc - lo) / range * levels + 0.5)
//   codes ? 2q - levels (as q + q: exact, the same value) : lo + q * step.
template <class V>
[[gnu::always_inline]] inline typename V::Reg quant_uniform_vec(typename V::Reg x, typename V::Reg lo,
                                                                typename V::Reg hi, typename V::Reg range,
                                                                typename V::Reg levels, typename V::Reg step,
                                                                bool codes) {
  const auto xc = V::select(V::lt(x, lo), lo, V::select(V::gt(x, hi), hi, x));
  const auto v = V::mul(V::div(V::sub(xc, lo), range), levels);
  const auto q = V::floor(V::add(v, V::set1(0.5f)));
  return codes ? V::sub(V::add(q, q), levels) : V::add(lo, V::mul(q, step));
}

}  // namespace
}  // namespace bnnkit::kernels
