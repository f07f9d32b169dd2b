#include "zoo/zoo.h"

#include "bnnkit/error.h"

namespace bnnkit::zoo {

const std::vector<Arch>& archs() {
  static const std::vector<Arch> kArchs = {
      {"fracbnn-tiny", "28x28 thermometer input, binary stem, 2 fractional residual blocks", fracbnn_tiny},
      {"bnn-mlp", "28x28 float input, binary dense 784-256-256, float head", bnn_mlp},
      {"bconv-stack", "28x28 thermometer input, 4 binary convs with bit-packed outputs", bconv_stack},
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
