// `bnnkit info`: the ACE report as a user sees it. PokeBNN-1.0x prints google/aqt's regression values, --json
// carries the same table as the library's model_cost, and --profile turns measured gate densities (the JSON
// of `bnnkit bench --profile --json`, or of `bnnkit eval --json`) into effective activation bits.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "cli_util.h"
#include "zoo/zoo.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using bnnkit::testing::cli;
using bnnkit::testing::CliResult;

const fs::path& work() {
  static const fs::path d = bnnkit::testing::make_work_dir("info_test");
  return d;
}

std::string model(const std::string& arch) {
  return bnnkit::testing::zoo_model_file(work(), arch);
}

std::string write(const std::string& name, const std::string& text) {
  const fs::path p = work() / name;
  std::ofstream(p) << text;
  return p.string();
}

const json* layer(const json& info, const std::string& name) {
  for (const json& l : info["layers"])
    if (l["name"] == name) return &l;
  return nullptr;
}

TEST(Info, PokeBnnOneXPrintsTheAqtRegressionValues) {
  const CliResult r = cli("info pokebnn-1.0x-imagenet");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ACE      4,222,541,824 = conv 4,091,469,824 + dense 131,072,000\n"),
            std::string::npos)
      << r.out;
  // A binary 3x3 layer, the 8-bit stem, a 4-bit SE layer and the 8-bit head, with their bit-widths.
  for (const char* row : {"res0-2.conv            BConv2d      [1,56,56,64]", "init.conv              Conv2d",
                          "res0-1.se.fc1          Conv2d       [1,1,1,8]", "fc                     Dense"})
    EXPECT_NE(r.out.find(row), std::string::npos) << row;
  EXPECT_NE(r.out.find("     1     1      115605504        115605504\n"), std::string::npos);
  EXPECT_NE(r.out.find("     8     8        4816896        308281344\n"), std::string::npos);
  EXPECT_NE(r.out.find("     4     4            512             8192\n"), std::string::npos);
  EXPECT_NE(r.out.find("     8     8        2048000        131072000\n"), std::string::npos);
  EXPECT_NE(r.out.find("BConv2d w1a1               48      3,609,460,736        3,609,460,736"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Conv2d w4a4                96"), std::string::npos);
}

TEST(Info, JsonCarriesTheLibraryTable) {
  const CliResult r = cli("info --json pokebnn-1.0x-imagenet");
  ASSERT_EQ(r.code, 0) << r.out.substr(0, 300);
  const json j = json::parse(r.out);
  EXPECT_EQ(j["totals"]["conv_ace"].get<double>(), 4'091'469'824.0);
  EXPECT_EQ(j["totals"]["dense_ace"].get<double>(), 131'072'000.0);
  EXPECT_EQ(j["totals"]["ace"].get<double>(), 4'222'541'824.0);
  // Row for row what model_cost gives (the CLI builds the zoo arch with seed 1).
  const bnnkit::ModelCost c = bnnkit::model_cost(bnnkit::zoo::build("pokebnn-1.0x-imagenet", 1));
  ASSERT_EQ(j["layers"].size(), c.layers.size());
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const json& l = j["layers"][i];
    SCOPED_TRACE(c.layers[i].name);
    EXPECT_EQ(l["name"], c.layers[i].name);
    EXPECT_EQ(l["op"], c.layers[i].op);
    EXPECT_EQ(l["macs"].get<int64_t>(), c.layers[i].macs);
    EXPECT_EQ(l["w_bits"].get<double>(), c.layers[i].w_bits);
    EXPECT_EQ(l["a_bits"].get<double>(), c.layers[i].a_bits);
    EXPECT_EQ(l["ace"].get<double>(), c.layers[i].ace);
  }
  ASSERT_EQ(j["by_op"].size(), 4u);
  EXPECT_EQ(j["by_op"][1]["op"], "BConv2d w1a1");
  EXPECT_EQ(j["by_op"][1]["layers"], 48);
}

// bench's profile of a fractional model, fed back to info: each gated layer counts 1 + its density.
TEST(Info, ProfileGivesEffectiveActivationBits) {
  const std::string m = model("fracbnn-tiny");
  const std::string prof = (work() / "tiny_profile.json").string();
  CliResult r = cli("bench " + m + " --iters 2 --warmup 0 --threads 1 --batch 4 --profile --json > " + prof);
  ASSERT_EQ(r.code, 0) << r.out;
  std::map<std::string, double> measured;
  const json bench = json::parse(std::ifstream(prof));
  for (const json& op : bench["ops"])
    if (op.contains("gate_density")) measured[op["name"]] = op["gate_density"].get<double>();
  ASSERT_EQ(measured.size(), 2u);

  r = cli("info --json --profile " + prof + " " + m);
  ASSERT_EQ(r.code, 0) << r.out;
  const json with = json::parse(r.out);
  EXPECT_EQ(with["profile"], prof);
  for (const auto& [name, d] : measured) {
    const json* l = layer(with, name);
    ASSERT_NE(l, nullptr) << name;
    EXPECT_EQ((*l)["gate_density"].get<double>(), d);
    EXPECT_EQ((*l)["a_bits"].get<double>(), 1.0 + d);
    EXPECT_EQ((*l)["ace"].get<double>(), (*l)["macs"].get<double>() * (1.0 + d));
  }
  r = cli("info --json " + m);
  const json without = json::parse(r.out);
  EXPECT_TRUE((*layer(without, "block1.conv"))["gate_density"].is_null());
  EXPECT_EQ((*layer(without, "block1.conv"))["a_bits"].get<double>(), 2.0);
  EXPECT_LT(with["totals"]["ace"].get<double>(), without["totals"]["ace"].get<double>());

  r = cli("info --profile " + prof + " " + m);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("A = 1 + 1 x gate density"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gates    2 fractional conv(s) at measured density from " + prof), std::string::npos);
  EXPECT_NE(r.out.find("FracConv2d w1a1+1d"), std::string::npos) << r.out;
  r = cli("info " + m);
  EXPECT_NE(r.out.find("A = 2 (no measured gate density: --profile)"), std::string::npos) << r.out;
}

// eval's JSON names densities the same way: {"gate_density": {op: density}}.
TEST(Info, EvalJsonIsAProfileToo) {
  const std::string m = model("fracbnn-tiny");
  const std::string prof =
      write("eval.json", R"({"gate_density": {"block1.conv": 0.5, "block2.conv": 0.125}})");
  const CliResult r = cli("info --json --profile " + prof + " " + m);
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ((*layer(j, "block1.conv"))["a_bits"].get<double>(), 1.5);
  EXPECT_EQ((*layer(j, "block2.conv"))["a_bits"].get<double>(), 1.125);
}

TEST(Info, ProfileErrors) {
  const std::string m = model("fracbnn-tiny");
  CliResult r = cli("info --profile /nonexistent.json " + m);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: profile '/nonexistent.json': no such file\n");
  const std::string junk = write("junk.json", "latency 3 ms");
  r = cli("info --profile " + junk + " " + m);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: profile '" + junk +
                       "': not JSON (make it with `bnnkit bench MODEL --profile --json`)\n");
  const std::string plain = write("plain.json", R"({"median_ms": 1.0})");
  r = cli("info --profile " + plain + " " + m);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: profile '" + plain +
                       "' has no per-op profile (make it with `bnnkit bench MODEL --profile --json`)\n");
  const std::string wrong = write("wrong.json", R"({"ops": [{"name": "block1.conv", "gate_density": 0.3}]})");
  r = cli("info --profile " + wrong + " " + model("bconv-stack"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(
      r.out,
      "bnnkit: error: profile '" + wrong +
          "': 'block1.conv' is not a fractional or PG conv of model 'bconv-stack' (a profile of another "
          "model?)\n");
  const std::string big = write("big.json", R"({"ops": [{"name": "block1.conv", "gate_density": 1.5}]})");
  r = cli("info --profile " + big + " " + m);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "bnnkit: error: profile '" + big +
                       "': gate density of 'block1.conv' is 1.500000, not in [0, 1]\n");
}

}  // namespace
