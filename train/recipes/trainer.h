// The training loop: config -> data -> (stages of) training -> checkpoints, CSV log, progress. The config's
// keys are documented in train/config/config.h.
//
// Output directory: checkpoint.pt (latest; resumed automatically unless `fresh`), <stage>.pt and <stage>.raw
// (each finished stage; .raw is the LibTorch-version-independent state, see checkpoint.h), log.csv (one row
// per epoch), config.json (the resolved config), latest.raw (the last checkpointed epoch's raw state).
// Without checkpoint.pt but with a latest.raw (copied from a run on another machine), training continues
// after that epoch.
//
// Every file is replaced atomically and durably (runtime::write_file_atomic), the log included: it is
// rewritten whole each epoch, so a reader never sees half a row. An epoch's log row is written before its
// checkpoint; a resumed run drops the rows after its checkpoint and replays those epochs, so the log of a
// killed and resumed run equals an uninterrupted run's (timings aside). Resuming from checkpoint.pt is exact:
// weights, BatchNorm statistics, optimizer state, LR-schedule position and data order are those the
// uninterrupted run would have had (train/tests/resume_test.cc checks it bit for bit).
#pragma once

#include <functional>
#include <string>

#include "train/config/config.h"
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
  // Called at the end of each epoch (stage index, epochs done in that stage), once its log row and checkpoint
  // (if one was due) are on disk.
  std::function<void(int stage, int64_t epoch)> after_epoch;
};

struct EvalResult {
  double loss = 0.0, accuracy = 0.0, gate_density = -1.0;
  int64_t count = 0;
};

// Runs every stage; returns the final test metrics. Validates options.config (validate_config). Throws
// std::runtime_error / std::invalid_argument (bnnkit::Error for the config) with a message naming the
// problem.
EvalResult run_training(const TrainOptions& options);

// Evaluates a model (eval mode, no grad) on a dataset.
EvalResult evaluate(ClassifierImpl& model, const Dataset& data, int64_t batch_size = 1000);

// Logits of the model (eval mode) for a batch of uint8 images.
torch::Tensor predict(ClassifierImpl& model, const torch::Tensor& images, int64_t batch_size = 1000);

// Fills model.input_shape / num_classes from a dataset when absent.
void complete_model_config(Json& model_cfg, const Dataset& data);

}  // namespace bnnkit::train
