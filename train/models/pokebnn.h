// "pokebnn": PokeBNN (papers.md §3.3) for any H x W x C input, the topology of src/zoo/pokebnn.cc:
//
//   PokeInit   x = normalise(pixels); 8-bit stem_kernel x stem_kernel / stem_kernel conv -> BN -> DPReLU;
//              8-bit grouped 3x3 conv (init_group groups) to init_features -> BN -> DPReLU
//   stages     per stage s, stage_blocks[s] bottlenecks of three PokeConvs (poke.h): 1x1 to f, 3x3 with the
//              stage's stride (2 on the first block of every stage but the first) to f, 1x1 to 4 f, where
//              f = int(features[s] * multiplier); the third takes the bottleneck's input as its long shortcut
//   head       global mean -> 8-bit dense (bias) -> classes
//
// Config keys (all optional but input_shape/num_classes): multiplier (1.0), stage_blocks ([1, 1, 1]),
// features ([16, 32, 64]), stem_kernel (2), init_group (16), init_features (32), act_clip (3.0: the 1-bit
// quantiser's clipping bound), image_bound (3), act_bound (4), se_in_bound (2), se_mid_bound (4): the
// quantiser ranges, input_mean / input_std (normalisation, default none: p / 255). The defaults are the
// zoo's "pokebnn-mnist"; PokeBNN-1.0x on ImageNet is input_shape [3, 224, 224], stage_blocks [3, 4, 6, 3],
// features [64, 128, 256, 512], stem_kernel 4, init_group 32, init_features 64, num_classes 1000
// (configs/pokebnn_1.0x_imagenet.json).
#pragma once

#include <string>
#include <vector>

#include "train/models/models.h"
#include "train/nn/poke.h"

namespace bnnkit::train {

class PokeBnnImpl : public ClassifierImpl {
 public:
  explicit PokeBnnImpl(const Json& cfg);
  torch::Tensor forward(const torch::Tensor& images) override;

  struct Bottleneck {
    PokeConv conv[3] = {nullptr, nullptr, nullptr};
    std::string name;  // "res<i>"; its convs are "res<i>-1", "-2", "-3"
  };

  Json cfg;
  PokeQuant quant;
  int64_t stem_kernel = 2, init_group = 16;
  QuantConv2d init_conv{nullptr}, init_group_conv{nullptr};
  BatchNorm init_bn{nullptr}, init_group_bn{nullptr};
  DPReLU init_act{nullptr}, init_group_act{nullptr};
  std::vector<Bottleneck> blocks;
  QuantConv2d fc{nullptr};  // 1x1 on the pooled [N, C, 1, 1] map: the engine's Dense
};

}  // namespace bnnkit::train
