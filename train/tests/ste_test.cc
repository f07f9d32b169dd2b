// STE and gate gradients: forward values exact, backward equal to the documented surrogate formulas
// (papers.md §1.3, §2.2), and finite differences on the real-valued parts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "train/autograd/ste.h"

namespace bnnkit::train {
namespace {

TEST(SignSte, ForwardZeroIsPlusOne) {
  const auto x = torch::tensor({-2.0f, -0.0f, 0.0f, 1e-30f, -1e-30f, 3.0f});
  const auto y = sign_ste(x, 1.0);
  EXPECT_TRUE(torch::equal(y, torch::tensor({-1.0f, 1.0f, 1.0f, 1.0f, -1.0f, 1.0f})));
}

TEST(SignSte, BackwardClipped) {
  for (double clip : {1.0, 1.3}) {
    auto x =
        torch::tensor({-1.5f, -1.3f, -1.0f, -0.5f, 0.0f, 0.9f, 1.0f, 1.2f, 1.3f, 1.31f}).requires_grad_(true);
    const auto g = torch::arange(1, 11).to(torch::kFloat32);
    (sign_ste(x, clip) * g).sum().backward();
    const auto expect = g * (x.detach().abs() <= clip).to(torch::kFloat32);
    EXPECT_TRUE(torch::equal(x.grad(), expect)) << "clip " << clip;
  }
}

TEST(QuantSign2, CodesAndTies) {
  // (x+1)*1.5 + 0.5 floored: ties at x = -2/3, 0, +2/3 round half up.
  const auto x =
      torch::tensor({-5.0f, -1.0f, -0.7f, -2.0f / 3.0f, -0.2f, 0.0f, 0.3f, 2.0f / 3.0f, 0.9f, 7.0f});
  const auto q = quant2_code(x);
  // Each value computed the engine's way in plain float32.
  for (int64_t i = 0; i < x.size(0); ++i) {
    const float v = x[i].item<float>();
    const float c = std::min(std::max(v, -1.0f), 1.0f);
    const int expect = std::clamp(static_cast<int>(std::floor((c + 1.0f) * 1.5f + 0.5f)), 0, 3);
    EXPECT_EQ(q[i].item<int64_t>(), expect) << "x = " << v;
  }
  EXPECT_EQ(quant2_code(torch::tensor({0.0f}))[0].item<int64_t>(), 2);  // tie 1.5 -> 2 (half up)
  const auto v = quant_sign2(x);
  EXPECT_TRUE(torch::equal(v, (q * 2 - 3).to(torch::kFloat32)));
}

TEST(QuantSign2, BackwardOpenInterval) {
  auto x = torch::tensor({-1.2f, -1.0f, -0.99f, 0.0f, 0.5f, 0.999f, 1.0f, 2.0f}).requires_grad_(true);
  quant_sign2(x).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.f, 0.f, 3.f, 3.f, 3.f, 3.f, 0.f, 0.f})));
}

TEST(GateSte, ForwardIsStrictCompare) {
  const auto o = torch::tensor({-2.0f, -1.0f, -0.999f, 0.5f});
  const auto th = torch::tensor({-1.0f});
  EXPECT_TRUE(torch::equal(gate_ste(o, th), torch::tensor({0.f, 0.f, 1.f, 1.f})));
}

TEST(GateSte, BackwardMatchesSigmoidSurrogate) {
  torch::manual_seed(3);
  for (bool sparse : {false, true}) {
    auto o = torch::randn({2, 3, 4, 4}).requires_grad_(true);
    auto th = (torch::randn({1, 3, 1, 1}) * 0.5).requires_grad_(true);
    const auto w = torch::randn({2, 3, 4, 4});
    (gate_ste(o, th, 5.0, sparse) * w).sum().backward();
    // Surrogate: d/d(o) of sigmoid(5 (o - th)), by autograd on the smooth function itself.
    auto o2 = o.detach().clone().requires_grad_(true);
    auto th2 = th.detach().clone().requires_grad_(true);
    auto s = torch::sigmoid(5.0 * (o2 - th2));
    auto wm = sparse ? w * (s.detach() >= 0.5).to(torch::kFloat32) : w;
    (s * wm).sum().backward();
    EXPECT_TRUE(torch::allclose(o.grad(), o2.grad(), 1e-5, 1e-6)) << "sparse " << sparse;
    EXPECT_TRUE(torch::allclose(th.grad(), th2.grad(), 1e-5, 1e-6)) << "sparse " << sparse;
  }
}

TEST(GateSte, SurrogateAgainstFiniteDifferences) {
  // The surrogate is the derivative of sigmoid(alpha (o - theta)): check it numerically (double precision).
  const double alpha = 5.0, theta = 0.3;
  for (double o : {-0.5, 0.1, 0.3, 0.45, 1.0}) {
    auto ot = torch::tensor({o}, torch::kFloat64).requires_grad_(true);
    auto tt = torch::tensor({theta}, torch::kFloat64).requires_grad_(true);
    gate_ste(ot, tt, alpha, false).sum().backward();
    const double h = 1e-6;
    auto f = [&](double v) { return 1.0 / (1.0 + std::exp(-alpha * (v - theta))); };
    const double fd = (f(o + h) - f(o - h)) / (2 * h);
    EXPECT_NEAR(ot.grad().item<double>(), fd, 1e-6);
    EXPECT_NEAR(tt.grad().item<double>(), -fd, 1e-6);
  }
}

TEST(RoundSte, ForwardHalfUpBackwardIdentity) {
  auto x = torch::tensor({0.5f, 1.5f, 2.5f, -0.5f, 1.2f}).requires_grad_(true);
  const auto y = round_ste(x);
  EXPECT_TRUE(torch::equal(y, torch::tensor({1.f, 2.f, 3.f, 0.f, 1.f})));
  y.sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::ones({5})));
}

}  // namespace
}  // namespace bnnkit::train
