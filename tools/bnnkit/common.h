// Helpers shared by the engine commands: feeding uint8 images to a model's first input, and reading logits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"

namespace bnnkit::cli {

// A model file, or (when no such file exists) a zoo architecture of that name with random weights, so
// `bnnkit info pokebnn-1.0x-imagenet` and `bnnkit bench fracbnn-tiny` work without a file.
Model load_model_or_arch(const std::string& path_or_arch);

// The first input's expected image geometry (NHWC without the batch) and dtype; throws if the model's first
// input is not an image tensor.
struct ImageInput {
  int h = 0, w = 0, c = 0;
  DType dtype = DType::kUInt8;
};
ImageInput image_input(const Model& model);

// Copies `count` images (uint8 NHWC, h*w*c bytes each) into input 0 of a session whose batch >= count; unused
// batch slots are zero. Float inputs are normalised with the model's metadata.
void feed_images(Session& session, const ImageInput& in, const uint8_t* images, int count);

// Index of the largest value in each row of the first float output ([N, classes]).
std::vector<int> argmax_rows(const Session& session, int count);

// Name of class k from the model's metadata, or its number.
std::string class_name(const Model& model, int k);

}  // namespace bnnkit::cli
