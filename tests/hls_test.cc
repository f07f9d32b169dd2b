// The HLS generator's C-simulation: generate C++ for a model, build its testbench with g++, run it on images
// and compare the logits with the engine's bit for bit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "bnnkit/bnnkit.h"
#include "hw/hls_gen.h"
#include "io/idx.h"
#include "zoo/zoo.h"

namespace {

namespace fs = std::filesystem;
using bnnkit::Graph;

// A scratch folder for the generated designs, removed when the test program exits.
const fs::path& work() {
  struct Scratch {
    fs::path path = fs::temp_directory_path() / ("bnnkit_hls_test_" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(path); }
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Scratch d;
  return d.path;
}

bool have_gxx() {
  static const bool ok = std::system("g++ --version > /dev/null 2>&1") == 0;
  return ok;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `count` images for the model's input: the first Fashion-MNIST test images when the model takes 28x28x1 and
// the dataset is installed, then pseudo-random pixels.
std::vector<uint8_t> images_for(const Graph& g, int count, int fashion) {
  const auto& s = g.tensors[g.inputs[0]].shape;
  const size_t per = static_cast<size_t>(s[1]) * s[2] * s[3];
  std::vector<uint8_t> out(per * count);
  int from_data = 0;
  const std::string path = std::string(bnnkit::io::kDefaultFashionMnistDir) + "/t10k-images-idx3-ubyte.gz";
  if (per == 784 && fashion > 0 && fs::exists(path)) {
    const bnnkit::io::IdxArray idx = bnnkit::io::read_idx(path);
    from_data = std::min(fashion, count);
    std::memcpy(out.data(), idx.data.data(), per * from_data);
  }
  std::mt19937_64 rng(7);
  for (size_t i = per * from_data; i < out.size(); ++i) out[i] = static_cast<uint8_t>(rng() & 0xff);
  return out;
}

// Logits as float bit patterns, one row per image.
using Bits = std::vector<std::vector<uint32_t>>;

Bits engine_logits(const Graph& g, const std::vector<uint8_t>& images, int count) {
  const bnnkit::Model model = bnnkit::Model::from_graph(g);
  bnnkit::Session session(model, {.threads = 1, .batch = count});
  session.set_input(0, std::span<const uint8_t>(images));
  session.run();
  const auto logits = session.output_f32(0);
  const size_t classes = logits.size() / count;
  Bits out(count, std::vector<uint32_t>(classes));
  for (int i = 0; i < count; ++i) std::memcpy(out[i].data(), logits.data() + i * classes, classes * 4);
  return out;
}

// Generates, compiles and runs the testbench; returns its logits.
Bits hls_logits(const Graph& g, const std::string& name, const bnnkit::hw::HlsOptions& opt,
                const std::vector<uint8_t>& images, int count, bool idx_header) {
  const fs::path dir = work() / name;
  const bnnkit::hw::HlsResult r = bnnkit::hw::generate_hls(g, dir.string(), opt);
  EXPECT_EQ(r.files.size(), 4u);
  const fs::path input = dir / "images.bin";
  {
    std::ofstream f(input, std::ios::binary);
    if (idx_header) {
      const auto& s = g.tensors[g.inputs[0]].shape;
      const uint32_t dims[4] = {static_cast<uint32_t>(count), static_cast<uint32_t>(s[1]),
                                static_cast<uint32_t>(s[2]), static_cast<uint32_t>(s[3])};
      const uint8_t magic[4] = {0, 0, 8, 4};
      f.write(reinterpret_cast<const char*>(magic), 4);
      for (uint32_t d : dims) {
        const uint8_t be[4] = {static_cast<uint8_t>(d >> 24), static_cast<uint8_t>(d >> 16),
                               static_cast<uint8_t>(d >> 8), static_cast<uint8_t>(d)};
        f.write(reinterpret_cast<const char*>(be), 4);
      }
    }
    f.write(reinterpret_cast<const char*>(images.data()), static_cast<std::streamsize>(images.size()));
  }
  // The HLS C-simulation step: the generated sources must build warning-free with plain g++.
  const std::string build =
      "cd '" + dir.string() +
      "' && g++ -std=c++17 -O1 -Wall -Wextra -Werror -Wno-unknown-pragmas -Wno-unused-label "
      "-ffp-contract=off model.cc tb.cc -o tb > build.log 2>&1";
  EXPECT_EQ(std::system(build.c_str()), 0) << read_text(dir / "build.log");
  const std::string run =
      "cd '" + dir.string() + "' && ./tb images.bin " + std::to_string(count) + " > logits.txt";
  EXPECT_EQ(std::system(run.c_str()), 0);
  Bits out;
  std::istringstream lines(read_text(dir / "logits.txt"));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    int index, best;
    f >> index >> best;
    std::vector<uint32_t> row;
    std::string hex;
    while (f >> hex) row.push_back(static_cast<uint32_t>(std::stoul(hex, nullptr, 16)));
    out.push_back(row);
  }
  return out;
}

void expect_bit_exact(const std::string& arch, const bnnkit::hw::HlsOptions& opt, int count, int fashion,
                      bool idx_header = false) {
  if (!have_gxx()) GTEST_SKIP() << "g++ is not installed";
  const Graph g = bnnkit::zoo::build(arch);
  const std::vector<uint8_t> images = images_for(g, count, fashion);
  const Bits want = engine_logits(g, images, count);
  const std::string name =
      arch + "_p" + std::to_string(opt.pack_bits) + "_x" + std::to_string(opt.out_parallel);
  const Bits got = hls_logits(g, name, opt, images, count, idx_header);
  ASSERT_EQ(got.size(), want.size()) << arch;
  for (int i = 0; i < count; ++i) EXPECT_EQ(got[i], want[i]) << arch << " image " << i;
}

TEST(Hls, FracbnnTinyMatchesEngineOnFashionMnist) {
  // 16 Fashion-MNIST test images (when installed) and 4 random ones, read through an IDX header.
  expect_bit_exact("fracbnn-tiny", {}, 20, 16, /*idx_header=*/true);
}

TEST(Hls, FracbnnTinyWith32BitWordsAndEightLanes) {
  expect_bit_exact("fracbnn-tiny", {.pack_bits = 32, .out_parallel = 8}, 6, 6);
}

TEST(Hls, BitOutputsPaddingOneStridesAndOddChannels) {
  // bconv-stack: bit-packed outputs, +1 padding, stride 2, 65 and 96 channels, a 1x1 conv.
  expect_bit_exact("bconv-stack", {}, 4, 4);
  expect_bit_exact("bconv-stack", {.pack_bits = 32, .out_parallel = 128}, 3, 0);
}

TEST(Hls, FracbnnCifar10MatchesEngine) {
  expect_bit_exact("fracbnn-cifar10", {}, 6, 0);
}

TEST(Hls, RefusesWhatItCannotMap) {
  // A float-input model: the testbench feeds uint8 images.
  try {
    bnnkit::hw::generate_hls(bnnkit::zoo::build("bnn-mlp"), (work() / "mlp").string());
    FAIL() << "expected an error";
  } catch (const bnnkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("uint8"), std::string::npos) << e.what();
  }
  // An op without an HLS mapping: the error names it.
  bnnkit::GraphBuilder b("softmax");
  const int x = b.input("image", bnnkit::DType::kUInt8, {1, 4, 4, 1});
  const int t = b.thermometer(x, 32, "enc");
  const int y = b.bconv2d(
      t, b.constant_bits("w", {4, 1, 1, 32}, std::vector<float>(128, 1.0f)),
      bnnkit::ConvAttrs{1, 1, 1, 1, 0, 0}, bnnkit::Padding::kZero,
      bnnkit::FloatStage{b.constant_f32("s", {4}, {1, 1, 1, 1}), b.constant_f32("b", {4}, {0, 0, 0, 0})},
      "conv");
  b.output(b.softmax(b.global_avg_pool(y, "pool"), "probs"), "probs");
  try {
    bnnkit::hw::generate_hls(b.finish(), (work() / "softmax").string());
    FAIL() << "expected an error";
  } catch (const bnnkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'probs' (Softmax)"), std::string::npos) << e.what();
  }
  const Graph tiny = bnnkit::zoo::build("fracbnn-tiny");
  EXPECT_THROW(bnnkit::hw::generate_hls(tiny, (work() / "bad").string(), {.pack_bits = 16}), bnnkit::Error);
  EXPECT_THROW(bnnkit::hw::generate_hls(tiny, (work() / "bad").string(), {.out_parallel = 12}),
               bnnkit::Error);
  EXPECT_THROW(bnnkit::hw::generate_hls(tiny, (work() / "bad").string(), {.top = "bad name"}), bnnkit::Error);
}

}  // namespace
