#include "zoo/zoo.h"

#include "bnnkit/error.h"

namespace bnnkit::zoo {

const std::vector<Arch>& archs() {
  static const std::vector<Arch> kArchs = {
      {"fracbnn-tiny", "28x28 thermometer input, binary stem, 2 fractional residual blocks", fracbnn_tiny},
      {"bnn-mlp", "28x28 float input, binary dense 784-256-256, float head", bnn_mlp},
      {"bconv-stack", "28x28 thermometer input, 4 binary convs with bit-packed outputs", bconv_stack},
      {"pokebnn-mnist", "28x28 float input, PokeInit stem, 3 PokeConv bottlenecks, 8-bit head",
       pokebnn_mnist},
      {"pokebnn-0.5x-imagenet", "PokeBNN-0.5x, 224x224x3 (cost and latency)", pokebnn_0_5x_imagenet, true},
      {"pokebnn-0.75x-imagenet", "PokeBNN-0.75x, 224x224x3 (cost and latency)", pokebnn_0_75x_imagenet, true},
      {"pokebnn-1.0x-imagenet", "PokeBNN-1.0x, 224x224x3 (cost and latency)", pokebnn_1_0x_imagenet, true},
      {"pokebnn-2.0x-imagenet", "PokeBNN-2.0x, 224x224x3 (cost and latency)", pokebnn_2_0x_imagenet, true},
      {"fracbnn-cifar10", "32x32x3 FracBNN ResNet-20 (the paper's CIFAR-10 network)", fracbnn_cifar10},
      {"fracbnn-imagenet", "224x224x3 FracBNN ReActNet-A (the paper's ImageNet network)", fracbnn_imagenet,
       true},
  };
  return kArchs;
}

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const Arch& a : archs()) names.push_back(a.name);
  return names;
}

Graph build(const std::string& arch, uint64_t seed) {
  for (const Arch& a : archs())
    if (arch == a.name) return a.build(seed);
  std::string names;
  for (const Arch& a : archs()) names += (names.empty() ? "" : ", ") + std::string(a.name);
  throw Error("unknown architecture '" + arch + "' (known: " + names + ")");
}

}  // namespace bnnkit::zoo
