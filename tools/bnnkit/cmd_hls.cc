// bnnkit hls MODEL -o DIR: HLS C++ for the model (src/hw/hls_gen.h): model.h, model.cc, weights.h and a
// C-simulation testbench tb.cc whose g++ build reproduces the engine's logits bit for bit.
#include <cstdio>

#include "bnnkit/bnnkit.h"
#include "commands.h"
#include "common.h"
#include "hw/hls_gen.h"

namespace bnnkit::cli {

int run_hls(const HlsArgs& a) {
  const Model model = load_model_or_arch(a.model);
  const hw::HlsResult r =
      hw::generate_hls(model.graph(), a.out, {.pack_bits = a.pack, .out_parallel = a.parallel, .top = a.top});
  std::printf(
      "wrote %s: %d binary layers on one engine (%d-bit words, %d output channels per pass), %d ops fused "
      "into stage loops, %lld weight words, %lld parameters\n",
      a.out.c_str(), r.conv_layers, a.pack, a.parallel, r.fused_ops, static_cast<long long>(r.weight_words),
      static_cast<long long>(r.params));
  std::printf(
      "C-simulation: g++ -std=c++17 -O2 -ffp-contract=off %s/model.cc %s/tb.cc -o tb && ./tb IMAGES.idx\n",
      a.out.c_str(), a.out.c_str());
  return 0;
}

void add_hls_command(CLI::App& app) {
  auto args = std::make_shared<HlsArgs>();
  auto* cmd = app.add_subcommand(
      "hls", "Generate HLS C++ (model, packed weights, testbench) for an FPGA accelerator");
  cmd->add_option("model", args->model, "Model file (.bnn) or zoo architecture name")->required();
  cmd->add_option("-o,--out", args->out, "Output folder")->required();
  cmd->add_option("--pack", args->pack, "Input channels per word: 64 or 32")->capture_default_str();
  cmd->add_option("--parallel", args->parallel, "Output channels per engine pass (power of two)")
      ->capture_default_str();
  cmd->add_option("--top", args->top, "Name of the top function")->capture_default_str();
  cmd->callback([args] {
    if (int rc = run_hls(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
