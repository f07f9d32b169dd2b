#include "train/models/models.h"

#include <stdexcept>

#include "train/autograd/ste.h"
#include "train/models/pokebnn.h"

namespace bnnkit::train {

namespace {

std::vector<float> floats_or(const Json& cfg, const char* key, std::vector<float> fallback, size_t n) {
  std::vector<float> v = cfg.contains(key) ? cfg.at(key).get<std::vector<float>>() : std::move(fallback);
  if (v.size() == 1 && n > 1) v.assign(n, v[0]);
  if (v.size() != n)
    throw std::invalid_argument(std::string("model.") + key + ": expected one value per channel");
  return v;
}

PadMode parse_padding(const std::string& s) {
  if (s == "zero") return PadMode::kZero;
  if (s == "one") return PadMode::kOne;
  throw std::invalid_argument("model.padding must be \"zero\" or \"one\", got \"" + s + "\"");
}

std::vector<int64_t> input_shape(const Json& cfg) {
  if (!cfg.contains("input_shape")) throw std::invalid_argument("model.input_shape [C, H, W] missing");
  auto s = cfg.at("input_shape").get<std::vector<int64_t>>();
  if (s.size() != 3) throw std::invalid_argument("model.input_shape must be [C, H, W]");
  return s;
}

int64_t num_classes(const Json& cfg) {
  if (!cfg.contains("num_classes")) throw std::invalid_argument("model.num_classes missing");
  return cfg.at("num_classes").get<int64_t>();
}

}  // namespace

ActMode parse_act(const std::string& s) {
  if (s == "frac") return ActMode::kFrac;
  if (s == "quant2") return ActMode::kQuant2;
  if (s == "sign") return ActMode::kSign;
  if (s == "real") return ActMode::kReal;
  throw std::invalid_argument("model.activation must be frac, quant2, sign or real; got \"" + s + "\"");
}

torch::Tensor normalize_pixels(const torch::Tensor& images, const std::vector<float>& mean,
                               const std::vector<float>& std) {
  auto x = images.to(torch::kFloat32) / 255.0f;
  if (mean.empty()) return x;
  const auto m = torch::tensor(mean).view({1, -1, 1, 1}).to(x.device());
  const auto s = torch::tensor(std).view({1, -1, 1, 1}).to(x.device());
  return (x - m) / s;
}

torch::Tensor channel_dup(const torch::Tensor& x) {
  return torch::cat({x, x}, 1);
}

// ---- BnnBlock
// ------------------------------------------------------------------------------------------------

BnnBlockImpl::BnnBlockImpl(const BlockConvOptions& c1, const BlockConvOptions& c2) : opt{c1, c2} {
  for (int i = 0; i < 2; ++i) {
    const auto& o = opt[i];
    const std::string k = std::to_string(i + 1);
    if (o.act == ActMode::kFrac) {
      fconv[i] = register_module("conv" + k, FracConv2d(FracConv2dOptions(o.in, o.out, o.kernel)
                                                            .stride(o.stride)
                                                            .padding(o.kernel / 2)
                                                            .padding_mode(o.padding)
                                                            .theta_init(o.theta_init)
                                                            .alpha(o.gate_alpha)
                                                            .sparse_bp(o.sparse_bp)
                                                            .weight_clip(o.weight_clip)
                                                            .latent_clip(o.latent_clip)));
    } else {
      bconv[i] = register_module("conv" + k, BinaryConv2d(BinaryConv2dOptions(o.in, o.out, o.kernel)
                                                              .stride(o.stride)
                                                              .padding(o.kernel / 2)
                                                              .padding_mode(o.padding)
                                                              .binary_weights(o.binary_weights)
                                                              .weight_clip(o.weight_clip)
                                                              .latent_clip(o.latent_clip)));
    }
    bn_a[i] = register_module("bn" + k + "a", BatchNorm(o.out));
    act[i] = register_module("rprelu" + k, RPReLU(o.out));
    bn_b[i] = register_module("bn" + k + "b", BatchNorm(o.out));
  }
}

torch::Tensor BnnBlockImpl::quantize(int i, const torch::Tensor& x) {
  switch (opt[i].act) {
    case ActMode::kFrac:
    case ActMode::kQuant2:
      return quant_sign2(x);
    case ActMode::kSign:
      return sign_ste(x, opt[i].sign_clip);
    case ActMode::kReal:
      break;
  }
  return x;
}

torch::Tensor BnnBlockImpl::shortcut1(const torch::Tensor& x) const {
  auto s = opt[0].stride == 2 ? avg_pool2(x) : x;
  if (opt[0].out == 2 * opt[0].in) s = channel_dup(s);
  return s;
}

torch::Tensor BnnBlockImpl::unit(int i, const torch::Tensor& x, const torch::Tensor& shortcut, Taps* taps,
                                 const std::string& name) {
  const auto q = quantize(i, x);
  const double one_value = opt[i].act == ActMode::kSign ? 1.0 : 3.0;
  torch::Tensor acc;
  torch::Tensor pre_scale;
  if (fconv[i]) {
    acc = fconv[i]->forward(q);
  } else {
    acc = bconv[i]->forward_acc(q, one_value);
    pre_scale = bconv[i]->alpha();
  }
  if (taps != nullptr) taps->emplace_back(name + ".conv" + std::to_string(i + 1), acc.detach());
  const auto y = act[i]->forward(bn_a[i]->forward_scaled(acc, pre_scale));
  return bn_b[i]->forward(y + shortcut);
}

torch::Tensor BnnBlockImpl::forward(const torch::Tensor& x, Taps* taps, const std::string& name) {
  const auto y = unit(0, x, shortcut1(x), taps, name);
  return unit(1, y, y, taps, name);
}

// ---- ResNet20Bnn
// ---------------------------------------------------------------------------------------------

ResNet20BnnImpl::ResNet20BnnImpl(const Json& c) : cfg(c) {
  const auto shape = input_shape(cfg);
  const int64_t ch = shape[0];
  reactnet = cfg.value("type", std::string()) == "fracbnn_reactnet";
  if (reactnet) {
    block_widths = cfg.value("block_widths", std::vector<int64_t>{64, 128, 128, 256, 256, 512, 512, 512, 512,
                                                                  512, 512, 1024, 1024});
    block_strides = cfg.value("block_strides", std::vector<int64_t>{1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1});
    stem_stride = cfg.value("stem_stride", int64_t{2});
    if (block_widths.size() != block_strides.size())
      throw std::invalid_argument(
          "fracbnn_reactnet: model.block_widths and model.block_strides must have the "
          "same length");
    if (cfg.value("input", std::string("thermometer")) != "thermometer")
      throw std::invalid_argument("fracbnn_reactnet: the input must be \"thermometer\"");
  }
  const auto widths = reactnet ? std::vector<int64_t>{cfg.value("stem_width", int64_t{32})}
                               : cfg.value("widths", std::vector<int64_t>{16, 32, 64});
  const int64_t per_stage = cfg.value("blocks", int64_t{3});
  const std::string input = cfg.value("input", std::string("thermometer"));
  BlockConvOptions base;
  base.act = parse_act(cfg.value("activation", std::string("frac")));
  if (base.act == ActMode::kReal)
    throw std::invalid_argument("resnet20_bnn: activation \"real\" not supported");
  base.binary_weights = cfg.value("binary_weights", true);
  base.padding = parse_padding(cfg.value("padding", std::string("zero")));
  base.sign_clip = cfg.value("sign_clip", 1.3);
  base.weight_clip = cfg.value("weight_clip", 1.3);
  base.theta_init = cfg.value("theta_init", -1.0);
  base.gate_alpha = cfg.value("gate_alpha", 5.0);
  base.sparse_bp = cfg.value("sparse_bp", true);
  base.latent_clip = cfg.value("latent_clip", 0.0);
  gate_penalty = cfg.value("gate_penalty", 0.0);
  gate_target = cfg.value("gate_target", 0.0);

  if (input == "thermometer") {
    levels = cfg.value("levels", int64_t{32});
    thermo = register_module("thermometer", Thermometer(ThermometerOptions().levels(levels)));
    stem = register_module("stem", BinaryConv2d(BinaryConv2dOptions(ch * levels, widths[0], 3)
                                                    .stride(stem_stride)
                                                    .padding(1)
                                                    .padding_mode(base.padding)
                                                    .binary_weights(base.binary_weights)
                                                    .weight_clip(base.weight_clip)
                                                    .latent_clip(base.latent_clip)));
  } else if (input == "real") {
    levels = 0;
    mean = floats_or(cfg, "input_mean", {}, static_cast<size_t>(ch));
    std = floats_or(cfg, "input_std", {}, static_cast<size_t>(ch));
    stem_fp = register_module(
        "stem", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, widths[0], 3).padding(1).bias(false)));
  } else {
    throw std::invalid_argument("model.input must be \"thermometer\" or \"real\"");
  }
  stem_bn = register_module("stem_bn", BatchNorm(widths[0]));
  int64_t in = widths[0];
  for (size_t i = 0; reactnet && i < block_widths.size(); ++i) {
    BlockConvOptions c1 = base, c2 = base;
    c1.in = c1.out = c2.in = in;
    c1.stride = block_strides[i];
    c2.out = block_widths[i];
    c2.kernel = 1;
    if (c1.stride != 1 && c1.stride != 2)
      throw std::invalid_argument("fracbnn_reactnet: strides must be 1 or 2");
    if (c2.out != in && c2.out != 2 * in)
      throw std::invalid_argument("fracbnn_reactnet: each block keeps or doubles the channels (block " +
                                  std::to_string(i + 1) + ": " + std::to_string(in) + " -> " +
                                  std::to_string(c2.out) + ")");
    block_names.push_back("block" + std::to_string(i + 1));
    blocks.push_back(register_module(block_names.back(), BnnBlock(c1, c2)));
    in = c2.out;
  }
  for (size_t s = 0; !reactnet && s < widths.size(); ++s) {
    for (int64_t b = 0; b < per_stage; ++b) {
      BlockConvOptions c1 = base, c2 = base;
      c1.in = in;
      c1.out = widths[s];
      c1.stride = (s > 0 && b == 0) ? 2 : 1;
      c2.in = c2.out = widths[s];
      if (c1.out != c1.in && c1.out != 2 * c1.in)
        throw std::invalid_argument("resnet20_bnn: widths must double");
      block_names.push_back("layer" + std::to_string(s + 1) + "_" + std::to_string(b));
      blocks.push_back(register_module(block_names.back(), BnnBlock(c1, c2)));
      in = widths[s];
    }
  }
  fc = register_module("fc", torch::nn::Linear(in, num_classes(cfg)));
}

torch::Tensor ResNet20BnnImpl::forward(const torch::Tensor& images) {
  torch::Tensor x;
  if (levels > 0) {
    const auto t = thermo->forward(images);
    const auto acc = stem->forward_acc(t);
    if (taps != nullptr) taps->emplace_back("stem", acc.detach());
    x = stem_bn->forward_scaled(acc, stem->alpha());
  } else {
    x = stem_bn->forward(stem_fp->forward(normalize_pixels(images, mean, std)));
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (!reactnet) {
      x = blocks[i]->forward(x, taps, block_names[i]);
      continue;
    }
    auto& b = *blocks[i];
    auto sc1 = fake_quant(x, kShortcutQuant);
    if (b.opt[0].stride == 2) sc1 = avg_pool2(sc1);
    const auto y = b.unit(0, x, sc1, taps, block_names[i]);
    auto sc2 = fake_quant(y, kShortcutQuant);
    if (b.opt[1].out == 2 * b.opt[1].in) sc2 = channel_dup(sc2);
    x = b.unit(1, y, sc2, taps, block_names[i]);
  }
  return fc->forward(global_avg_pool(x, !is_training()));
}

torch::Tensor ResNet20BnnImpl::penalty() {
  if (gate_penalty <= 0.0) return {};
  torch::Tensor p = torch::zeros({});
  for (auto& b : blocks) {
    for (auto& f : b->fconv) {
      if (f) p = p + f->penalty(gate_target);
    }
  }
  return p * gate_penalty;
}

void ResNet20BnnImpl::clip_latent() {
  if (stem) stem->clip_latent();
  for (auto& b : blocks) {
    for (int i = 0; i < 2; ++i) {
      if (b->fconv[i]) b->fconv[i]->clip_latent();
      if (b->bconv[i]) b->bconv[i]->clip_latent();
    }
  }
}

std::vector<std::pair<std::string, const double*>> ResNet20BnnImpl::gated_layers() {
  std::vector<std::pair<std::string, const double*>> r;
  for (size_t bi = 0; bi < blocks.size(); ++bi)
    for (int j = 0; j < 2; ++j)
      if (blocks[bi]->fconv[j])
        r.emplace_back(block_names[bi] + ".conv" + std::to_string(j + 1),
                       &blocks[bi]->fconv[j]->last_density);
  return r;
}

double ResNet20BnnImpl::gate_density() const {
  double sum = 0.0;
  int n = 0;
  for (const auto& b : blocks) {
    for (const auto& f : b->fconv) {
      if (f) {
        sum += f->last_density;
        ++n;
      }
    }
  }
  return n > 0 ? sum / n : -1.0;
}

// ---- ResNet20Fp
// ----------------------------------------------------------------------------------------------

ResNet20FpImpl::ResNet20FpImpl(const Json& c) : cfg(c) {
  const auto shape = input_shape(cfg);
  const int64_t ch = shape[0];
  const auto widths = cfg.value("widths", std::vector<int64_t>{16, 32, 64});
  const int64_t per_stage = cfg.value("blocks", int64_t{3});
  mean = floats_or(cfg, "input_mean", {}, static_cast<size_t>(ch));
  std = floats_or(cfg, "input_std", {}, static_cast<size_t>(ch));
  pg = cfg.value("type", std::string()) == "resnet20_pg";
  gate_penalty = cfg.value("gate_penalty", 0.0);
  gate_target = cfg.value("gate_target", 0.0);
  const int64_t abits = cfg.value("abits", int64_t{3}), hbits = cfg.value("hbits", int64_t{2}),
                wbits = cfg.value("wbits", int64_t{8});
  if (pg && (abits < 2 || abits > 8 || hbits < 1 || hbits >= abits || wbits < 1 || wbits > 8))
    throw std::invalid_argument("resnet20_pg: need 2 <= abits <= 8, 1 <= hbits < abits, 1 <= wbits <= 8");
  auto conv3 = [](int64_t i, int64_t o, int64_t s) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(i, o, 3).stride(s).padding(1).bias(false));
  };
  auto pg3 = [&](int64_t i, int64_t o, int64_t s) {
    return PGConv2d(PGConv2dOptions(i, o, 3)
                        .stride(s)
                        .padding(1)
                        .abits(abits)
                        .hbits(hbits)
                        .wbits(wbits)
                        .alpha(cfg.value("gate_alpha", 5.0))
                        .sparse_bp(cfg.value("sparse_bp", true))
                        .threshold_init(cfg.value("theta_init", 0.0)));
  };
  if (pg) {
    stem_pg = register_module("stem", pg3(ch, widths[0], 1));
  } else {
    stem = register_module("stem", conv3(ch, widths[0], 1));
  }
  stem_bn = register_module("stem_bn", BatchNorm(widths[0]));
  int64_t in = widths[0];
  for (size_t s = 0; s < widths.size(); ++s) {
    for (int64_t b = 0; b < per_stage; ++b) {
      Block blk;
      blk.in = in;
      blk.out = widths[s];
      blk.stride = (s > 0 && b == 0) ? 2 : 1;
      const std::string n = "layer" + std::to_string(s + 1) + "_" + std::to_string(b) + "_";
      // Registration order (conv1, bn1, conv2, bn2) is the checkpoints' parameter order.
      if (pg) {
        blk.pg1 = register_module(n + "conv1", pg3(in, widths[s], blk.stride));
      } else {
        blk.conv1 = register_module(n + "conv1", conv3(in, widths[s], blk.stride));
      }
      blk.bn1 = register_module(n + "bn1", BatchNorm(widths[s]));
      if (pg) {
        blk.pg2 = register_module(n + "conv2", pg3(widths[s], widths[s], 1));
      } else {
        blk.conv2 = register_module(n + "conv2", conv3(widths[s], widths[s], 1));
      }
      blk.bn2 = register_module(n + "bn2", BatchNorm(widths[s]));
      blocks.push_back(blk);
      in = widths[s];
    }
  }
  fc = register_module("fc", torch::nn::Linear(in, num_classes(cfg)));
}

torch::Tensor ResNet20FpImpl::conv_bn(torch::nn::Conv2d& conv, PGConv2d& pgc, BatchNorm& bn,
                                      const torch::Tensor& x, const std::string& name) {
  if (!pgc) return bn->forward(conv->forward(x));
  if (is_training()) return bn->forward(pgc->forward(x));
  const auto e = pgc->forward_exact(x);
  if (taps != nullptr) taps->emplace_back(name, e.acc);
  auto [scale, bias] = bn->folded();
  return channel_affine(e.acc * e.k.view({-1, 1, 1, 1}), scale, bias);
}

torch::Tensor ResNet20FpImpl::forward(const torch::Tensor& images) {
  auto x = torch::relu(conv_bn(stem, stem_pg, stem_bn, normalize_pixels(images, mean, std), "stem"));
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto& b = blocks[i];
    const std::string p = "block" + std::to_string(i);
    auto sc = b.stride == 2 ? avg_pool2(x) : x;
    if (b.out == 2 * b.in) sc = channel_dup(sc);
    auto y = torch::relu(conv_bn(b.conv1, b.pg1, b.bn1, x, p + ".conv1"));
    y = conv_bn(b.conv2, b.pg2, b.bn2, y, p + ".conv2");
    x = torch::relu(y + sc);
  }
  return fc->forward(global_avg_pool(x, !is_training()));
}

torch::Tensor ResNet20FpImpl::penalty() {
  if (!pg || gate_penalty <= 0.0) return {};
  torch::Tensor p = stem_pg->penalty(gate_target);
  for (auto& b : blocks) p = p + b.pg1->penalty(gate_target) + b.pg2->penalty(gate_target);
  return p * gate_penalty;
}

std::vector<std::pair<std::string, const double*>> ResNet20FpImpl::gated_layers() {
  std::vector<std::pair<std::string, const double*>> r;
  if (!pg) return r;
  r.emplace_back("stem", &stem_pg->last_density);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string p = "block" + std::to_string(i);
    r.emplace_back(p + ".conv1", &blocks[i].pg1->last_density);
    r.emplace_back(p + ".conv2", &blocks[i].pg2->last_density);
  }
  return r;
}

double ResNet20FpImpl::gate_density() const {
  if (!pg) return -1.0;
  double sum = stem_pg->last_density;
  for (const auto& b : blocks) sum += b.pg1->last_density + b.pg2->last_density;
  return sum / static_cast<double>(1 + 2 * blocks.size());
}

// ---- BinaryMlp
// -----------------------------------------------------------------------------------------------

BinaryMlpImpl::BinaryMlpImpl(const Json& c) : cfg(c) {
  const auto shape = input_shape(cfg);
  levels = cfg.value("levels", int64_t{1});
  sign_clip = cfg.value("sign_clip", 1.0);
  const auto hidden = cfg.value("hidden", std::vector<int64_t>{1024, 1024, 1024});
  const double weight_clip = cfg.value("weight_clip", 1.0);
  const double latent_clip = cfg.value("latent_clip", 1.0);
  const bool binary_weights = cfg.value("binary_weights", true);
  thermo = register_module("thermometer", Thermometer(ThermometerOptions().levels(levels)));
  int64_t in = shape[0] * levels * shape[1] * shape[2];
  std::vector<int64_t> outs = hidden;
  outs.push_back(num_classes(cfg));
  for (size_t i = 0; i < outs.size(); ++i) {
    const std::string k = std::to_string(i + 1);
    layers.push_back(register_module("fc" + k, BinaryDense(BinaryDenseOptions(in, outs[i])
                                                               .binary_weights(binary_weights)
                                                               .weight_clip(weight_clip)
                                                               .latent_clip(latent_clip))));
    bns.push_back(register_module("bn" + k, BatchNorm(outs[i])));
    in = outs[i];
  }
}

torch::Tensor BinaryMlpImpl::forward(const torch::Tensor& images) {
  auto x = thermo->forward(images).flatten(1);
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto acc = layers[i]->forward_acc(x);
    if (taps != nullptr) taps->emplace_back("fc" + std::to_string(i + 1), acc.detach());
    x = bns[i]->forward_scaled(acc, layers[i]->alpha());
    if (i + 1 < layers.size()) x = sign_ste(x, sign_clip);
  }
  return x;
}

void BinaryMlpImpl::clip_latent() {
  for (auto& l : layers) l->clip_latent();
}

std::shared_ptr<ClassifierImpl> build_model(const Json& model_cfg) {
  const std::string type = model_cfg.value("type", std::string());
  if (type == "resnet20_bnn" || type == "fracbnn_reactnet")
    return std::make_shared<ResNet20BnnImpl>(model_cfg);
  if (type == "resnet20_fp" || type == "resnet20_pg") return std::make_shared<ResNet20FpImpl>(model_cfg);
  if (type == "mlp_bnn") return std::make_shared<BinaryMlpImpl>(model_cfg);
  if (type == "pokebnn") return std::make_shared<PokeBnnImpl>(model_cfg);
  throw std::invalid_argument(
      "model.type must be resnet20_bnn, fracbnn_reactnet, resnet20_fp, resnet20_pg, mlp_bnn or pokebnn; got "
      "\"" +
      type + "\"");
}

}  // namespace bnnkit::train
