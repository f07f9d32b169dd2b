#include "train/models/pokebnn.h"

#include <stdexcept>

namespace bnnkit::train {

namespace {

template <class T>
std::vector<T> list_or(const Json& cfg, const char* key, std::vector<T> fallback) {
  return cfg.contains(key) ? cfg.at(key).get<std::vector<T>>() : std::move(fallback);
}

float bound(const Json& cfg, const char* key, float fallback) {
  const double v = cfg.value(key, static_cast<double>(fallback));
  if (!(v > 0.0)) throw std::invalid_argument(std::string("model.") + key + " must be positive");
  return static_cast<float>(v);
}

// Eval: the quantised conv on codes, its scale folded into the BN that follows (the exporter writes the same
// fold); training: the fake-quantised float conv, then BN on batch statistics.
torch::Tensor quant_conv_bn(QuantConv2d& conv, BatchNorm& bn, const torch::Tensor& x, const UniformQuant& q) {
  if (conv->is_training()) return bn->forward(conv->forward_fake(x, q));
  const auto e = conv->forward_exact(x, q);  // its shift is 0: no bias, and q is centred on 0
  return bn->forward_scaled(e.acc, e.scale);
}

}  // namespace

PokeBnnImpl::PokeBnnImpl(const Json& c) : cfg(c) {
  if (!cfg.contains("input_shape") || !cfg.contains("num_classes"))
    throw std::invalid_argument("pokebnn: model.input_shape and model.num_classes are required");
  const auto chw = cfg.at("input_shape").get<std::vector<int64_t>>();
  if (chw.size() != 3) throw std::invalid_argument("model.input_shape must be [C, H, W]");
  const int64_t ch = chw[0], classes = cfg.at("num_classes").get<int64_t>();
  const double multiplier = cfg.value("multiplier", 1.0);
  const auto stage_blocks = list_or<int64_t>(cfg, "stage_blocks", {1, 1, 1});
  const auto features = list_or<int64_t>(cfg, "features", {16, 32, 64});
  if (stage_blocks.size() != features.size() || features.empty())
    throw std::invalid_argument("pokebnn: model.stage_blocks and model.features must list the same stages");
  stem_kernel = cfg.value("stem_kernel", int64_t{2});
  init_group = cfg.value("init_group", int64_t{16});
  const int64_t init_features = cfg.value("init_features", int64_t{32});
  const double act_clip = cfg.value("act_clip", 3.0);
  quant.image.lo = -(quant.image.hi = bound(cfg, "image_bound", 3.0f));
  quant.act.lo = -(quant.act.hi = bound(cfg, "act_bound", 4.0f));
  quant.se_in.lo = -(quant.se_in.hi = bound(cfg, "se_in_bound", 2.0f));
  quant.se_mid.hi = bound(cfg, "se_mid_bound", 4.0f);
  if (cfg.contains("input_mean")) mean = cfg.at("input_mean").get<std::vector<float>>();
  if (cfg.contains("input_std")) std = cfg.at("input_std").get<std::vector<float>>();
  if (mean.size() == 1 && ch > 1) mean.assign(static_cast<size_t>(ch), mean[0]);
  if (std.size() == 1 && ch > 1) std.assign(static_cast<size_t>(ch), std[0]);
  if (mean.size() != std.size() || (!mean.empty() && static_cast<int64_t>(mean.size()) != ch))
    throw std::invalid_argument("pokebnn: model.input_mean and model.input_std need one value per channel");
  if (chw[1] % stem_kernel != 0 || chw[2] % stem_kernel != 0)
    throw std::invalid_argument("pokebnn: the input size must be a multiple of model.stem_kernel");

  init_conv = register_module(
      "init_conv", QuantConv2d(QuantConv2dOptions(ch, init_group, stem_kernel).stride(stem_kernel).bits(8)));
  init_bn = register_module("init_bn", BatchNorm(init_group));
  init_act = register_module("init_dprelu", DPReLU(init_group));
  init_group_conv = register_module(
      "init_group_conv",
      QuantConv2d(QuantConv2dOptions(init_group, init_features, 3).padding(1).groups(init_group).bits(8)));
  init_group_bn = register_module("init_group_bn", BatchNorm(init_features));
  init_group_act = register_module("init_group_dprelu", DPReLU(init_features));

  int64_t in = init_features, index = 0;
  for (size_t s = 0; s < features.size(); ++s) {
    const auto f = static_cast<int64_t>(static_cast<double>(features[s]) * multiplier);
    for (int64_t j = 0; j < stage_blocks[s]; ++j, ++index) {
      Bottleneck b;
      b.name = "res" + std::to_string(index);
      const int64_t stride = (s > 0 && j == 0) ? 2 : 1;
      const PokeConvOptions o[3] = {{in, f, 1, 1, act_clip, false},
                                    {f, f, 3, stride, act_clip, false},
                                    {f, 4 * f, 1, 1, act_clip, true}};
      for (int k = 0; k < 3; ++k)
        b.conv[k] = register_module(b.name + "-" + std::to_string(k + 1), PokeConv(o[k]));
      blocks.push_back(std::move(b));
      in = 4 * f;
    }
  }
  fc = register_module("fc", QuantConv2d(QuantConv2dOptions(in, classes, 1).bits(8).bias(true)));
}

torch::Tensor PokeBnnImpl::forward(const torch::Tensor& images) {
  auto x = normalize_pixels(images, mean, std);
  x = init_act->forward(quant_conv_bn(init_conv, init_bn, x, quant.image));
  x = init_group_act->forward(quant_conv_bn(init_group_conv, init_group_bn, x, quant.act));
  for (auto& b : blocks) {
    const auto r1 = x;
    x = b.conv[0]->forward(x, {}, quant, taps, b.name + "-1");
    x = b.conv[1]->forward(x, {}, quant, taps, b.name + "-2");
    x = b.conv[2]->forward(x, r1, quant, taps, b.name + "-3");
  }
  const auto g = global_avg_pool(x, !is_training());
  return fc->forward(g.view({g.size(0), g.size(1), 1, 1}), quant.act).flatten(1);
}

}  // namespace bnnkit::train
