// The training loop: config -> data -> (stages of) training -> checkpoints, CSV log, progress.
//
// Config (configs/*.json):
//   "name"     run name
//   "data"     {"dir", "train_subset", "test_subset", "crop_pad", "flip", "class_names"}
//   "model"    see models.h ("input_shape"/"num_classes" are filled from the data when absent)
//   "train"    {"epochs", "batch_size", "optimizer": "adam"|"sgd", "lr", "weight_decay", "momentum",
//               "schedule": "linear"|"step"|"constant", "milestones", "gamma", "seed", "eval_batch_size",
//               "checkpoint_every"}
//   "distill"  optional {"teacher": checkpoint path, "alpha": weight of KL (1 - alpha on CE), "temperature"}
//   "stages"   optional list of {"name", "model": {...overrides}, "train": {...overrides}}: run in order,
//   each
//              initialised from the previous stage's weights (the FracBNN 3-step recipe, papers.md §2.5).
//              Without "stages" the config is one stage.
// Output directory: checkpoint.pt (latest; resumed automatically unless `fresh`), <stage>.pt and <stage>.raw
// (each finished stage; .raw is the LibTorch-version-independent state, see checkpoint.h), log.csv (one row
// per epoch), config.json (the resolved config), latest.raw (the last epoch's raw state). Without
// checkpoint.pt but with a latest.raw (copied from a run on another machine), training continues after that
// epoch.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "train/data/dataset.h"
#include "train/models/models.h"

namespace bnnkit::train {

struct TrainOptions {
  Json config;
  std::string data_dir;  // overrides config.data.dir when non-empty
  std::string out_dir;   // overrides "runs/<name>" when non-empty
  int epochs = 0;        // > 0: overrides the epochs of every stage
  int threads = 0;       // 0: all cores
  bool fresh = false;    // ignore an existing checkpoint in out_dir
  bool quiet = false;    // no progress bar (epoch lines only)
  std::string device =
      "cpu";  // "cpu" or "cuda" (a CUDA-enabled LibTorch); checkpoints are written from CPU copies
};

struct EvalResult {
  double loss = 0.0, accuracy = 0.0, gate_density = -1.0;
  int64_t count = 0;
};

// Runs every stage; returns the final test metrics. Throws std::runtime_error / std::invalid_argument with a
// message naming the problem.
EvalResult run_training(const TrainOptions& options);

// Evaluates a model (eval mode, no grad) on a dataset.
EvalResult evaluate(ClassifierImpl& model, const Dataset& data, int64_t batch_size = 1000);

// Logits of the model (eval mode) for a batch of uint8 images.
torch::Tensor predict(ClassifierImpl& model, const torch::Tensor& images, int64_t batch_size = 1000);

// Reads and validates a JSON config file.
Json load_config(const std::string& path);

// The stage list of a config: each element {"name", "model", "train"} fully merged.
Json resolve_stages(const Json& config);

// Fills model.input_shape / num_classes from a dataset when absent.
void complete_model_config(Json& model_cfg, const Dataset& data);

}  // namespace bnnkit::train
