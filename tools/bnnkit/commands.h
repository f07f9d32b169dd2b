// The bnnkit command-line tool: one file per subcommand (CLI11's subcommands-in-files pattern). Each command
// has an options struct, `add_<name>_command` binding flags to it, and `run_<name>` doing the work through
// the public API only, so the work can be tested without parsing. Errors are bnnkit::Error; main prints one
// line and exits 1.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace bnnkit::cli {

struct InfoArgs {
  std::string model;
  bool json = false;
  std::string profile;  // `bnnkit bench --profile --json` output: measured gate densities of fractional convs
};
int run_info(const InfoArgs& a);
void add_info_command(CLI::App& app);

struct RunArgs {
  std::string model, images;
  int count = 10;  // images to classify from an IDX file
  int top = 3;
  int threads = 0;
  bool profile = false;  // per gated layer: density, effective bits, time
};
int run_run(const RunArgs& a);
void add_run_command(CLI::App& app);

struct BenchArgs {
  std::string model;
  int batch = 1, threads = 0, iters = 50, warmup = 5;
  std::string isa;
  std::string images;           // real images (IDX/PNG) instead of random inputs: realistic gate densities
  std::string gates = "model";  // model | open | closed: force every gate (latency of the dense/1-bit model)
  bool profile = false, json = false;
};
int run_bench(const BenchArgs& a);
void add_bench_command(CLI::App& app);

struct EvalArgs {
  std::string model;
  std::string data;  // folder with an IDX pair (default: the Debian Fashion-MNIST package)
  std::string split = "t10k";
  int limit = 0, batch = 100, threads = 0;
  bool json = false, profile = false;
};
int run_eval(const EvalArgs& a);
void add_eval_command(CLI::App& app);

struct ParetoArgs {
  std::vector<std::string> models;
  std::string data, split = "t10k", svg;
  int limit = 0, batch = 100, threads = 0;
  bool json = false;
};
int run_pareto(const ParetoArgs& a);
void add_pareto_command(CLI::App& app);

struct SynthArgs {
  std::string arch, out;
  uint64_t seed = 1;
};
int run_synth(const SynthArgs& a);
void add_synth_command(CLI::App& app);

struct HlsArgs {
  std::string model, out;
  int pack = 64, parallel = 16;
  std::string top = "bnn_top";
};
int run_hls(const HlsArgs& a);
void add_hls_command(CLI::App& app);

// `bnnkit train` and `bnnkit export` run the LibTorch trainer binary `bnnkit-train` installed next to
// `bnnkit`, so the engine's commands never load LibTorch.
void add_trainer_commands(CLI::App& app, const std::string& argv0);

}  // namespace bnnkit::cli
