// Layer semantics: exact integer forwards (thermometer, binary conv with both paddings, fractional conv),
// BN folding, and gradients (finite differences on the real-valued parts, the documented STEs elsewhere).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "train/autograd/ste.h"
#include "train/nn/activations.h"
#include "train/nn/batch_norm.h"
#include "train/nn/binary_conv2d.h"
#include "train/nn/binary_dense.h"
#include "train/nn/frac_conv2d.h"
#include "train/nn/pg_conv2d.h"
#include "train/nn/thermometer.h"

namespace bnnkit::train {
namespace {

namespace F = torch::nn::functional;

TEST(Thermometer, MatchesIntegerFormulaForEveryPixel) {
  const auto p = torch::arange(256, torch::kInt32).to(torch::kUInt8).view({1, 1, 16, 16});
  for (int64_t levels : {1, 2, 4, 32, 256}) {
    Thermometer t(ThermometerOptions().levels(levels));
    const auto out = t->forward(p);
    ASSERT_EQ(out.size(1), levels);
    const int64_t res = 256 / levels;
    for (int v = 0; v < 256; ++v) {
      const int64_t n = (v + res / 2) / res;
      for (int64_t i = 0; i < levels; ++i) {
        const float expect = i < n ? 1.0f : -1.0f;
        ASSERT_EQ(out[0][i][v / 16][v % 16].item<float>(), expect)
            << "p " << v << " level " << i << "/" << levels;
      }
    }
  }
  // Channel c*levels + i for multi-channel input.
  const auto rgb = torch::tensor({0, 128, 255}, torch::kUInt8).view({1, 3, 1, 1});
  const auto o = Thermometer(ThermometerOptions().levels(4))->forward(rgb).flatten();
  EXPECT_TRUE(
      torch::equal(o, torch::tensor({-1.f, -1.f, -1.f, -1.f, 1.f, 1.f, -1.f, -1.f, 1.f, 1.f, 1.f, 1.f})));
}

torch::Tensor random_pm1(std::vector<int64_t> shape) {
  return sign_pm1(torch::randn(shape));
}

TEST(BinaryConv2d, ZeroAndOnePaddingAreExactIntegers) {
  torch::manual_seed(1);
  const auto x = random_pm1({2, 5, 7, 6});
  for (PadMode mode : {PadMode::kZero, PadMode::kOne}) {
    BinaryConv2d conv(BinaryConv2dOptions(5, 4, 3).stride(2).padding(1).padding_mode(mode));
    const auto y = conv->forward(x);
    const auto wb = sign_pm1(conv->weight.detach());
    // Explicit padding with 0 or +1, then a valid convolution in double.
    const double v = mode == PadMode::kOne ? 1.0 : 0.0;
    const auto xp = F::pad(x.to(torch::kFloat64), F::PadFuncOptions({1, 1, 1, 1}).value(v));
    const auto ref = F::conv2d(xp, wb.to(torch::kFloat64), F::Conv2dFuncOptions().stride(2));
    EXPECT_TRUE(torch::equal(y.to(torch::kFloat64), ref)) << (mode == PadMode::kOne ? "one" : "zero");
    EXPECT_TRUE(torch::equal(y, y.round()));
  }
}

TEST(BinaryConv2d, WeightGradientIsClippedSte) {
  torch::manual_seed(2);
  BinaryConv2d conv(BinaryConv2dOptions(3, 2, 3).padding(1).weight_clip(1.0));
  {
    torch::NoGradGuard g;
    conv->weight.mul_(8.0);  // push some latent weights outside [-1, 1]
  }
  const auto x = random_pm1({1, 3, 5, 5});
  conv->forward(x).sum().backward();
  // d/dW of sum(conv(x, sign W)) = conv-weight-gradient of ones, masked by |W| <= 1.
  auto wref = sign_pm1(conv->weight.detach()).requires_grad_(true);
  F::conv2d(x, wref, F::Conv2dFuncOptions().padding(1)).sum().backward();
  const auto mask = (conv->weight.detach().abs() <= 1.0).to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(conv->weight.grad(), wref.grad() * mask));
  EXPECT_GT(mask.sum().item<float>(), 0);
  EXPECT_LT(mask.sum().item<float>(), mask.numel());
}

TEST(BinaryDense, ExactAndAlphaFoldsIntoBatchNorm) {
  torch::manual_seed(3);
  BinaryDense d(BinaryDenseOptions(70, 5).scale(WeightScale::kMeanAbs));
  BatchNorm bn(5);
  const auto x = random_pm1({8, 70});
  d->train();
  bn->train();
  for (int i = 0; i < 3; ++i) bn->forward_scaled(d->forward_acc(x), d->alpha());
  bn->eval();
  const auto acc = d->forward_acc(x);
  EXPECT_TRUE(torch::equal(acc, torch::mm(x, sign_pm1(d->weight.detach()).t())));
  // Eval: BN(acc * alpha) == acc * scale + bias with alpha folded, to float rounding.
  const auto via_alpha =
      (acc * d->alpha().view({1, -1}) - bn->running_mean) / (bn->running_var + 1e-5).sqrt();
  const auto ref = via_alpha * bn->weight + bn->bias;
  EXPECT_TRUE(torch::allclose(bn->forward_scaled(acc, d->alpha()), ref, 1e-4, 1e-4));
}

TEST(BatchNorm, EvalIsFoldedAffineBitExact) {
  torch::manual_seed(4);
  BatchNorm bn(6);
  {
    torch::NoGradGuard g;
    bn->weight.copy_(torch::randn({6}));
    bn->bias.copy_(torch::randn({6}));
    bn->running_mean.copy_(torch::randn({6}) * 10);
    bn->running_var.copy_(torch::rand({6}) * 5 + 0.1);
  }
  bn->eval();
  const auto x = torch::randint(-50, 50, {3, 6, 4, 4}).to(torch::kFloat32);
  const auto y = bn->forward(x);
  // The exporter's arithmetic: scale/bias computed once, then prod = acc * scale; y = prod + bias per
  // element.
  auto [scale, bias] = bn->folded();
  auto xa = x.accessor<float, 4>();
  auto ya = y.accessor<float, 4>();
  for (int n = 0; n < 3; ++n)
    for (int c = 0; c < 6; ++c)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const float prod = xa[n][c][i][j] * scale[c].item<float>();
          ASSERT_EQ(ya[n][c][i][j], prod + bias[c].item<float>());
        }
  // Training mode equals torch's batch norm.
  bn->train();
  auto rm = torch::zeros({6}), rv = torch::ones({6});
  BatchNorm fresh(6);
  fresh->train();
  const auto ref = torch::batch_norm(x, fresh->weight, fresh->bias, rm, rv, true, 0.1, 1e-5, false);
  EXPECT_TRUE(torch::allclose(fresh->forward(x), ref));
}

TEST(RPReLU, FiniteDifferences) {
  torch::manual_seed(5);
  RPReLU act(4);
  act->to(torch::kFloat64);
  {
    torch::NoGradGuard g;
    act->shift_in.copy_(torch::randn({4}, torch::kFloat64) * 0.3);
    act->shift_out.copy_(torch::randn({4}, torch::kFloat64) * 0.3);
    act->slope.copy_(torch::rand({4}, torch::kFloat64));
  }
  auto x = torch::randn({2, 4, 3, 3}, torch::kFloat64).requires_grad_(true);
  const auto w = torch::randn({2, 4, 3, 3}, torch::kFloat64);
  (act->forward(x) * w).sum().backward();
  const double h = 1e-6;
  auto loss = [&]() { return (act->forward(x) * w).sum().item<double>(); };
  for (auto* p : {&act->shift_in, &act->slope, &act->shift_out}) {
    const auto grad = p->grad().clone();
    for (int64_t c = 0; c < 4; ++c) {
      torch::NoGradGuard g;
      const double v = (*p)[c].item<double>();
      (*p)[c] = v + h;
      const double up = loss();
      (*p)[c] = v - h;
      const double dn = loss();
      (*p)[c] = v;
      EXPECT_NEAR(grad[c].item<double>(), (up - dn) / (2 * h), 1e-5);
    }
  }
  // Forward: t = x - gamma; t >= 0 ? t : t * a; + zeta.
  const auto t = x.detach() - act->shift_in.view({1, -1, 1, 1});
  const auto ref =
      torch::where(t >= 0, t, t * act->slope.view({1, -1, 1, 1})) + act->shift_out.view({1, -1, 1, 1});
  EXPECT_TRUE(torch::equal(act->forward(x).detach(), ref.detach()));
}

// The reference code's fractional conv (papers.md §2.2) in x_q units, written directly from its formulas.
torch::Tensor reference_frac(const torch::Tensor& xq, const torch::Tensor& weight, const torch::Tensor& theta,
                             bool sparse) {
  const auto wb = sign_ste(weight, 1.3);
  const auto msb = sign_ste(xq, 1.3);  // FastSign; |x_q| <= 1 so its gradient is 1
  const auto o_msb = F::conv2d(msb, wb, F::Conv2dFuncOptions().padding(1)) * (2.0 / 3.0);
  const auto o_full = F::conv2d(xq, wb, F::Conv2dFuncOptions().padding(1));
  const auto g = gate_ste(o_msb, theta.view({1, -1, 1, 1}), 5.0, sparse);
  return (1 - g) * o_msb + g * o_full;
}

TEST(FracConv2d, AccumulatorIsEngineIntegerAndGradientsMatchReference) {
  torch::manual_seed(6);
  for (bool sparse : {false, true}) {
    FracConv2d conv(FracConv2dOptions(6, 5, 3).padding(1).sparse_bp(sparse).theta_init(0.0));
    {
      torch::NoGradGuard g;
      conv->theta.copy_(torch::randn({5}) * 3);
    }
    conv->set_record(true);
    const auto x = torch::rand({2, 6, 5, 5}) * 2.4 - 1.2;
    auto x1 = x.clone().requires_grad_(true);
    const auto acc = conv->forward(quant_sign2(x1));
    // Engine arithmetic from the two planes.
    const auto code = quant2_code(x);
    const auto msb = torch::where(code >= 2, 1.0f, -1.0f).to(torch::kFloat32);
    const auto lsb = torch::where(code.remainder(2) == 1, 1.0f, -1.0f).to(torch::kFloat32);
    const auto wb = sign_pm1(conv->weight.detach());
    const auto d_msb = F::conv2d(msb, wb, F::Conv2dFuncOptions().padding(1));
    const auto d_lsb = F::conv2d(lsb, wb, F::Conv2dFuncOptions().padding(1));
    const auto open = (d_msb * kTwoThirds > conv->theta.detach().view({1, -1, 1, 1})).to(torch::kFloat32);
    EXPECT_TRUE(torch::equal(acc.detach(), d_msb * 2 + open * d_lsb));
    EXPECT_TRUE(torch::equal(conv->last_d_msb, d_msb));
    const double density = open.mean().item<double>();
    EXPECT_GT(density, 0.05);
    EXPECT_LT(density, 0.95);
    // Gradients: 3 * reference output (integer units) has the same gradients w.r.t. x, W and theta.
    const auto w = torch::randn(acc.sizes());
    (acc * w).sum().backward();
    auto x2 = x.clone().requires_grad_(true);
    auto weight2 = conv->weight.detach().clone().requires_grad_(true);
    auto theta2 = conv->theta.detach().clone().requires_grad_(true);
    const auto out_ref = reference_frac(quant_sign2(x2) / 3.0, weight2, theta2, sparse) * 3.0;
    EXPECT_TRUE(torch::allclose(acc.detach(), out_ref.detach(), 1e-4, 1e-4));
    (out_ref * w).sum().backward();
    EXPECT_TRUE(torch::allclose(x1.grad(), x2.grad(), 1e-4, 1e-4)) << "sparse " << sparse;
    EXPECT_TRUE(torch::allclose(conv->weight.grad(), weight2.grad(), 1e-3, 1e-3)) << "sparse " << sparse;
    EXPECT_TRUE(torch::allclose(conv->theta.grad(), theta2.grad(), 1e-3, 1e-3)) << "sparse " << sparse;
  }
}

TEST(FracConv2d, OnePaddingPadsBothPlanesWithPlusOne) {
  torch::manual_seed(7);
  FracConv2d conv(FracConv2dOptions(3, 2, 3).padding(1).padding_mode(PadMode::kOne).theta_init(-1e9));
  const auto x = torch::rand({1, 3, 4, 4}) * 2 - 1;
  const auto acc = conv->forward(quant_sign2(x));  // all gates open: acc = conv(3 * x_q padded with +3)
  const auto x3 = F::pad(quant_sign2(x), F::PadFuncOptions({1, 1, 1, 1}).value(3.0));
  EXPECT_TRUE(torch::equal(acc.detach(), F::conv2d(x3, sign_pm1(conv->weight.detach()))));
}

TEST(PGConv2d, ForwardSplitAndPenalty) {
  torch::manual_seed(8);
  PGConv2d pg(PGConv2dOptions(4, 3, 3).padding(1).abits(3).hbits(2).wbits(32));
  {
    torch::NoGradGuard g;
    pg->delta.copy_(torch::tensor({-0.5f, 0.0f, 0.5f}));
  }
  auto x = torch::randn({2, 4, 5, 5}).requires_grad_(true);
  const auto y = pg->forward(x);
  // Recompute with the formulas.
  const auto s = x.detach().abs().max() + 1e-7;
  const auto q = torch::floor(torch::clamp(x.detach().abs() / s, 0, 1) * 7 + 0.5);
  const auto qh = torch::floor(q / 2) * 2;
  const auto sg = torch::sign(x.detach());
  const auto xq = sg * s * q / 7, xh = sg * s * qh / 7;
  const auto ohb = F::conv2d(xh, pg->weight.detach(), F::Conv2dFuncOptions().padding(1));
  const auto olb = F::conv2d(xq - xh, pg->weight.detach(), F::Conv2dFuncOptions().padding(1));
  const auto g = (ohb > pg->delta.detach().view({1, -1, 1, 1})).to(torch::kFloat32);
  EXPECT_TRUE(torch::allclose(y.detach(), ohb + g * olb, 1e-5, 1e-5));
  const auto pen = pg->penalty(1.0);
  EXPECT_NEAR(pen.item<float>(), std::sqrt(1.5f * 1.5f + 1.0f + 0.25f), 1e-5);
  (y.sum() + pen).backward();
  EXPECT_TRUE(pg->delta.grad().defined());
  EXPECT_TRUE(x.grad().defined());
  EXPECT_GT(pg->weight.grad().abs().sum().item<float>(), 0);
}

}  // namespace
}  // namespace bnnkit::train
