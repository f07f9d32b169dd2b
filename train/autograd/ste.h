// Straight-through estimators (STEs) and gates used by the binary layers.
//
// Every forward rule here is the exact function the engine evaluates (DESIGN.md, "Semantics that must hold
// bit-exactly"); the backward rule is the surrogate gradient of the papers' reference code (papers.md §1.3,
// §2.2).
//
//   SignSte        fwd: x >= 0 ? +1 : -1 (sign(0) = +1, never torch::sign)
//                  bwd: g * 1{|x| <= clip}; clip 1.0 is the classic clipped STE, 1.3 is FracBNN's FastSign.
//   QuantSign2Ste  fwd: the 2-bit fractional code, returned in integer units 3*x_q in {-3, -1, +1, +3}:
//                      q = floor((clamp(x, -1, 1) + 1) * 1.5 + 0.5)   (float32, ties round half up)
//                      value = 2*q - 3
//                  bwd: g * 3 * 1{-1 < x < 1}  (FracBNN QuantSign: gradient 1 on the open interval (-1, 1);
//                  the factor 3 is the chain rule of the integer units).
//   GateSte        fwd: G = 1{o > theta}  (float32 compare; equals sigmoid(alpha*(o - theta)) > 0.5 exactly
//   as
//                  the reference intends, without the sigmoid's rounding near 0)
//                  bwd: s = sigmoid(alpha*(o - theta)); dG/do = alpha*s*(1-s), dG/dtheta = -dG/do (summed
//                  over the broadcast dims); SparseGreaterThan (sparse = true) zeroes both where s < 0.5.
//   RoundSte       fwd: floor(x + 0.5); bwd: identity (PG's Round/Floor STE).
//
// The helpers quant2_code()/quant2_planes() give the integer code and its two +-1 planes without autograd.
#pragma once

#include <torch/torch.h>

namespace bnnkit::train {

namespace ag = torch::autograd;

// x >= 0 ? +1 : -1 as a float tensor of x's shape (no autograd).
torch::Tensor sign_pm1(const torch::Tensor& x);

struct SignSte : ag::Function<SignSte> {
  static torch::Tensor forward(ag::AutogradContext* ctx, torch::Tensor x, double clip);
  static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grad_out);
};

// Convenience: SignSte::apply(x, clip).
torch::Tensor sign_ste(const torch::Tensor& x, double clip = 1.0);

// q = floor((clamp(x,-1,1) + 1) * 1.5 + 0.5) clamped to [0, 3], as int64 (no autograd).
torch::Tensor quant2_code(const torch::Tensor& x);

struct QuantSign2Ste : ag::Function<QuantSign2Ste> {
  static torch::Tensor forward(ag::AutogradContext* ctx, torch::Tensor x);
  static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grad_out);
};

// 3 * x_q in {-3, -1, +1, +3} with the QuantSign STE.
torch::Tensor quant_sign2(const torch::Tensor& x);

struct GateSte : ag::Function<GateSte> {
  static torch::Tensor forward(ag::AutogradContext* ctx, torch::Tensor o, torch::Tensor theta, double alpha,
                               bool sparse);
  static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grad_out);
};

// G = 1{o > theta}; theta broadcasts against o (e.g. [1, C, 1, 1] against [N, C, H, W]).
torch::Tensor gate_ste(const torch::Tensor& o, const torch::Tensor& theta, double alpha = 5.0,
                       bool sparse = true);

struct RoundSte : ag::Function<RoundSte> {
  static torch::Tensor forward(ag::AutogradContext* ctx, torch::Tensor x);
  static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grad_out);
};

torch::Tensor round_ste(const torch::Tensor& x);

// Sums `g` down to `shape` (the inverse of broadcasting).
torch::Tensor sum_to_shape(const torch::Tensor& g, c10::IntArrayRef shape);

}  // namespace bnnkit::train
