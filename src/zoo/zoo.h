// The model zoo: architectures defined with the public GraphBuilder and filled with random weights (fixed
// seed), for benchmarks, cost reports (`bnnkit info <arch>`), tests and demos before a trained model exists.
// Folded batch-norm parameters are scaled so activations stay in a useful range (neither all +1 nor all -1).
//
// To add an architecture: write its builder in its own file in this folder and add one line to kArchs in
// zoo.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::zoo {

struct Arch {
  const char* name;
  const char* about;  // one line for --help and errors
  Graph (*build)(uint64_t seed);
  // ImageNet-shape: billions of MACs per image. Tests that run every architecture many times (thread
  // counts, ISAs, batches, round trips) take small_arch_names() and test these once on their own.
  bool large = false;
};

// Every architecture, in the order `bnnkit synth --help` lists them.
const std::vector<Arch>& archs();
// Names of the architectures that are not `large`.
inline std::vector<std::string> small_arch_names() {
  std::vector<std::string> names;
  for (const Arch& a : archs())
    if (!a.large) names.push_back(a.name);
  return names;
}
// Names of all architectures.
std::vector<std::string> arch_names();
// Builds `arch` with random weights. Throws bnnkit::Error for an unknown name.
Graph build(const std::string& arch, uint64_t seed = 1);

// Small 28×28 models (tiny.cc).
Graph fracbnn_tiny(uint64_t seed);  // thermometer → binary stem → 2 fractional residual blocks → head
Graph bnn_mlp(uint64_t seed);       // float → sign → binary dense 784→256→256 → float head
Graph bconv_stack(uint64_t seed);   // thermometer → four binary convs, bit-packed between, both paddings

// PokeBNN (pokebnn.cc; papers.md §3.3, google/aqt aqt/jax_legacy/jax/imagenet/pokebnn.py): PokeInit (8-bit
// k×k/k conv + BN + DPReLU, 8-bit grouped 3×3 conv + BN + DPReLU), ResNet-50-style bottlenecks of three
// PokeConvs (binary 1×1, 3×3 with the stage's stride, 1×1 to 4× the width), global mean, 8-bit dense head.
struct PokeBnnConfig {
  std::string name;
  int image_h = 224, image_w = 224, image_c = 3;
  int stem_kernel = 4;     // PokeInit conv: stem_kernel × stem_kernel, stride stem_kernel, no padding
  int init_group = 32;     // its output channels, and the groups of the grouped 3×3 conv that follows
  int init_features = 64;  // output channels of the grouped 3×3 conv (not scaled by the multiplier)
  std::vector<int> blocks = {3, 4, 6, 3};           // bottleneck blocks per stage
  std::vector<int> features = {64, 128, 256, 512};  // bottleneck width per stage, before the multiplier
  double multiplier = 1.0;                          // PokeBNN's filter_multiplier: width = int(f × m)
  int classes = 1000;
  std::vector<std::string> class_names;      // empty: numbered
  std::vector<float> input_mean, input_std;  // input normalisation (ModelMetadata)
};
// The ImageNet PokeBNN with filter multiplier `multiplier` (224×224×3 float input, 1000 classes).
PokeBnnConfig pokebnn_imagenet_config(double multiplier);
// The 28×28×1 PokeBNN for Fashion-MNIST: 2×2/2 stem to 14×14, three stages of one bottleneck (widths 16, 32,
// 64 × multiplier; 14 → 7 → 4), 10 classes.
PokeBnnConfig pokebnn_mnist_config(double multiplier = 1.0);
// Builds `config` with random weights (quantised layers hold values on their bit-width's grid).
Graph pokebnn(const PokeBnnConfig& config, uint64_t seed);

Graph pokebnn_mnist(uint64_t seed);
Graph pokebnn_0_5x_imagenet(uint64_t seed);
Graph pokebnn_0_75x_imagenet(uint64_t seed);
Graph pokebnn_1_0x_imagenet(uint64_t seed);
Graph pokebnn_2_0x_imagenet(uint64_t seed);

// The FracBNN paper's networks (fracbnn.cc, papers.md §2.4).
Graph fracbnn_cifar10(uint64_t seed);   // 32×32×3 ResNet-20 variant: 3 stages × 3 blocks, fractional convs
Graph fracbnn_imagenet(uint64_t seed);  // 224×224×3 ReActNet-A variant: 13 blocks, 4-bit shortcuts

}  // namespace bnnkit::zoo
