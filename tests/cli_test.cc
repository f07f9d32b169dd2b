// The bnnkit command-line tool, run as a user would: outputs, error messages and exit codes.
#include <gtest/gtest.h>
#include <png.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bnnkit/bnnkit.h"
#include "cli_util.h"
#include "zoo/zoo.h"

namespace {

namespace fs = std::filesystem;

using bnnkit::testing::cli;
using bnnkit::testing::CliResult;

const fs::path& work() {
  static const fs::path d = bnnkit::testing::make_work_dir("cli_test");
  return d;
}

std::string model(const std::string& arch) {
  return bnnkit::testing::zoo_model_file(work(), arch);
}

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist";

bool have_fashion() {
  return fs::exists(std::string(kFashion) + "/t10k-images-idx3-ubyte.gz");
}

TEST(Cli, HelpAndUsage) {
  EXPECT_EQ(cli("--help").code, 0);
  for (const char* sub : {"info", "run", "bench", "eval", "synth"}) {
    const CliResult r = cli(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
  const CliResult none = cli("");
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.out.find("A subcommand is required"), std::string::npos) << none.out;
  EXPECT_NE(cli("frobnicate").code, 0);
  EXPECT_NE(cli("info").code, 0);  // missing the model argument
}

TEST(Cli, SynthInfoJson) {
  const std::string out = (work() / "s.bnn").string();
  CliResult r = cli("synth bconv-stack -o " + out + " --seed 3");
  ASSERT_EQ(r.code, 0) << r.out;
  r = cli("info " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("conv2                  BConv2d      [1,14,14,65]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total: "), std::string::npos);
  r = cli("info --json " + out);
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\"binary_macs\""), std::string::npos) << r.out;
  r = cli("synth resnet-9000 -o " + out);
  EXPECT_EQ(r.code, 1);
  // The list goes on as the zoo grows.
  EXPECT_NE(
      r.out.find(
          "bnnkit: error: unknown architecture 'resnet-9000' (known: fracbnn-tiny, bnn-mlp, bconv-stack, "),
      std::string::npos)
      << r.out;
}

TEST(Cli, InfoErrors) {
  CliResult r = cli("info /nonexistent.bnn");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: model '/nonexistent.bnn': no such file\n");
  const fs::path junk = work() / "junk.bnn";
  std::ofstream(junk) << "this is not a model at all";
  r = cli("info " + junk.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not a bnnkit model file"), std::string::npos) << r.out;
}

TEST(Cli, RunOnFashionMnist) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const CliResult r = cli("run " + model("fracbnn-tiny") + " --images " + kFashion +
                          "/t10k-images-idx3-ubyte.gz --count 3 --top 2");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("image 0:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("image 2:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("image 3:"), std::string::npos) << r.out;
  // The float-input model works on the same file.
  EXPECT_EQ(
      cli("run " + model("bnn-mlp") + " --images " + kFashion + "/t10k-images-idx3-ubyte.gz --count 1").code,
      0);
}

TEST(Cli, RunPngAndItsErrors) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.format = PNG_FORMAT_GRAY;
  img.width = img.height = 28;
  std::vector<uint8_t> px(28 * 28, 200);
  const std::string good = (work() / "ok.png").string();
  ASSERT_TRUE(png_image_write_to_file(&img, good.c_str(), 0, px.data(), 0, nullptr));
  CliResult r = cli("run " + model("fracbnn-tiny") + " --images " + good);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("image 0:"), std::string::npos);

  img.width = img.height = 32;
  px.assign(32 * 32, 10);
  const std::string wrong = (work() / "big.png").string();
  ASSERT_TRUE(png_image_write_to_file(&img, wrong.c_str(), 0, px.data(), 0, nullptr));
  r = cli("run " + model("fracbnn-tiny") + " --images " + wrong);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: '" + wrong + "' is 32x32 but the model expects 28x28 images\n");

  r = cli("run " + model("fracbnn-tiny") + " --images /nonexistent.png");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: '/nonexistent.png': no such file\n");
}

TEST(Cli, BenchAndProfile) {
  CliResult r = cli("bench " + model("fracbnn-tiny") + " --iters 3 --warmup 1 --threads 1 --profile");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("latency  median"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("block1.conv"), std::string::npos) << r.out;
  r = cli("bench " + model("bnn-mlp") + " --iters 2 --json --batch 4");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"median_ms\""), std::string::npos) << r.out;
  r = cli("bench " + model("bnn-mlp") + " --iters 0");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: --iters must be >= 1\n");
  r = cli("bench " + model("bnn-mlp") + " --isa sse9 --iters 1");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: unknown ISA 'sse9' (use portable, avx2 or avx512)\n");
}

TEST(Cli, EvalOnFashionMnist) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  CliResult r = cli("eval " + model("fracbnn-tiny") + " --limit 200 --batch 64 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"images\": 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"gate_density\""), std::string::npos) << r.out;
  r = cli("eval " + model("fracbnn-tiny") + " --data /nonexistent");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: data folder '/nonexistent' does not exist\n");
}

// Per-layer gate statistics and forced gates, on the shipped trained FracBNN ResNet-20 and real images.
TEST(Cli, GateStatisticsAndForcedGates) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string m = std::string(BNNKIT_SOURCE_DIR) + "/models/fracbnn_resnet20/fracbnn_resnet20.bnn";
  const std::string images = std::string(" --images ") + kFashion + "/t10k-images-idx3-ubyte.gz";
  CliResult r = cli("run " + m + images + " --count 4 --profile");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("gated layers (density: outputs that took the LSB pass; bits: hb + density * lb)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("layer3_2.conv2           FracConv2d"), std::string::npos) << r.out;
  // eval: effective bits = 1 + density for every fractional conv.
  r = cli("eval " + m + " --limit 50 --json --profile");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  ASSERT_EQ(j.at("gated_layers").size(), 18u) << r.out;
  for (const auto& layer : j.at("gated_layers")) {
    const double d = layer.at("density").get<double>();
    EXPECT_GT(d, 0.2) << layer;
    EXPECT_LT(d, 0.8) << layer;
    EXPECT_DOUBLE_EQ(layer.at("effective_bits").get<double>(), 1.0 + d) << layer;
    EXPECT_GT(layer.at("mean_ms").get<double>(), 0.0) << layer;
    EXPECT_DOUBLE_EQ(j.at("gate_density").at(layer.at("name").get<std::string>()).get<double>(), d);
  }
  // Forced gates: every output takes the LSB pass, or none does.
  for (const auto& [mode, want] : {std::pair<std::string, double>{"open", 1.0}, {"closed", 0.0}}) {
    r = cli("bench " + m + images + " --iters 2 --warmup 0 --threads 1 --profile --json --gates " + mode);
    ASSERT_EQ(r.code, 0) << r.out;
    const auto b = nlohmann::json::parse(r.out);
    EXPECT_EQ(b.at("gates"), mode);
    int gated = 0;
    for (const auto& op : b.at("ops")) {
      if (!op.contains("gate_density")) continue;
      ++gated;
      EXPECT_EQ(op.at("gate_density").get<double>(), want) << mode << " " << op;
    }
    EXPECT_EQ(gated, 18) << r.out;
  }
  r = cli("bench " + m + " --iters 1 --gates half");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: --gates must be model, open or closed, not 'half'\n");
}

// Accuracy against ACE: every model evaluated, ACE at measured gate densities, the front flags by definition.
TEST(Cli, ParetoTableJsonAndPlot) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string trained =
      std::string(BNNKIT_SOURCE_DIR) + "/models/fracbnn_resnet20/fracbnn_resnet20.bnn";
  const std::string plot = (work() / "pareto.svg").string();
  CliResult r = cli("pareto " + trained + " " + model("fracbnn-tiny") + " " + model("bnn-mlp") +
                    " --limit 200 --json --svg " + plot);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('[')));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0].at("model"), "fracbnn_resnet20");
  EXPECT_GT(j[0].at("accuracy").get<double>(), 0.85);
  EXPECT_TRUE(j[0].at("pareto").get<bool>());  // the most accurate model is always on the front
  for (const auto& p : j) {
    EXPECT_GT(p.at("ace").get<double>(), 0.0) << p;
    bool dominated = false;
    for (const auto& q : j) {
      const double pa = p.at("accuracy"), qa = q.at("accuracy"), pc = p.at("ace"), qc = q.at("ace");
      dominated = dominated || (qa >= pa && qc <= pc && (qa > pa || qc < pc));
    }
    EXPECT_EQ(p.at("pareto").get<bool>(), !dominated) << p;
  }
  std::ifstream svg(plot);
  const std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("fracbnn_resnet20"), std::string::npos);
  r = cli("pareto /nonexistent.bnn");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: model '/nonexistent.bnn': no such file\n");
}

TEST(Cli, TrainerCommandsAreForwarded) {
  // Either the trainer exists next to bnnkit and answers --help, or the user is told how to get it.
  const CliResult r = cli("train --help");
  const fs::path trainer = fs::path(BNNKIT_CLI_PATH).parent_path() / "bnnkit-train";
  if (fs::exists(trainer)) {
    EXPECT_EQ(r.code, 0) << r.out;
  } else {
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("needs the trainer"), std::string::npos) << r.out;
  }
}

}  // namespace
