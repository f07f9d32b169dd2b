// `bnnkit info --hw`: the FracBNN FPGA engine model's per-layer cycles, FPS and memory next to ACE
// (src/hw/engine_model.h). Kept apart from cmd_info.cc, which only adds the options and calls this.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "bnnkit/bnnkit.h"

namespace bnnkit::cli {

struct HwInfoArgs {
  bool enabled = false;            // --hw
  std::string design = "cifar10";  // preset: cifar10 | imagenet (the published accelerators) | hls
  double clock_mhz = 0;            // 0: the preset's
  int pack = 0, parallel = 0;      // 0: the preset's
  int row_tile = -1;               // -1: the preset's
  bool weights_on_chip = false, weights_in_ddr = false, lsb_skip = false;
  double density = -1;     // gate density for every fractional conv; -1: measure (with --lsb-skip)
  int density_images = 2;  // random images the engine runs to measure densities
};

// Adds --hw and its parameters to `cmd`.
void add_hw_info_options(CLI::App* cmd, HwInfoArgs& a);

// Prints the hardware table (or, with json, one JSON document with the hardware report and ACE per layer).
int run_hw_info(const Model& model, const HwInfoArgs& a, bool json);

}  // namespace bnnkit::cli
