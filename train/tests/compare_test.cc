// `bnnkit-train compare` (issue 7): the LibTorch fp32 twin of an engine graph has the engine's MACs, shapes
// and (for float-only graphs) its function; MobileNetV2 has the paper's shape and MACs; a tiny comparison
// runs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <random>

#if BNNKIT_TRAIN_HAVE_COMPARE
#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "train/compare/compare.h"
#include "train/compare/mobilenet_v2.h"
#include "train/compare/torch_twin.h"
#include "zoo/zoo.h"

namespace bnnkit::train {
namespace {

TEST(TorchTwin, SmallZooModelsHaveTheEnginesMacsAndShapes) {
  c10::InferenceMode guard;
  for (const std::string& name : zoo::small_arch_names()) {
    SCOPED_TRACE(name);
    const Graph g = zoo::build(name);
    for (TorchLayout layout : {TorchLayout::kChannelsLast, TorchLayout::kNchw}) {
      const TorchTwin twin(g, layout);
      EXPECT_EQ(twin.macs_per_image(), model_cost(g).macs);
      EXPECT_EQ(twin.layout_changes(), std::vector<std::string>{}) << torch_layout_name(layout);
      const auto out = twin.forward(twin.example_input(3));
      ASSERT_EQ(out.size(), g.outputs.size());
      std::vector<int64_t> want(g.tensors[g.outputs[0]].shape.begin(), g.tensors[g.outputs[0]].shape.end());
      want[0] = 3;
      EXPECT_EQ(out[0].sizes().vec(), want);
      EXPECT_TRUE(torch::isfinite(out[0]).all().item<bool>());
    }
  }
}

// The two architectures of the issue (one batch-1 forward each, about 0.1 s): the twin keeps channels-last
// throughout (no op reorders) and has the engine's MACs.
TEST(TorchTwin, ImageNetTwinsHaveTheEnginesMacs) {
  for (const char* name : {"fracbnn-imagenet", "pokebnn-1.0x-imagenet"}) {
    SCOPED_TRACE(name);
    const Graph g = zoo::build(name);
    const TorchTwin twin(g, TorchLayout::kChannelsLast);
    EXPECT_EQ(twin.macs_per_image(), model_cost(g).macs);
    EXPECT_EQ(twin.layout_changes(), std::vector<std::string>{});
  }
}

// A graph of float ops only: the twin must compute what the engine computes (to float rounding).
Graph float_graph() {
  GraphBuilder b("float-ops");
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  const auto vals = [&](size_t n, float mean = 0.0f) {
    std::vector<float> v(n);
    for (auto& x : v) x = mean + nd(rng);
    return v;
  };
  int k = 0;
  const auto c = [&](std::vector<int> shape, float mean = 0.0f) {
    size_t n = 1;
    for (int d : shape) n *= static_cast<size_t>(d);
    char name[16];  // (not "c" + std::to_string: GCC 12 -Wstringop-overflow false alarm)
    std::snprintf(name, sizeof name, "c%d", k++);
    return b.constant_f32(name, shape, vals(n, mean));
  };
  const int x = b.input("x", DType::kFloat32, {1, 8, 8, 4});
  int y = b.conv2d(x, c({8, 3, 3, 4}), c({8}), ConvAttrs{3, 3, 1, 1, 1, 1});
  y = b.conv2d(y, c({8, 3, 3, 2}), -1, ConvAttrs{3, 3, 2, 2, 1, 1}, 4);  // grouped, [1, 4, 4, 8]
  y = b.affine(y, c({8}, 1.0f), c({8}));
  y = b.prelu(y, c({8}, 0.25f));
  y = b.rprelu(y, c({8}), c({8}, 0.25f), c({8}));
  y = b.dprelu(y, c({8}), c({8}, 1.0f), c({8}, 0.25f), c({8}));
  y = b.add(y, b.activation(y, ActivationKind::kRelu6));
  const int dup = b.channel_dup(y, 2);                                          // 16 channels
  const int pad = b.channel_pad(b.channel_avg(dup, 6), 8);                      // 12 of 16 used
  const int mp = b.max_pool(pad, ConvAttrs{3, 3, 2, 2, 0, 0}, "mp", 1, 1);      // SAME, [1, 2, 2, 8]
  const int ap = b.avg_pool(y, ConvAttrs{3, 3, 2, 2, 0, 0}, true, "ap", 1, 1);  // SAME, [1, 2, 2, 8]
  int s = b.add(mp, ap);
  int se = b.avg_pool(s, ConvAttrs{2, 2, 1, 1, 0, 0});  // [1, 1, 1, 8]
  se = b.activation(b.conv2d(se, c({8, 1, 1, 8}), c({8}), ConvAttrs{1, 1, 1, 1, 0, 0}),
                    ActivationKind::kHardSigmoid);
  s = b.concat(b.scale_channels(s, b.flatten(se)), s);  // [1, 2, 2, 16]
  const int flat = b.dense(b.flatten(s), c({10, 64}), c({10}));
  const int pooled = b.dense(b.global_avg_pool(s), c({10, 16}), -1);
  b.output(b.softmax(b.add(flat, pooled)), "probs");
  return b.finish();
}

TEST(TorchTwin, ComputesTheEnginesFloatOps) {
  c10::InferenceMode guard;
  const Graph g = float_graph();
  const Model model = Model::from_graph(g);
  Session s(model, {.threads = 1, .batch = 2});
  const torch::Tensor nhwc = torch::randn({2, 8, 8, 4});
  s.set_input(0, std::span<const float>(nhwc.data_ptr<float>(), static_cast<size_t>(nhwc.numel())));
  s.run();
  const auto engine = s.output_f32(0);
  for (TorchLayout layout : {TorchLayout::kChannelsLast, TorchLayout::kNchw}) {
    SCOPED_TRACE(torch_layout_name(layout));
    const TorchTwin twin(g, layout);
    const torch::Tensor out = twin.forward(nhwc.permute({0, 3, 1, 2}).contiguous(memory_format(layout)))[0];
    ASSERT_EQ(out.sizes().vec(), (std::vector<int64_t>{2, 10}));
    const torch::Tensor want = torch::from_blob(const_cast<float*>(engine.data()), {2, 10});
    EXPECT_TRUE(torch::allclose(out, want, 1e-4, 1e-5)) << out << want;
    EXPECT_EQ(twin.macs_per_image(), model_cost(g).macs);
  }
}

TEST(MobileNetV2, ShapeAndMacs) {
  c10::InferenceMode guard;
  MobileNetV2 net;
  net->eval();
  // The paper's 300 M multiply-adds (convs 299.5 M + classifier 1.28 M).
  EXPECT_GT(net->macs_per_image(), 295'000'000);
  EXPECT_LT(net->macs_per_image(), 305'000'000);
  set_weight_format(*net, torch::MemoryFormat::ChannelsLast);
  const torch::Tensor out =
      net->forward(torch::rand({2, 3, 224, 224}).contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{2, 1000}));
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
}

TEST(Compare, TinyRunReportsEveryFigure) {
  CompareOptions o;
  o.archs = {"fracbnn-tiny"};
  o.threads = {1};
  o.batches = {1, 2};
  o.iters = 2;
  o.warmup = 1;
  const CompareResult r = run_compare(o);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.archs.at(0).twin_macs, r.archs.at(0).engine_macs);
  for (const CompareRow& row : r.rows) {
    EXPECT_EQ(row.engine.runs, 2);
    EXPECT_GT(row.engine.fps, 0);
    EXPECT_GT(row.speedup_vs_twin, 0);
    EXPECT_GT(row.speedup_vs_mobilenet, 0);
  }
  EXPECT_NE(format_compare(r).find("fracbnn-tiny"), std::string::npos);
  const nlohmann::json j = compare_json(r);
  EXPECT_EQ(j["results"].size(), 2u);
  EXPECT_TRUE(j["results"][1]["twin_fp32"]["fps"].is_number());
  EXPECT_EQ(j["results"][1]["batch"], 2);
}

}  // namespace
}  // namespace bnnkit::train
#endif  // BNNKIT_TRAIN_HAVE_COMPARE
