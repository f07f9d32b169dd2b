// PokeBNN in the trainer (issue 6): its parameter-free ops and quantisers against the engine's ops bit for
// bit, the exported graph's cost against the zoo's and google/aqt's ACE, and its configuration errors. The
// whole network's trainer/engine parity is in parity_test.cc (Parity.PokeBnn).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <functional>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "train/export/exporter.h"
#include "train/models/pokebnn.h"
#include "train/tests/model_errors.h"
#include "zoo/zoo.h"

namespace bnnkit::train {
namespace {

// Runs a one-input graph built by `op` on x ([N, C, H, W] float32) and returns its output as NCHW (4-D) or
// [N, C] (2-D).
torch::Tensor run_engine(const torch::Tensor& x, const std::function<int(GraphBuilder&, int)>& op) {
  GraphBuilder b("op");
  const int in =
      b.input("x", DType::kFloat32,
              {1, static_cast<int>(x.size(2)), static_cast<int>(x.size(3)), static_cast<int>(x.size(1))});
  b.output(op(b, in), "y");
  const Model m = Model::from_graph(b.finish());
  Session s(m, {.threads = 1, .batch = static_cast<int>(x.size(0))});
  const auto nhwc = x.permute({0, 2, 3, 1}).contiguous();
  s.set_input(0, std::span<const float>(nhwc.data_ptr<float>(), static_cast<size_t>(nhwc.numel())));
  s.run();
  const auto out = s.output_f32(0);
  const std::vector<int> shape = m.outputs().at(0).shape;
  std::vector<int64_t> sizes(shape.begin(), shape.end());
  sizes[0] = x.size(0);
  auto y = torch::from_blob(const_cast<float*>(out.data()), sizes, torch::kFloat32).clone();
  return y.dim() == 4 ? y.permute({0, 3, 1, 2}).contiguous() : y;
}

void expect_bit_equal(const torch::Tensor& got, const torch::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  const auto g = got.contiguous(), w = want.contiguous();
  EXPECT_EQ(std::memcmp(g.data_ptr<float>(), w.data_ptr<float>(), static_cast<size_t>(g.numel()) * 4), 0)
      << "max |diff| " << (g - w).abs().max().item<float>();
}

TEST(PokeBnnOps, QuantCodesAreTheEnginesCodes) {
  torch::manual_seed(3);
  for (const UniformQuant q : {UniformQuant{8, -3.0f, 3.0f}, UniformQuant{4, -2.0f, 2.0f},
                               UniformQuant{4, 0.0f, 4.0f}, UniformQuant{8, -4.0f, 4.0f}}) {
    SCOPED_TRACE(std::to_string(q.bits) + " bits [" + std::to_string(q.lo) + ", " + std::to_string(q.hi) +
                 "]");
    auto x = torch::randn({3, 5, 6, 7}) * q.hi;
    // Exact rounding boundaries lo + (k + 1/2) step, and their float neighbours.
    auto flat = x.view(-1);
    for (int k = 0; k < 40; ++k) {
      const float t = q.lo + (static_cast<float>(k % static_cast<int>(q.levels())) + 0.5f) * q.step();
      flat[3 * k] = t;
      flat[3 * k + 1] = std::nextafter(t, -1e9f);
      flat[3 * k + 2] = std::nextafter(t, 1e9f);
    }
    const auto engine = run_engine(
        x, [&](GraphBuilder& b, int in) { return b.quant_uniform(in, q.bits, q.lo, q.hi, "q", true); });
    expect_bit_equal(engine, quant_codes(x, q));
    // And the training fake-quantiser is the engine's value output.
    const auto values =
        run_engine(x, [&](GraphBuilder& b, int in) { return b.quant_uniform(in, q.bits, q.lo, q.hi, "q"); });
    expect_bit_equal(values, fake_quant(x, q).detach());
  }
}

TEST(PokeBnnOps, ShortcutsPoolsAndActivationsAreTheEnginesOps) {
  torch::manual_seed(4);
  for (const int64_t hw : {14, 7, 5, 4}) {
    SCOPED_TRACE("map " + std::to_string(hw));
    const auto x = torch::randn({2, 32, hw, hw});
    const auto ph = same_padding(hw, 3, 2);
    expect_bit_equal(
        run_engine(x,
                   [&](GraphBuilder& b, int in) {
                     return b.avg_pool(
                         in, ConvAttrs{3, 3, 2, 2, static_cast<int>(ph.before), static_cast<int>(ph.before)},
                         true, "p", static_cast<int>(ph.after), static_cast<int>(ph.after));
                   }),
        avg_pool3_s2_same(x));
    expect_bit_equal(run_engine(x, [](GraphBuilder& b, int in) { return b.channel_avg(in, 16, "a"); }),
                     channel_group_avg(x, 16));
    expect_bit_equal(run_engine(x, [](GraphBuilder& b, int in) { return b.channel_avg(in, 10, "a"); }),
                     channel_group_avg(x, 10));  // groups of 3, two trailing channels ignored
    expect_bit_equal(run_engine(x, [](GraphBuilder& b, int in) { return b.channel_pad(in, 48, "z"); }),
                     channel_zero_pad(x, 48));
    expect_bit_equal(run_engine(x, [](GraphBuilder& b, int in) { return b.channel_dup(in, 4, "t"); }),
                     channel_tile(x, 128));
    expect_bit_equal(
        run_engine(
            x, [](GraphBuilder& b, int in) { return b.activation(in, ActivationKind::kHardSigmoid, "h"); }),
        hard_sigmoid(x));
  }
  DPReLU act(32);
  {
    torch::NoGradGuard g;
    for (auto& p : act->parameters()) p.add_(torch::randn(p.sizes()) * 0.3);
  }
  const auto x = torch::randn({2, 32, 5, 5});
  auto vec = [](GraphBuilder& b, const std::string& name, const torch::Tensor& t) {
    const auto c = t.detach().contiguous();
    return b.constant_f32(name, {static_cast<int>(c.numel())},
                          std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel()));
  };
  expect_bit_equal(run_engine(x,
                              [&](GraphBuilder& b, int in) {
                                return b.dprelu(in, vec(b, "b", act->beta), vec(b, "p", act->eta_pos),
                                                vec(b, "n", act->eta_neg), vec(b, "g", act->gamma), "d");
                              }),
                   act->forward(x).detach());
}

TEST(PokeBnnOps, QuantConvOnCodesIsTheFakeQuantisedConv) {
  // The eval arithmetic (integer codes, then scale and shift) and the training arithmetic (fake-quantised
  // floats) are the same function up to float rounding, for symmetric and one-sided activation ranges.
  torch::manual_seed(5);
  QuantConv2d conv(QuantConv2dOptions(16, 8, 1).bits(4).bias(true));
  {
    torch::NoGradGuard g;
    conv->bias.normal_();
  }
  for (const UniformQuant q : {UniformQuant{4, -2.0f, 2.0f}, UniformQuant{4, 0.0f, 4.0f}}) {
    const auto x = torch::randn({4, 16, 3, 3}) * 2.0;
    conv->train();
    const auto fake = conv->forward(x, q).detach();
    conv->eval();
    const auto exact = conv->forward(x, q);
    EXPECT_TRUE(torch::allclose(fake, exact, 1e-4, 1e-4)) << (fake - exact).abs().max().item<float>();
  }
  // A padded conv over a range not centred on 0 cannot use zero padding on codes.
  QuantConv2d padded(QuantConv2dOptions(4, 4, 3).padding(1));
  padded->eval();
  EXPECT_THROW(padded->forward(torch::randn({1, 4, 5, 5}), UniformQuant{8, 0.0f, 4.0f}),
               std::invalid_argument);
}

Json mnist_cfg() {
  return Json{{"type", "pokebnn"}, {"input_shape", {1, 28, 28}}, {"num_classes", 10}};
}

TEST(PokeBnnExport, CostEqualsTheZooArchitecture) {
  // The trainer's default PokeBNN is the zoo's pokebnn-mnist: same MACs, bit widths and ACE per layer.
  auto m = build_model(mnist_cfg());
  const ModelCost got = model_cost(export_graph(*m, Json::object()));
  const ModelCost want = model_cost(zoo::build("pokebnn-mnist"));
  EXPECT_EQ(got.macs, want.macs);
  EXPECT_EQ(got.binary_macs, want.binary_macs);
  EXPECT_DOUBLE_EQ(got.conv_ace, want.conv_ace);
  EXPECT_DOUBLE_EQ(got.dense_ace, want.dense_ace);
  std::vector<double> ga, wa;
  for (const auto& l : got.layers)
    if (l.macs > 0) ga.push_back(l.ace);
  for (const auto& l : want.layers)
    if (l.macs > 0) wa.push_back(l.ace);
  EXPECT_EQ(ga, wa);
}

TEST(PokeBnnExport, ImageNetDefinitionHasAqtsAce) {
  // configs/pokebnn_1.0x_imagenet.json's model, with random weights: google/aqt's regression values.
  Json cfg{{"type", "pokebnn"},
           {"input_shape", {3, 224, 224}},
           {"num_classes", 1000},
           {"stage_blocks", {3, 4, 6, 3}},
           {"features", {64, 128, 256, 512}},
           {"stem_kernel", 4},
           {"init_group", 32},
           {"init_features", 64}};
  auto m = build_model(cfg);
  const ModelCost c = model_cost(export_graph(*m, Json::object()));
  EXPECT_DOUBLE_EQ(c.conv_ace, 4'091'469'824.0);
  EXPECT_DOUBLE_EQ(c.dense_ace, 131'072'000.0);
}

TEST(PokeBnnConfig, ClearErrors) {
  Json c = mnist_cfg();
  c["features"] = {16, 32};
  EXPECT_EQ(build_error(c), "pokebnn: model.stage_blocks and model.features must list the same stages");
  c = mnist_cfg();
  c["init_group"] = 4;
  c["init_features"] = 4;
  EXPECT_EQ(build_error(c), "PokeConv: SE needs at least 8 input channels, got 4");
  c = mnist_cfg();
  c["stem_kernel"] = 3;
  EXPECT_EQ(build_error(c), "pokebnn: the input size must be a multiple of model.stem_kernel");
  c = mnist_cfg();
  c["input_mean"] = {0.1, 0.2};
  c["input_std"] = {0.3, 0.4};
  EXPECT_EQ(build_error(c), "pokebnn: model.input_mean and model.input_std need one value per channel");
  c = mnist_cfg();
  c["init_group"] = 5;
  EXPECT_EQ(build_error(c), "QuantConv2d: 5 groups do not divide 5 -> 32");
}

}  // namespace
}  // namespace bnnkit::train
