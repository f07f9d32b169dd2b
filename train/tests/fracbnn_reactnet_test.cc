// FracBNN's ImageNet topology in the trainer (issue 7): the exported graph of the "fracbnn_reactnet" model
// with configs/fracbnn_imagenet.json's shape is the zoo's fracbnn-imagenet, layer for layer in cost. Its
// trainer/engine parity on a 28x28 version is Parity.FracBnnReActNet (parity_test.cc).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "bnnkit/cost.h"
#include "train/config/config.h"
#include "train/export/exporter.h"
#include "train/models/models.h"
#include "train/tests/model_errors.h"
#include "zoo/zoo.h"

namespace bnnkit::train {
namespace {

TEST(FracBnnReActNet, ImageNetDefinitionIsTheZoosNetwork) {
  const Json config = load_config(std::string(BNNKIT_SOURCE_DIR) + "/configs/fracbnn_imagenet.json");
  auto m = build_model(config.at("model"));
  const ModelCost got = model_cost(export_graph(*m, Json::object()));
  const ModelCost want = model_cost(zoo::build("fracbnn-imagenet"));
  EXPECT_EQ(got.macs, want.macs);
  EXPECT_EQ(got.binary_macs, want.binary_macs);
  EXPECT_DOUBLE_EQ(got.ace, want.ace);
  std::vector<std::pair<std::string, int64_t>> gl, wl;
  for (const auto& l : got.layers)
    if (l.macs > 0) gl.emplace_back(l.op, l.macs);
  for (const auto& l : want.layers)
    if (l.macs > 0) wl.emplace_back(l.op, l.macs);
  EXPECT_EQ(gl, wl);
  EXPECT_EQ(m->gated_layers().size(), 26u);
}

TEST(FracBnnReActNet, ClearErrors) {
  Json c{{"type", "fracbnn_reactnet"}, {"input_shape", {1, 28, 28}}, {"num_classes", 10}, {"stem_width", 16}};
  c["block_widths"] = {32, 48};
  c["block_strides"] = {1, 1};
  EXPECT_EQ(build_error(c), "fracbnn_reactnet: each block keeps or doubles the channels (block 2: 32 -> 48)");
  c["block_strides"] = {1};
  EXPECT_EQ(build_error(c),
            "fracbnn_reactnet: model.block_widths and model.block_strides must have the same length");
}

}  // namespace
}  // namespace bnnkit::train
