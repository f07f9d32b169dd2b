// Trainer <-> engine agreement on a labelled split: the checkpoint's LibTorch eval and the exported model run
// by the engine, image for image (issue 4: predictions must agree on >= 99.9 % of the 10 000 test images).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bnnkit::train {

struct ParityReport {
  // One fractional conv: outputs that took the LSB pass in the engine (its kernel's count) and in the trainer
  // (its gate tensor), over the same images.
  struct LayerGates {
    std::string name;
    int64_t engine_open = 0, trainer_open = 0, outputs = 0;
  };
  std::vector<LayerGates> layers;
  int64_t images = 0, agree = 0;
  double engine_accuracy = 0.0, trainer_accuracy = 0.0, engine_images_per_s = 0.0, max_logit_diff = 0.0;
  double gate_density = -1.0;  // engine: open gates / outputs over every fractional conv
};

// Runs both on the test split of `data_dir` (all images when limit <= 0) with `threads` engine threads.
ParityReport check_parity(const std::string& checkpoint, const std::string& model_path,
                          const std::string& data_dir, int64_t limit, int threads);

}  // namespace bnnkit::train
