// Checkpoint -> bnnkit::Graph -> model file. The only code that knows both LibTorch and the engine's graph.
//
// What each trainer construct becomes (the eval-mode arithmetic of the trainer, op for op):
//   Thermometer(levels)                  Thermometer (uint8 NHWC input; channel c*levels + i)
//   BinaryConv2d + BatchNorm             BConv2d, weights sign(W) packed [OC,KH,KW,IC], FloatStage with the
//                                        BatchNorm's folded (scale, bias) (alpha folded in when present)
//   QuantSign2 + FracConv2d + BatchNorm  Quant2Bit -> FracConv2d with gate_threshold[o] = the integer t such
//                                        that D_msb > t <=> float(D_msb) * float(2/3) > theta[o] (fold_gate_
//                                        threshold, evaluated in float32 like the trainer), FloatStage
//   QuantSign2 + BinaryConv2d (step 1-2) FracConv2d with every gate open (t = -k_max - 1): acc =
//   2*D_msb+D_lsb SignSte + BinaryConv2d               SignQuant -> BConv2d BinaryDense + BatchNorm + sign
//   BConv2d whose kernel covers the whole input (the engine's Flatten is
//                                        float-only), BitsStage: (threshold, flip) from fold_sign_threshold
//                                        on y(acc) = float(acc) * scale + bias, exact for every integer acc
//   RPReLU, BatchNorm (float), add       RPReLU, Affine, Add;  avg_pool2 -> AvgPool 2x2/2; cat(x,x) ->
//   ChannelDup global mean + Linear head            GlobalAvgPool -> Dense
// Real-valued inputs are float32 NHWC tensors normalised as x = (p/255 - mean)/std (metadata input_mean/std).
// Metadata: the config JSON ("config"), the final metrics ("metrics"), the stage, class names.
// ExportOptions::int32_taps adds, for every binary layer, a twin op with an Int32 stage whose output is a
// graph output named "<layer>.acc" (the parity test compares these with the trainer's integer accumulators).
#pragma once

#include <string>

#include "bnnkit/graph.h"
#include "train/models/models.h"

namespace bnnkit::train {

struct ExportOptions {
  /// Also output every binary layer's raw int32 accumulator as "<layer>.acc".
  bool int32_taps = false;
};

// Builds the graph of a trained model. `meta` is the checkpoint's meta JSON (config, metrics, stage); it may
// be an empty object. Throws std::invalid_argument for models that cannot be exported (e.g. real weights).
Graph export_graph(ClassifierImpl& model, const Json& meta, const ExportOptions& options = {});

// Builds the model of a config file (its "model" object must give input_shape and num_classes) with random
// weights from `seed`, exports it and writes `model_path` atomically: an architecture definition for cost and
// latency (e.g. configs/pokebnn_1.0x_imagenet.json). Returns a one-line summary.
std::string export_config(const std::string& config_path, uint64_t seed, const std::string& model_path,
                          const ExportOptions& options = {});

// Loads a checkpoint, exports it and writes `model_path` atomically. Returns a one-line summary.
std::string export_checkpoint(const std::string& checkpoint_path, const std::string& model_path,
                              const ExportOptions& options = {});

}  // namespace bnnkit::train
