// Checkpoints: one file holding the model's parameters and buffers, the optimizer state and a JSON "meta"
// string (full config, stage, completed epochs, metrics). Checkpoints and raw state files are written with
// runtime::write_file_atomic (temporary file, fsync, rename, fsync of the folder), so a kill or power cut
// leaves either the old or the new file, never half of one. A file that is damaged anyway (truncated, not a
// checkpoint) is refused with one line naming it, never a crash.
//
// Randomness needs no saved state: the torch generator is used only for initialisation (seeded per stage),
// and every epoch's shuffle and augmentation draw from std::mt19937_64 seeded by (seed, stage, epoch), so a
// resumed run replays exactly the epochs an uninterrupted run would have.
#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "train/models/models.h"

namespace bnnkit::train {

struct Checkpoint {
  Json
      meta;  // {"config": full config, "stage": k, "stage_model": model cfg, "epoch": done, "metrics": {...}}
  std::shared_ptr<ClassifierImpl> model;  // built from meta["stage_model"], weights loaded
};

// Saves model (+ optimizer if non-null) and meta to `path` atomically.
void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const Json& meta);
// Reads only the meta JSON.
Json read_checkpoint_meta(const std::string& path);
// Rebuilds the model from the meta and loads its weights (eval mode).
Checkpoint load_checkpoint(const std::string& path);
// Loads model weights (and optimizer state if non-null) from a checkpoint into existing objects.
void load_checkpoint_into(const std::string& path, torch::nn::Module& model,
                          torch::optim::Optimizer* optimizer);
// Raw state files ("BNNKRAW1"): the meta JSON and every parameter/buffer as named little-endian arrays,
// readable by any LibTorch version (torch archives written by a newer LibTorch may not load in an older one).
// Written by run_training next to each finished stage (<stage>.raw) so a run on another machine can be
// exported here.
//   "BNNKRAW1" | u64 meta_bytes | meta JSON | u64 count | count x { u32 name_len | name | u8 dtype (0 f32, 1
//   i64) | u32 ndim | ndim x i64 dims | data } | u32 CRC-32 of all bytes before it
// (files written before the CRC was added end after the last tensor and are read unchecked; older readers
// ignore the trailer).
void save_state_raw(const std::string& path, const torch::nn::Module& model, const Json& meta);
bool is_raw_state(const std::string& path);
// Loads a raw state file into a model built from its meta (eval mode).
Checkpoint load_state_raw(const std::string& path);
// Copies every parameter/buffer of `src` whose name and shape exist in `dst` (FracBNN recipe: each step
// starts from the last). Returns the number of tensors copied.
int copy_matching_state(const torch::nn::Module& src, torch::nn::Module& dst);

}  // namespace bnnkit::train
