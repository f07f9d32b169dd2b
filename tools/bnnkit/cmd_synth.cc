// bnnkit synth ARCH -o MODEL.bnn: a model with random weights (benchmarks, tests, demos).
#include <cstdio>

#include "bnnkit/bnnkit.h"
#include "commands.h"
#include "zoo/zoo.h"

namespace bnnkit::cli {

int run_synth(const SynthArgs& a) {
  const Graph g = zoo::build(a.arch, a.seed);
  save_model(g, a.out);
  std::printf("wrote %s (%s, %zu ops, random weights, seed %llu)\n", a.out.c_str(), a.arch.c_str(),
              g.ops.size(), static_cast<unsigned long long>(a.seed));
  return 0;
}

void add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  std::string help = "Write a zoo architecture with random weights:";
  for (const zoo::Arch& z : zoo::archs()) help += std::string("\n  ") + z.name + ": " + z.about;
  auto* cmd = app.add_subcommand("synth", help);
  cmd->add_option("arch", args->arch, "Architecture")->required();
  cmd->add_option("-o,--out", args->out, "Output model file")->required();
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->callback([args] {
    if (int rc = run_synth(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
