// bnnkit eval MODEL --data DIR: the engine's accuracy on a labelled IDX split, a per-class confusion matrix,
// throughput, and the gate density of every fractional conv.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "bnnkit/bnnkit.h"
#include "commands.h"
#include "common.h"
#include "io/idx.h"

namespace bnnkit::cli {

int run_eval(const EvalArgs& a) {
  const Model model = Model::load(a.model);
  const std::string dir = a.data.empty() ? io::kDefaultFashionMnistDir : a.data;
  const EvalResult r = evaluate(model, dir, a.split, a.limit, a.batch, a.threads, a.profile);
  const int total = r.total, correct = r.correct, classes = r.classes;
  const auto& confusion = r.confusion;
  const double secs = r.seconds;
  const int threads = r.threads;
  const double acc = static_cast<double>(correct) / total;
  const auto& prof = r.profile;
  if (a.json) {
    nlohmann::json j = {{"model", a.model},
                        {"data", dir},
                        {"split", a.split},
                        {"images", total},
                        {"correct", correct},
                        {"accuracy", acc},
                        {"images_per_s", total / secs},
                        {"confusion", confusion}};
    for (const auto& p : prof)
      if (p.gate_outputs > 0) j["gate_density"][p.name] = static_cast<double>(p.gate_open) / p.gate_outputs;
    j["gated_layers"] = nlohmann::json::parse(gate_rows_json(gate_rows(model, prof)));
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("accuracy %.2f%% (%d/%d) on %s/%s, %.0f images/s with %d thread(s)\n", 100.0 * acc, correct,
              total, dir.c_str(), a.split.c_str(), total / secs, threads);
  std::printf("\nconfusion (rows: true class, columns: predicted)\n%-14s", "");
  for (int k = 0; k < classes; ++k) std::printf(" %5d", k);
  std::printf("   recall\n");
  for (int y = 0; y < classes; ++y) {
    int row = 0;
    for (int k = 0; k < classes; ++k) row += confusion[y][k];
    std::printf("%2d %-11.11s", y, class_name(model, y).c_str());
    for (int k = 0; k < classes; ++k) std::printf(" %5d", confusion[y][k]);
    std::printf("   %5.1f%%\n", row ? 100.0 * confusion[y][y] / row : 0.0);
  }
  print_gate_rows(gate_rows(model, prof));
  return 0;
}

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Accuracy and confusion matrix of a model on a labelled IDX split");
  cmd->add_option("model", args->model, "Model file (.bnn)")->required();
  cmd->add_option("--data", args->data,
                  "Folder with <split>-images/<split>-labels IDX files (default: Fashion-MNIST)");
  cmd->add_option("--split", args->split, "File prefix of the split")->capture_default_str();
  cmd->add_option("--limit", args->limit, "Evaluate only the first N images (0 = all)")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "Images per run")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print machine-readable JSON");
  cmd->add_flag("--profile", args->profile, "Time every op (the gated layers' table then has their time)");
  cmd->callback([args] {
    if (int rc = run_eval(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
