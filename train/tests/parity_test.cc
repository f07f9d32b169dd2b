// Trainer <-> engine parity (issue 4): a small model is trained briefly, exported with int32 taps, and run by
// the engine on Fashion-MNIST test images. The integer accumulator of every binary layer must agree exactly,
// and predictions must agree on >= 99.9 % of the images (the float head may round differently).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "bnnkit/bnnkit.h"
#include "train/autograd/ste.h"
#include "train/data/dataset.h"
#include "train/export/exporter.h"
#include "train/models/models.h"
#include "train/recipes/trainer.h"

namespace bnnkit::train {
namespace {

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist";

struct Data {
  Dataset train, test;
};

const Data* fashion() {
  static Data* d = [] {
    if (!std::filesystem::exists(kFashion)) return static_cast<Data*>(nullptr);
    auto* r = new Data;
    r->train = load_split(kFashion, true).head(2048);
    r->test = load_split(kFashion, false).head(1000);
    return r;
  }();
  return d;
}

// A short training run (a few hundred steps' worth of signal, seconds on 2 cores), then gates and BN shifted
// so that every branch of the export (open/closed gates, negative BN gamma) is exercised.
void short_train(ClassifierImpl& model, const Dataset& data, int steps) {
  torch::manual_seed(11);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(2e-3));
  model.train();
  for (int s = 0; s < steps; ++s) {
    const auto idx = torch::randint(0, data.size(), {64}, torch::kLong);
    opt.zero_grad();
    const auto loss = torch::nn::functional::cross_entropy(model.forward(data.images.index_select(0, idx)),
                                                           data.labels.index_select(0, idx));
    const auto pen = model.penalty();
    (pen.defined() ? loss + pen : loss).backward();
    opt.step();
    model.clip_latent();
  }
  torch::NoGradGuard g;
  for (auto& p : model.named_parameters()) {
    if (p.key().find(".theta") != std::string::npos) p.value().add_(torch::randn(p.value().sizes()) * 2.0);
    if (p.key().find(".delta") != std::string::npos) p.value().add_(torch::randn(p.value().sizes()) * 0.5);
    if (p.key().find("bn1a.weight") != std::string::npos)
      p.value().mul_(torch::where(torch::rand(p.value().sizes()) < 0.2, -1.0f, 1.0f));
  }
  model.eval();
}

struct ParityResult {
  int64_t images = 0, agree = 0, layers = 0, gated = 0;  // gated: (batch, gated layer) density checks
  int64_t open = 0, outputs = 0;                         // the engine's gates over all gated layers
  double max_logit_diff = 0.0;
};

ParityResult run_parity(ClassifierImpl& model, const Dataset& test, bool float_input, int64_t batch) {
  ParityResult r;
  Graph g = export_graph(model, Json::object(), ExportOptions{.int32_taps = true});
  const Model m = Model::from_graph(std::move(g));
  std::map<std::string, int> out_index;
  const auto outs = m.outputs();
  for (size_t i = 0; i < outs.size(); ++i) out_index[outs[i].name] = static_cast<int>(i);
  Session session(m, SessionOptions{.threads = 2, .batch = static_cast<int>(batch)});
  std::map<std::string, std::pair<int64_t, int64_t>> gate_totals;  // engine's open, outputs so far
  for (int64_t start = 0; start + batch <= test.size(); start += batch) {
    const auto images = test.images.narrow(0, start, batch);
    Taps taps;
    model.taps = start == 0 ? &taps : nullptr;
    torch::Tensor logits;
    {
      torch::NoGradGuard ng;
      logits = model.forward(images);
    }
    model.taps = nullptr;
    if (float_input) {
      const auto x = normalize_pixels(images, model.mean, model.std).permute({0, 2, 3, 1}).contiguous();
      session.set_input(0, std::span<const float>(x.data_ptr<float>(), static_cast<size_t>(x.numel())));
    } else {
      const auto x = images.permute({0, 2, 3, 1}).contiguous();
      session.set_input(0, std::span<const uint8_t>(x.data_ptr<uint8_t>(), static_cast<size_t>(x.numel())));
    }
    session.run();
    // Gate densities: the engine's count of open gates per gated layer equals the trainer's, batch by
    // batch (the trainer's gate mean times the outputs is an exact integer count here).
    for (const auto& [name, conv] : model.gated_layers()) {
      for (const OpProfile& p : session.profile()) {
        if (p.name != name) continue;
        auto& [open, outputs] = gate_totals[name];
        const int64_t batch_outputs = p.gate_outputs - outputs;
        EXPECT_EQ(p.gate_open - open, std::llround(*conv * static_cast<double>(batch_outputs)))
            << name << ": open gates, images " << start << "+";
        r.open += p.gate_open - open;
        r.outputs += batch_outputs;
        open = p.gate_open;
        outputs = p.gate_outputs;
        ++r.gated;
      }
    }
    const auto eng = session.output_f32(out_index.at("logits"));
    const auto el = torch::from_blob(const_cast<float*>(eng.data()), logits.sizes(), torch::kFloat32).clone();
    r.max_logit_diff = std::max(r.max_logit_diff, (el - logits).abs().max().item<double>());
    r.agree += el.argmax(1).eq(logits.argmax(1)).sum().item<int64_t>();
    r.images += batch;
    for (const auto& [name, acc] : taps) {
      SCOPED_TRACE(name);
      auto it = out_index.find(name + ".acc");
      EXPECT_NE(it, out_index.end());
      if (it == out_index.end()) continue;
      const auto ei = session.output_i32(it->second);
      const auto expect = (acc.dim() == 4 ? acc.permute({0, 2, 3, 1}) : acc).contiguous().to(torch::kInt32);
      EXPECT_EQ(static_cast<int64_t>(ei.size()), expect.numel());
      if (static_cast<int64_t>(ei.size()) != expect.numel()) continue;
      EXPECT_TRUE(torch::equal(expect.to(torch::kFloat32), acc.dim() == 4 ? acc.permute({0, 2, 3, 1}) : acc))
          << "trainer accumulator is not integer";
      const auto got = torch::from_blob(const_cast<int32_t*>(ei.data()), expect.sizes(), torch::kInt32);
      const int64_t mismatches = got.ne(expect).sum().item<int64_t>();
      EXPECT_EQ(mismatches, 0) << name << ": " << mismatches << " of " << expect.numel()
                               << " accumulators differ";
      ++r.layers;
    }
  }
  return r;
}

Json small_resnet(const std::string& act, const std::string& padding) {
  return Json{{"type", "resnet20_bnn"},
              {"input", "thermometer"},
              {"levels", 32},
              {"widths", {8, 16, 32}},
              {"blocks", 1},
              {"activation", act},
              {"padding", padding},
              {"input_shape", {1, 28, 28}},
              {"num_classes", 10},
              {"gate_penalty", 1e-5}};
}

// gated: the model has fractional convs, whose per-batch gate counts run_parity() compares.
void expect_parity(ClassifierImpl& model, bool float_input, int64_t min_layers, bool gated = false) {
  const Data* d = fashion();
  if (d == nullptr) GTEST_SKIP() << kFashion << " not installed";
  short_train(model, d->train, 40);
  const auto r = run_parity(model, d->test, float_input, 250);
  EXPECT_GE(r.layers, min_layers);
  if (gated) {
    EXPECT_GT(r.gated, 0) << "no gated layer's gate count was compared";
    // Both branches of the gate ran: the comparison is not between all-closed (or all-open) layers.
    const double density = static_cast<double>(r.open) / static_cast<double>(std::max<int64_t>(r.outputs, 1));
    EXPECT_GT(density, 0.02);
    EXPECT_LT(density, 0.98);
  }
  EXPECT_GE(static_cast<double>(r.agree), 0.999 * static_cast<double>(r.images))
      << r.agree << " of " << r.images << " predictions agree";
  EXPECT_LT(r.max_logit_diff, 1e-3);
  std::printf("parity: %lld/%lld predictions agree, %lld integer layers exact, max |logit diff| %.3g\n",
              static_cast<long long>(r.agree), static_cast<long long>(r.images),
              static_cast<long long>(r.layers), r.max_logit_diff);
  if (gated)
    std::printf("parity: %lld (batch, gated layer) gate counts equal, density %.3f\n",
                static_cast<long long>(r.gated),
                static_cast<double>(r.open) / static_cast<double>(std::max<int64_t>(r.outputs, 1)));
}

TEST(Parity, FractionalResNetZeroPadding) {
  auto m = build_model(small_resnet("frac", "zero"));
  expect_parity(*m, false, 7, true);
}

TEST(Parity, FractionalResNetOnePadding) {
  auto m = build_model(small_resnet("frac", "one"));
  expect_parity(*m, false, 7, true);
}

TEST(Parity, TwoBitResNet) {
  auto m = build_model(small_resnet("quant2", "zero"));
  expect_parity(*m, false, 7);
}

TEST(Parity, OneBitResNet) {
  auto m = build_model(small_resnet("sign", "zero"));
  expect_parity(*m, false, 7);
}

TEST(Parity, BinaryMlpThresholds) {
  auto m = build_model(Json{{"type", "mlp_bnn"},
                            {"levels", 2},
                            {"hidden", {96, 64}},
                            {"input_shape", {1, 28, 28}},
                            {"num_classes", 10}});
  expect_parity(*m, false, 3);
}

// PokeBNN: every binary conv's accumulator exact (the 8-bit stem, SE gates and shortcuts before it are the
// engine's float arithmetic, the quantised convs exact integer sums over codes), predictions agree.
Json small_pokebnn() {
  return Json{{"type", "pokebnn"},     {"stage_blocks", {1, 1}},     {"features", {8, 16}},
              {"init_group", 8},       {"init_features", 16},        {"input_mean", {0.2860}},
              {"input_std", {0.3530}}, {"input_shape", {1, 28, 28}}, {"num_classes", 10}};
}

// FracBNN's ImageNet topology (ReActNet-A blocks: 3x3 and 1x1 fractional convs, 4-bit shortcuts, a stride-2
// block and channel doubling), shrunk to 28x28.
TEST(Parity, FracBnnReActNet) {
  auto m = build_model(Json{{"type", "fracbnn_reactnet"},
                            {"levels", 8},
                            {"stem_width", 16},
                            {"stem_stride", 1},
                            {"block_widths", {32, 32, 64}},
                            {"block_strides", {1, 2, 2}},
                            {"input_shape", {1, 28, 28}},
                            {"num_classes", 10},
                            {"gate_penalty", 1e-5}});
  expect_parity(*m, false, 7, true);
}

// Precision Gating (papers.md §1) in PG's own setting, W8 A3 hb2 (and W1 A4 hb2): every conv a PGConv2d.
// Each PG conv's int32 output (high part + gated low part) equals the trainer's, and so do the open-gate
// counts, batch by batch.
Json small_pg(int wbits, int abits) {
  return Json{{"type", "resnet20_pg"},
              {"widths", {8, 16, 32}},
              {"blocks", 1},
              {"abits", abits},
              {"hbits", 2},
              {"wbits", wbits},
              {"gate_penalty", 1e-4},
              {"input_mean", {0.2860}},
              {"input_std", {0.3530}},
              {"input_shape", {1, 28, 28}},
              {"num_classes", 10}};
}

TEST(Parity, PrecisionGatingResNetW8A3) {
  auto m = build_model(small_pg(8, 3));
  expect_parity(*m, true, 7, true);
}

TEST(Parity, PrecisionGatingResNetW1A4) {
  auto m = build_model(small_pg(1, 4));
  expect_parity(*m, true, 7, true);
}

TEST(Parity, PokeBnn) {
  auto m = build_model(small_pokebnn());
  expect_parity(*m, true, 6);
}

TEST(Parity, FullPrecisionResNetPredictions) {
  auto m = build_model(Json{{"type", "resnet20_fp"},
                            {"widths", {8, 16, 32}},
                            {"blocks", 1},
                            {"input_mean", {0.2860}},
                            {"input_std", {0.3530}},
                            {"input_shape", {1, 28, 28}},
                            {"num_classes", 10}});
  expect_parity(*m, true, 0);
}

}  // namespace
}  // namespace bnnkit::train
