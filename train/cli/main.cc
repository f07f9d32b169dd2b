// bnnkit-train: the LibTorch half of the bnnkit CLI. `bnnkit train ...` and `bnnkit export ...` forward here,
// so the engine-only `bnnkit` binary never loads LibTorch.
//
//   bnnkit-train train --config FILE [--data DIR] [--epochs N] [--out DIR] [--threads N] [--fresh] [--quiet]
//   bnnkit-train export CHECKPOINT -o MODEL.bnn [--int32-taps]
//   bnnkit-train export --config CONFIG.json [--seed N] -o MODEL.bnn     (the architecture, random weights)
//   bnnkit-train parity CHECKPOINT MODEL.bnn [--data DIR] [--limit N] [--threads N]
//   bnnkit-train compare [--archs A,B] [--threads 1,2] [--batch 1,8] [--iters N] [--json]
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include "train/recipes/trainer.h"
#if BNNKIT_TRAIN_HAVE_EXPORT
#include "train/export/exporter.h"
#include "train/export/parity.h"
#endif
#if BNNKIT_TRAIN_HAVE_COMPARE
#include "train/compare/compare.h"
#endif

namespace {

struct TrainArgs {
  std::string config, data, out;
  int epochs = 0, threads = 0;
  bool fresh = false, quiet = false;
  std::string device = "cpu";
  int stop_after_epochs = 0;  // hidden test hook, see run_train
};

int run_train(const TrainArgs& a) {
  bnnkit::train::TrainOptions o;
  o.config = bnnkit::train::load_config(a.config);
  o.data_dir = a.data;
  o.out_dir = a.out;
  o.epochs = a.epochs;
  o.threads = a.threads;
  o.fresh = a.fresh;
  o.quiet = a.quiet;
  o.device = a.device;
  if (a.stop_after_epochs > 0) {
    // Freezes the process (SIGSTOP) after that many epochs, with their log rows and checkpoints on disk, so
    // that train/tests/resume_test.cc can SIGKILL it at a known point and check the resumed run.
    o.after_epoch = [done = 0, stop = a.stop_after_epochs](int, int64_t) mutable {
      if (++done == stop) std::raise(SIGSTOP);
    };
  }
  const auto r = bnnkit::train::run_training(o);
  std::printf("test accuracy %.2f%%\n", 100.0 * r.accuracy);
  return 0;
}

struct ExportArgs {
  std::string checkpoint, output, config;
  uint64_t seed = 1;
  bool int32_taps = false;
};

int run_export(const ExportArgs& a) {
#if BNNKIT_TRAIN_HAVE_EXPORT
  bnnkit::train::ExportOptions o;
  o.int32_taps = a.int32_taps;
  if (a.checkpoint.empty() == a.config.empty()) {
    std::fprintf(stderr, "bnnkit-train export: give either a checkpoint or --config\n");
    return 2;
  }
  const auto summary = a.config.empty() ? bnnkit::train::export_checkpoint(a.checkpoint, a.output, o)
                                        : bnnkit::train::export_config(a.config, a.seed, a.output, o);
  std::printf("%s\n", summary.c_str());
  return 0;
#else
  std::fprintf(stderr, "bnnkit-train: this build has no exporter (include/bnnkit/graph.h was missing)\n");
  return 2;
#endif
}

struct ParityArgs {
  std::string checkpoint, model, data = "/usr/share/datasets/fashion-mnist";
  int64_t limit = 0;
  int threads = 0;
};

int run_parity(const ParityArgs& a) {
#if BNNKIT_TRAIN_HAVE_EXPORT
  const auto r = bnnkit::train::check_parity(a.checkpoint, a.model, a.data, a.limit, a.threads);
  std::printf(
      "%lld images: engine accuracy %.2f%%, LibTorch eval %.2f%%, predictions agree on %lld (%.3f%%), max "
      "|logit "
      "diff| %.3g, engine %.0f img/s%s\n",
      static_cast<long long>(r.images), 100 * r.engine_accuracy, 100 * r.trainer_accuracy,
      static_cast<long long>(r.agree),
      100.0 * static_cast<double>(r.agree) / static_cast<double>(std::max<int64_t>(r.images, 1)),
      r.max_logit_diff, r.engine_images_per_s,
      r.gate_density >= 0 ? (", gate density " + std::to_string(r.gate_density)).c_str() : "");
  if (!r.layers.empty()) {
    std::printf("\nfractional convs: outputs that took the LSB pass\n  %-18s %10s %10s  %s\n", "layer",
                "engine", "LibTorch", "");
    for (const auto& l : r.layers) {
      const double n = static_cast<double>(std::max<int64_t>(l.outputs, 1));
      std::printf("  %-18s %9.4f%% %9.4f%%  %s\n", l.name.c_str(),
                  100.0 * static_cast<double>(l.engine_open) / n,
                  100.0 * static_cast<double>(l.trainer_open) / n,
                  l.engine_open == l.trainer_open ? "equal" : "DIFFERENT");
    }
  }
  return 0;
#else
  std::fprintf(stderr, "bnnkit-train: this build has no engine (include/bnnkit/graph.h was missing)\n");
  return 2;
#endif
}

#if BNNKIT_TRAIN_HAVE_COMPARE
struct CompareArgs {
  bnnkit::train::CompareOptions options;
  bool json = false, quiet = false, no_twin = false, no_mobilenet = false;
};

int run_compare(CompareArgs& a) {
  a.options.twin = !a.no_twin;
  a.options.mobilenet = !a.no_mobilenet;
  if (!a.quiet)
    a.options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const auto r = bnnkit::train::run_compare(a.options);
  if (a.json) {
    std::printf("%s\n", bnnkit::train::compare_json(r).dump(2).c_str());
  } else {
    std::printf("%s", bnnkit::train::format_compare(r).c_str());
  }
  return 0;
}

void add_compare_command(CLI::App& app) {
  auto cargs = std::make_shared<CompareArgs>();
  auto& o = cargs->options;
  auto* cmp = app.add_subcommand(
      "compare", "Time zoo models on the engine against LibTorch fp32 (same-architecture twin, MobileNetV2)");
  cmp->add_option("--archs", o.archs, "Zoo architectures, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmp->add_option("--threads", o.threads, "Thread counts, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmp->add_option("--batch", o.batches, "Batch sizes, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmp->add_option("--iters", o.iters, "Timed runs per measurement (at most)")->capture_default_str();
  cmp->add_option("--warmup", o.warmup, "Untimed runs first")->capture_default_str();
  cmp->add_option("--max-seconds", o.max_seconds, "Stop a measurement after this much timed work (>= 3 runs)")
      ->capture_default_str();
  cmp->add_option("--torch-layout", o.layout, "LibTorch memory format: nhwc (channels-last) or nchw")
      ->capture_default_str();
  cmp->add_flag("--no-twin", cargs->no_twin, "Skip the fp32 same-architecture twins");
  cmp->add_flag("--no-mobilenet", cargs->no_mobilenet, "Skip MobileNetV2");
  cmp->add_flag("--json", cargs->json, "Print machine-readable JSON");
  cmp->add_flag("--quiet", cargs->quiet, "No progress lines on stderr");
  cmp->callback([cargs] {
    if (int rc = run_compare(*cargs)) throw CLI::RuntimeError(rc);
  });
}
#endif

}  // namespace

// LibTorch's OpenMP workers spin-wait between parallel regions by default. On a machine whose cores are also
// busy (a build, a second job) that makes training up to 10x slower (measured here: 55 vs 566 images/s with 2
// threads on 2 loaded cores), so the training, export and parity commands wait passively unless the user
// chose a policy. libgomp reads OMP_WAIT_POLICY when it is loaded, before main: the process re-executes
// itself once with the variable set. `compare` keeps the default: it times LibTorch as users run it.
void prefer_passive_omp_wait(int argc, char** argv) {
  if (argc < 2 || std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  const std::string cmd = argv[1];
  if (cmd != "train" && cmd != "export" && cmd != "parity") return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

int main(int argc, char** argv) {
  prefer_passive_omp_wait(argc, argv);
  CLI::App app{"bnnkit-train: train binary neural networks with LibTorch and export them to .bnn"};
  app.require_subcommand(1);

  auto targs = std::make_shared<TrainArgs>();
  auto* train =
      app.add_subcommand("train", "Train a model from a JSON config (resumes from --out/checkpoint.pt)");
  train->add_option("--config", targs->config, "JSON config (configs/*.json)")
      ->required()
      ->check(CLI::ExistingFile);
  train->add_option("--data", targs->data,
                    "Directory with an IDX pair train-*/t10k-* (gz or not) or CIFAR-10 .bin");
  train->add_option("--epochs", targs->epochs, "Epochs per stage (overrides the config)");
  train->add_option("--out", targs->out, "Output directory (default runs/<name>)");
  train->add_option("--threads", targs->threads, "Threads (0 = all cores)");
  train->add_flag("--fresh", targs->fresh, "Ignore an existing checkpoint in the output directory");
  train->add_flag("--quiet", targs->quiet, "No progress bar");
  train->add_option("--device", targs->device, "cpu or cuda (needs a CUDA-enabled LibTorch)");
  train->add_option("--stop-after-epochs", targs->stop_after_epochs)->group("");  // test hook (hidden)
  train->callback([targs] {
    if (int rc = run_train(*targs)) throw CLI::RuntimeError(rc);
  });

  auto eargs = std::make_shared<ExportArgs>();
  auto* exp = app.add_subcommand(
      "export", "Export a checkpoint (or a config's architecture with random weights) to a .bnn model file");
  exp->add_option("checkpoint", eargs->checkpoint, "Checkpoint (.pt) written by train")
      ->check(CLI::ExistingFile);
  exp->add_option("--config", eargs->config,
                  "Instead of a checkpoint: the architecture of this config (its model object must give "
                  "input_shape and num_classes), with random weights")
      ->check(CLI::ExistingFile);
  exp->add_option("--seed", eargs->seed, "Random-weight seed for --config");
  exp->add_option("-o,--output", eargs->output, "Model file to write")->required();
  exp->add_flag("--int32-taps", eargs->int32_taps,
                "Debug: also output every binary layer's int32 accumulator as <layer>.acc");
  exp->callback([eargs] {
    if (int rc = run_export(*eargs)) throw CLI::RuntimeError(rc);
  });

  auto pargs = std::make_shared<ParityArgs>();
  auto* par =
      app.add_subcommand("parity", "Compare a checkpoint (LibTorch eval) with its exported model (engine)");
  par->add_option("checkpoint", pargs->checkpoint, "Checkpoint (.pt or .raw)")
      ->required()
      ->check(CLI::ExistingFile);
  par->add_option("model", pargs->model, "Exported .bnn")->required()->check(CLI::ExistingFile);
  par->add_option("--data", pargs->data, "Directory with t10k-* IDX files (or CIFAR-10 test_batch.bin)");
  par->add_option("--limit", pargs->limit, "Only the first N test images");
  par->add_option("--threads", pargs->threads, "Engine threads (0 = all cores)");
  par->callback([pargs] {
    if (int rc = run_parity(*pargs)) throw CLI::RuntimeError(rc);
  });

#if BNNKIT_TRAIN_HAVE_COMPARE
  add_compare_command(app);
#endif

  try {
    CLI11_PARSE(app, argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnnkit-train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
