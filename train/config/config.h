// The trainer's JSON config (configs/*.json): parsing and validation. No LibTorch here, so the config fuzz
// target (fuzz/fuzz_config.cc) and the engine's test suite link it without the trainer.
//
// Keys ("model" is required, everything else optional; defaults in brackets):
//   "name"         run name and default output folder runs/<name> ["run"]: letters, digits, '_', '-', '.'
//   "description"  free text, copied into exported models
//   "data"         {"dir" [/usr/share/datasets/fashion-mnist], "train_subset", "test_subset" (only the first
//   N
//                   images; 0 = all) [0], "crop_pad" [0], "flip" [false], "class_names"}
//   "model"        {"type": "resnet20_bnn" | "resnet20_fp" | "mlp_bnn", ...}; each type's keys are in
//                   kModelKeys (config.cc) and models.h; "input_shape" [C, H, W] / "num_classes" come from
//                   the data when absent
//   "train"        {"epochs" [1], "batch_size" [128], "optimizer": "adam" | "sgd" ["adam"], "lr" [1e-3],
//                   "weight_decay" [0], "momentum" [0.9], "schedule": "linear" | "step" | "constant"
//                   ["linear"], "milestones" (epochs) [], "gamma" [0.1], "seed" [1], "eval_batch_size"
//                   [1000], "checkpoint_every" (epochs; the end of a stage always writes one) [1]}
//   "distill"      {"teacher": checkpoint path, "alpha": weight of KL (1 - alpha on CE) [1], "temperature"
//   [1]} "stages"       [{"name", "model": {...overrides}, "train": {...overrides}}, ...]: run in order, each
//                   initialised from the previous stage's weights (the FracBNN 3-step recipe). Without
//                   "stages" the config is one stage named "train". Stage names are file names (<stage>.pt).
//   "resolved_stages"  written by the trainer into its copy of the config; ignored (recomputed) when read.
//
// Every problem is one bnnkit::Error line naming the config and the key: an unknown key (with the closest
// known key when one is near), a wrong type, a value out of range or not among the choices, JSON syntax.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace bnnkit::train {

using Json = nlohmann::json;

// Parses (comments allowed) and validates config text; `origin` names it in errors (a path). Returns the
// config without "resolved_stages".
Json parse_config(std::string_view text, const std::string& origin);
// Reads a config file and parses it (errors name the path).
Json load_config(const std::string& path);
// Validates an already parsed config (the checks of parse_config).
void validate_config(const Json& config, const std::string& origin);

// The stage list of a valid config: each element {"name", "model", "train"} fully merged.
Json resolve_stages(const Json& config);

}  // namespace bnnkit::train
