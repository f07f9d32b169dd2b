// Bad inputs across the CLI and the public API: every case gives one line of error (bnnkit::Error; on the
// command line "bnnkit: error: ..." and exit code 1), never a crash or a silent wrong answer.
//
// The cases are one table each for the CLI and the API. With BNNKIT_BAD_INPUT_TABLE=FILE the tests append
// them to FILE as Markdown rows (case, command, message, exit code) from the real runs: scripts/bad_inputs.sh
// prints the table that docs/reliability.md shows.
#include <gtest/gtest.h>
#include <png.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "bnnkit_generated.h"
#include "cli_util.h"
#include "io/idx.h"
#include "io/image.h"
#include "train/config/config.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

namespace fs = std::filesystem;

// ---- fixtures: one folder of bad (and a few good) files, made once ---------------------------------------
std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, size_t data_bytes, uint8_t type = 0x08) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  return b;
}
std::vector<uint8_t> images(uint32_t n, uint32_t h, uint32_t w, uint32_t c = 0) {
  std::vector<uint32_t> dims = {n, h, w};
  if (c) dims.push_back(c);
  return idx_bytes(dims, size_t{n} * h * w * (c ? c : 1));
}
std::vector<uint8_t> labels(const std::vector<uint8_t>& values) {
  std::vector<uint8_t> b = idx_bytes({static_cast<uint32_t>(values.size())}, 0);
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

using io::gzip;

std::vector<uint8_t> png_bytes(int w, int h, bool rgb) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = w, img.height = h, img.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(img), 128);
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&img, nullptr, &size, 0, pixels.data(), 0, nullptr);
  std::vector<uint8_t> out(size);
  png_image_write_to_memory(&img, out.data(), &size, 0, pixels.data(), 0, nullptr);
  out.resize(size);
  return out;
}

std::vector<uint8_t> with_version(uint32_t version) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<int> none;
  b.Finish(fb::CreateModelDirect(b, version, 0, nullptr, nullptr, nullptr, &none, &none), "BNNK");
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

void write(const fs::path& p, const std::vector<uint8_t>& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
void write_text(const fs::path& p, const std::string& s) {
  write(p, std::vector<uint8_t>(s.begin(), s.end()));
}
std::vector<uint8_t> read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A float model with a non-image input, and one whose first output is int32 (argmax).
Graph vector_model() {
  GraphBuilder b("vector-input");
  const int x = b.input("features", DType::kFloat32, {1, 4});
  b.output(b.dense(x, b.constant_f32("w", {2, 4}, std::vector<float>(8, 0.5f)), -1), "logits");
  return b.finish();
}
Graph argmax_model() {
  GraphBuilder b("argmax-output");
  const int x = b.input("image", DType::kFloat32, {1, 28, 28, 1});
  const int logits =
      b.dense(b.flatten(x), b.constant_f32("w", {10, 784}, std::vector<float>(7840, 0.01f)), -1);
  b.output(b.argmax(logits), "class");
  return b.finish();
}

const fs::path& work() {
  static const fs::path d = [] {
    const fs::path w = fs::temp_directory_path() / ("bnnkit_bad_input_" + std::to_string(::getpid()));
    fs::create_directories(w / "dir.bnn");
    save_model(zoo::build("fracbnn-tiny", 1), (w / "tiny.bnn").string());
    save_model(zoo::build("bnn-mlp", 1), (w / "mlp.bnn").string());
    Graph zero_std = zoo::build("bnn-mlp", 1);
    zero_std.metadata.input_std = {0.0f};
    save_model(zero_std, (w / "zero-std.bnn").string());
    save_model(vector_model(), (w / "vector.bnn").string());
    save_model(argmax_model(), (w / "argmax.bnn").string());
    write(w / "empty.bnn", {});
    write_text(w / "text.bnn", "this is a text file, not a model\n");
    const std::vector<uint8_t> tiny = read(w / "tiny.bnn");
    write(w / "truncated.bnn", std::vector<uint8_t>(tiny.begin(), tiny.begin() + tiny.size() / 2));
    write(w / "newer.bnn", with_version(kSchemaVersion + 1));

    write(w / "empty.idx", {});
    write(w / "zero-images.idx", idx_bytes({0, 28, 28}, 0));
    write(w / "huge.idx", idx_bytes({1u << 30, 1u << 30, 28}, 16));
    write(w / "too-big-dim.idx", idx_bytes({3000000000u, 28, 28}, 16));
    write(w / "short.idx", idx_bytes({60000, 28, 28}, 1000));
    write(w / "float.idx", idx_bytes({2, 28, 28}, 2 * 28 * 28 * 4, 0x0D));
    const std::vector<uint8_t> gz = gzip(images(5, 28, 28));
    write(w / "truncated.idx.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + gz.size() / 2));
    write(w / "small.idx", images(2, 14, 14));
    write(w / "rgb.idx", images(2, 28, 28, 3));
    write(w / "labels.idx", labels({1, 2, 3}));

    write(w / "wrong-size.png", png_bytes(32, 32, false));
    const std::vector<uint8_t> png = png_bytes(28, 28, false);
    write(w / "truncated.png", std::vector<uint8_t>(png.begin(), png.begin() + png.size() / 2));
    write_text(w / "text.png", "not a png\n");
    write(w / "empty.png", {});

    write(w / "data-labels-range" / "t10k-images-idx3-ubyte", images(3, 28, 28));
    write(w / "data-labels-range" / "t10k-labels-idx1-ubyte", labels({0, 12, 3}));
    write(w / "data-count" / "t10k-images-idx3-ubyte", images(3, 28, 28));
    write(w / "data-count" / "t10k-labels-idx1-ubyte", labels({0, 1}));
    write(w / "data-geometry" / "t10k-images-idx3-ubyte", images(3, 14, 14));
    write(w / "data-geometry" / "t10k-labels-idx1-ubyte", labels({0, 1, 2}));
    write(w / "data-gz" / "t10k-images-idx3-ubyte.gz", std::vector<uint8_t>(gz.begin(), gz.end() - 9));
    write(w / "data-gz" / "t10k-labels-idx1-ubyte", labels({0, 1, 2, 3, 4}));
    fs::create_directories(w / "data-empty");
    write(w / "data-ok" / "t10k-images-idx3-ubyte", images(3, 28, 28));
    write(w / "data-ok" / "t10k-labels-idx1-ubyte", labels({0, 1, 2}));
    write(w / "unreadable.bnn", tiny);
    ::chmod((w / "unreadable.bnn").c_str(), 0);
    return w;
  }();
  return d;
}

std::string subst(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
    s.replace(p, from.size(), to);
  return s;
}

// Appends one Markdown row to $BNNKIT_BAD_INPUT_TABLE (the work folder shown as $W).
void table_row(const std::string& kase, const std::string& command, const std::string& message,
               const std::string& code) {
  const char* path = std::getenv("BNNKIT_BAD_INPUT_TABLE");
  if (path == nullptr || *path == '\0') return;
  const auto cell = [](std::string s) {
    s = subst(subst(s, work().string(), "$W"), "|", "\\|");
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return subst(s, "\n", "<br>");
  };
  std::ofstream(path, std::ios::app) << "| " << cell(kase) << " | `" << cell(command) << "` | "
                                     << cell(message) << " | " << code << " |\n";
}

// ---- the CLI
// -------------------------------------------------------------------------------------------------
using bnnkit::testing::cli;
using bnnkit::testing::CliResult;

struct CliCase {
  const char* name;
  const char* args;    // $W is the fixture folder
  const char* expect;  // part of the one error line
};

const std::vector<CliCase>& cli_cases() {
  static const std::vector<CliCase> cases = {
      {"model file missing", "info $W/missing.bnn", "model '$W/missing.bnn': no such file"},
      {"model is a directory", "info $W/dir.bnn", "is a directory, not a model file"},
      {"model file empty", "info $W/empty.bnn", "too small to be a bnnkit model (0 bytes)"},
      {"model is a text file", "info $W/text.bnn", "not a bnnkit model file"},
      {"model truncated", "run $W/truncated.bnn --images $W/small.idx", "corrupt or truncated file"},
      {"model from a newer schema", "info $W/newer.bnn", "is newer than this bnnkit reads"},
      {"model input not an image", "run $W/vector.bnn --images $W/small.idx", "is not an image tensor"},
      {"images missing", "run $W/tiny.bnn --images $W/missing.idx", "'$W/missing.idx': no such file"},
      {"images path is a directory", "run $W/tiny.bnn --images $W/dir.bnn", "is a directory"},
      {"IDX file empty", "run $W/tiny.bnn --images $W/empty.idx", "too short to be an IDX file"},
      {"IDX with zero images", "run $W/tiny.bnn --images $W/zero-images.idx", "dimension 0 is 0"},
      {"IDX declaring 2^30 x 2^30 x 28", "run $W/tiny.bnn --images $W/huge.idx", "larger than 16 GiB"},
      {"IDX dimension over 2^30", "run $W/tiny.bnn --images $W/too-big-dim.idx", "(more than 2^30)"},
      {"IDX shorter than its header says", "run $W/tiny.bnn --images $W/short.idx", "IDX header promises"},
      {"IDX of floats", "run $W/tiny.bnn --images $W/float.idx", "is not unsigned byte"},
      {"gzip truncated", "run $W/tiny.bnn --images $W/truncated.idx.gz", "corrupt or truncated gzip data"},
      {"IDX images of the wrong size", "run $W/tiny.bnn --images $W/small.idx",
       "holds 14x14x1 images but the model expects 28x28x1"},
      {"IDX images with 3 channels for a 1-channel model", "run $W/tiny.bnn --images $W/rgb.idx",
       "holds 28x28x3 images but the model expects 28x28x1"},
      {"IDX labels given as images", "run $W/tiny.bnn --images $W/labels.idx", "(labels?), not images"},
      {"PNG of the wrong size", "run $W/tiny.bnn --images $W/wrong-size.png",
       "is 32x32 but the model expects 28x28 images"},
      {"PNG truncated", "run $W/tiny.bnn --images $W/truncated.png", "PNG"},
      {"PNG that is text", "run $W/tiny.bnn --images $W/text.png", "not a readable PNG"},
      {"PNG empty", "run $W/tiny.bnn --images $W/empty.png", "empty file, not a PNG"},
      {"PNG missing", "run $W/tiny.bnn --images $W/missing.png", "no such file"},
      {"model normalisation std = 0 (would give Inf)",
       "run $W/zero-std.bnn --images $W/data-ok/t10k-images-idx3-ubyte", "input normalisation for channel 0"},
      {"threads out of range", "run $W/tiny.bnn --images $W/data-ok/t10k-images-idx3-ubyte --threads 5000",
       "threads must be in 0..1024"},
      {"run: first output not [N, classes]", "run $W/argmax.bnn --images $W/data-ok/t10k-images-idx3-ubyte",
       "is not float32 [N, classes]"},
      {"eval: data folder missing", "eval $W/tiny.bnn --data $W/missing", "does not exist"},
      {"eval: data folder is a file", "eval $W/tiny.bnn --data $W/empty.idx", "is not a folder"},
      {"eval: data folder without the split", "eval $W/tiny.bnn --data $W/data-empty",
       "has no file named t10k-images*"},
      {"eval: label out of range", "eval $W/tiny.bnn --data $W/data-labels-range",
       "label 12 of image 1 is out of range for a model with 10 classes"},
      {"eval: image and label counts differ", "eval $W/tiny.bnn --data $W/data-count", "has 3 images but"},
      {"eval: images of the wrong size", "eval $W/tiny.bnn --data $W/data-geometry",
       "is 14x14x1 but the model expects 28x28x1"},
      {"eval: gzip truncated", "eval $W/tiny.bnn --data $W/data-gz", "corrupt or truncated gzip data"},
      {"eval: first output not [N, classes]", "eval $W/argmax.bnn --data $W/data-ok",
       "is not float32 [N, classes]"},
      {"eval: batch 0", "eval $W/tiny.bnn --data $W/data-ok --batch 0", "--batch must be >= 1"},
      {"bench: batch 0", "bench $W/tiny.bnn --batch 0", "batch must be in 1..1048576"},
      {"bench: iters 0", "bench $W/tiny.bnn --iters 0", "--iters must be >= 1"},
      {"bench: unknown ISA", "bench $W/tiny.bnn --isa sse9", "unknown ISA 'sse9'"},
      {"synth: unknown architecture", "synth resnet-9000 -o $W/x.bnn", "unknown architecture 'resnet-9000'"},
      {"synth: output folder missing", "synth bnn-mlp -o $W/missing/x.bnn", "cannot write model"},
  };
  return cases;
}

TEST(BadInputCli, OneLineErrorAndExitCode1) {
  const std::string w = work().string();
  for (const CliCase& c : cli_cases()) {
    const std::string args = subst(c.args, "$W", w);
    const CliResult r = cli(args);
    const std::string expect = subst(c.expect, "$W", w);
    EXPECT_EQ(r.code, 1) << c.name << ": " << r.out;
    EXPECT_EQ(r.out.rfind("bnnkit: error: ", 0), 0u) << c.name << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.name << ": " << r.out;
    EXPECT_NE(r.out.find(expect), std::string::npos)
        << c.name << ": expected '" << expect << "' in " << r.out;
    table_row(c.name, "bnnkit " + args, r.out.rfind("bnnkit: error: ", 0) == 0 ? r.out.substr(15) : r.out,
              std::to_string(r.code));
  }
}

// Unreadable files: root reads anything, so this runs only as another user.
TEST(BadInputCli, UnreadableModel) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions do not apply";
  const CliResult r = cli("info " + (work() / "unreadable.bnn").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("cannot open: Permission denied"), std::string::npos) << r.out;
}

// Options CLI11 rejects before bnnkit runs: a message and a hint line, exit code from CLI11 (non-zero).
TEST(BadInputCli, MalformedOptionsAreRejectedByTheParser) {
  const std::string m = (work() / "tiny.bnn").string();
  for (const std::string& args : {"run " + m + " --images x.idx --count abc", "run " + m,
                                  "bench " + m + " --batch", "info " + m + " --frobnicate"}) {
    const CliResult r = cli(args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_LE(std::count(r.out.begin(), r.out.end(), '\n'), 2) << args << ": " << r.out;
    table_row("malformed option (CLI11)", "bnnkit " + args, r.out, std::to_string(r.code));
  }
}

// The good fixtures are good: the errors above come from the bad part only.
TEST(BadInputCli, GoodFixturesWork) {
  const std::string w = work().string();
  EXPECT_EQ(cli("run " + w + "/tiny.bnn --images " + w + "/data-ok/t10k-images-idx3-ubyte").code, 0);
  EXPECT_EQ(cli("eval " + w + "/tiny.bnn --data " + w + "/data-ok").code, 0);
  const CliResult r = cli("eval " + w + "/mlp.bnn --data " + w + "/data-ok");
  EXPECT_EQ(r.code, 0) << r.out;
}

// ---- the API
// -------------------------------------------------------------------------------------------------
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct ApiCase {
  const char* name;
  const char* call;
  std::function<void()> run;
  const char* expect;
};

TEST(BadInputApi, ErrorsNameTheProblem) {
  const fs::path w = work();
  const Model mlp = Model::load((w / "mlp.bnn").string());    // float input [N,28,28,1]
  const Model tiny = Model::load((w / "tiny.bnn").string());  // uint8 input
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const auto set_f32 = [&](const Model& m, float bad, size_t at, size_t n) {
    Session s(m, {.threads = 1, .batch = 1});
    std::vector<float> x(n, 0.25f);
    if (at < n) x[at] = bad;
    s.set_input(0, std::span<const float>(x));
  };
  const std::vector<ApiCase> cases = {
      {"NaN input", "Session::set_input(0, floats with NaN at 17)", [&] { set_f32(mlp, nan, 17, 784); },
       "input 'image' element 17 is NaN; inputs must be finite"},
      {"+Inf input", "Session::set_input(0, floats with +Inf at 0)", [&] { set_f32(mlp, inf, 0, 784); },
       "element 0 is infinite; inputs must be finite"},
      {"-Inf input", "Session::set_input(0, floats with -Inf at 783)", [&] { set_f32(mlp, -inf, 783, 784); },
       "element 783 is infinite"},
      {"wrong input size", "Session::set_input(0, 783 floats)", [&] { set_f32(mlp, 0, 1000, 783); },
       "needs 784 values, got 783"},
      {"floats for a uint8 input", "Session::set_input(0, floats) on a uint8 input",
       [&] { set_f32(tiny, 0, 1000, 784); }, "is uint8, not float32"},
      {"over the activation-memory limit", "Session(model, {.max_arena_bytes = 4096})",
       [&] { Session s(tiny, {.threads = 1, .batch = 8, .max_arena_bytes = 4096}); },
       "bytes of activation memory at batch 8 (max_arena_bytes is 4096)"},
      {"over the work limit", "Session(model, {.max_macs = 1000})",
       [&] { Session s(tiny, {.threads = 1, .batch = 2, .max_macs = 1000}); },
       "multiply-accumulates per run at batch 2 (max_macs is 1000)"},
      {"bytes for a float input", "Session::set_input(0, bytes) on a float input",
       [&] {
         Session s(mlp, {.threads = 1});
         s.set_input(0, std::span<const uint8_t>(std::vector<uint8_t>(784)));
       },
       "is float32, not uint8"},
      {"input index out of range", "Session::set_input(3, ...)",
       [&] {
         Session s(mlp, {.threads = 1});
         s.set_input(3, std::span<const float>(std::vector<float>(784)));
       },
       "no input 3 (the model has 1)"},
      {"batch 0", "Session(model, {.batch = 0})", [&] { Session s(mlp, {.batch = 0}); },
       "batch must be in 1..1048576, got 0"},
      {"threads -1", "Session(model, {.threads = -1})", [&] { Session s(mlp, {.threads = -1}); },
       "threads must be in 0..1024, got -1"},
      {"batch too large for the tensors", "Session(model, {.batch = 1 << 20})",
       [&] { Session s(tiny, {.threads = 1, .batch = 1 << 20}); }, "(at most 2^28)"},
      {"unknown ISA", "Session(model, {.max_isa = \"sse9\"})", [&] { Session s(mlp, {.max_isa = "sse9"}); },
       "unknown ISA 'sse9'"},
      {"output of the wrong type", "Session::output_i32(0) on a float output",
       [&] {
         Session s(mlp, {.threads = 1});
         (void)s.output_i32(0);
       },
       "is float32, not int32"},
      {"unknown tensor", "Session::tensor(\"nope\")",
       [&] {
         Session s(mlp, {.threads = 1});
         (void)s.tensor("nope");
       },
       "no tensor named 'nope'"},
      {"model bytes empty", "Model::from_bytes({})", [] { Model::from_bytes({}, "mem"); },
       "too small to be a bnnkit model (0 bytes)"},
      {"model from a newer schema", "Model::from_bytes(version 3)",
       [] { Model::from_bytes(with_version(kSchemaVersion + 1), "mem"); },
       "schema version 3 is newer than this bnnkit reads (2); upgrade bnnkit"},
      {"IDX bytes empty", "io::parse_idx({})", [] { io::parse_idx({}, "mem"); },
       "too short to be an IDX file"},
      {"IDX zero-length dimension", "io::parse_idx([0][28][28])",
       [] {
         io::parse_idx(idx_bytes({0, 28, 28}, 0), "mem");
       },
       "dimension 0 is 0"},
      {"gzip garbage", "io::maybe_gunzip(1f 8b + garbage)",
       [] {
         io::maybe_gunzip({0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7}, "mem");
       },
       "corrupt or truncated gzip data"},
      {"PNG larger than allowed", "io::decode_png(20x20 PNG, 1, \"mem\", max_side 10)",
       [] { io::decode_png(png_bytes(20, 20, false), 1, "mem", 10); },
       "unsupported PNG size 20x20 (at most 10 per side)"},
      {"PNG to 4 channels", "io::decode_png(png, 4)",
       [] { io::decode_png(png_bytes(2, 2, false), 4, "mem"); },
       "cannot convert a PNG to 4 channels (1 or 3)"},
      {"normalisation std NaN", "io::normalize(pixels, 1, {.input_std = {NaN}})",
       [] {
         ModelMetadata m;
         m.input_std = {std::numeric_limits<float>::quiet_NaN()};
         io::normalize({1, 2}, 1, m);
       },
       "is unusable"},
  };
  for (const ApiCase& c : cases) {
    const std::string msg = error_of(c.run);
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": got '" << msg << "'";
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.name;
    table_row(c.name, c.call, msg.empty() ? "(no error)" : msg, "Error");
  }
}

// A PNG is converted to the model's channel count (gray <-> RGB by libpng), so a channel mismatch is not an
// error for PNGs; only the size is.
// Limits the model fits in change nothing.
TEST(BadInputApi, LimitsThatFitAllowTheModel) {
  const Model tiny = Model::load((work() / "tiny.bnn").string());
  Session limited(
      tiny, {.threads = 1, .batch = 2, .max_arena_bytes = int64_t{1} << 30, .max_macs = int64_t{1} << 40});
  Session free(tiny, {.threads = 1, .batch = 2});
  const std::vector<uint8_t> x(2 * 28 * 28, 77);
  limited.set_input(0, std::span<const uint8_t>(x));
  free.set_input(0, std::span<const uint8_t>(x));
  limited.run();
  free.run();
  const auto a = limited.output_f32(0), b = free.output_f32(0);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
}

TEST(BadInputApi, PngChannelsAreConverted) {
  const std::vector<uint8_t> rgb = png_bytes(3, 2, true);
  const io::Image g = io::decode_png(rgb, 1, "mem");
  EXPECT_EQ(g.c, 1);
  EXPECT_EQ(g.pixels.size(), 6u);
  const io::Image c = io::decode_png(png_bytes(3, 2, false), 3, "mem");
  EXPECT_EQ(c.pixels.size(), 18u);
}

// The trainer's config parser (train/config/, no LibTorch): every problem is one line naming the config and
// the key, with the exact messages below; `bnnkit-train train` prints them after "bnnkit-train: error: ".
TEST(BadInputConfig, OneLineNamingTheKey) {
  struct ConfigCase {
    const char* name;
    const char* text;
    const char* message;  // after "config 'c.json': "
  };
#define MLP R"("model": {"type": "mlp_bnn"})"
  const ConfigCase cases[] = {
      {"config: unknown key", "{" MLP R"(, "trian": {}})", "unknown key 'trian' (did you mean 'train'?)"},
      {"config: unknown nested key", "{" MLP R"(, "train": {"epoch": 3}})",
       "unknown key 'train.epoch' (did you mean 'train.epochs'?)"},
      {"config: unknown key, nothing near", "{" MLP R"(, "train": {"learning_rate": 0.1}})",
       "unknown key 'train.learning_rate'"},
      {"config: unknown key in a stage", "{" MLP R"(, "stages": [{"train": {"lrr": 0.1}}]})",
       "unknown key 'stages[0].train.lrr' (did you mean 'stages[0].train.lr'?)"},
      {"config: control character in a key", "{" MLP R"(, "a\u0001": 1})", "unknown key 'a\\x01'"},
      {"config: key of another model type", R"({"model": {"type": "resnet20_bnn", "hidden": [64]}})",
       "model.hidden is not a key of model type \"resnet20_bnn\""},
      {"config: number given as a string", "{" MLP R"(, "train": {"lr": "0.01"}})",
       "train.lr must be a number, not a string"},
      {"config: fraction for an integer", "{" MLP R"(, "train": {"epochs": 2.5}})",
       "train.epochs must be an integer, got 2.5"},
      {"config: section of the wrong type", "{" MLP R"(, "train": []})",
       "train must be an object, not an array"},
      {"config: batch size 0", "{" MLP R"(, "train": {"batch_size": 0}})",
       "train.batch_size must be in 1..1048576, got 0"},
      {"config: seed 2^64 - 1", "{" MLP R"(, "train": {"seed": 18446744073709551615}})",
       "train.seed must be in 0..4294967295, got 18446744073709551615"},
      {"config: negative learning rate", "{" MLP R"(, "train": {"lr": -0.001}})",
       "train.lr must be > 0, got -0.001"},
      {"config: momentum 1", "{" MLP R"(, "train": {"optimizer": "sgd", "momentum": 1}})",
       "train.momentum must be in [0, 1), got 1"},
      {"config: unknown optimizer", "{" MLP R"(, "train": {"optimizer": "adamw"}})",
       "train.optimizer must be \"adam\" or \"sgd\", got \"adamw\""},
      {"config: input shape of rank 2", R"({"model": {"type": "mlp_bnn", "input_shape": [28, 28]}})",
       "model.input_shape must have 3 elements, got 2"},
      {"config: input shape with a 0", R"({"model": {"type": "mlp_bnn", "input_shape": [1, 0, 28]}})",
       "model.input_shape[1] must be in 1..65536, got 0"},
      {"config: no model", R"({"name": "x"})", "no \"model\" object"},
      {"config: model without a type", R"({"model": {"levels": 2}})",
       "model.type is missing (\"resnet20_bnn\", \"resnet20_fp\", \"mlp_bnn\", \"pokebnn\", "
       "\"fracbnn_reactnet\" or \"resnet20_pg\")"},
      {"config: run name with a folder", R"({"name": "../x", )" MLP "}",
       "name must be 1 to 64 letters, digits, '_', '-' or '.' (not first), as it names files; got \"../x\""},
      {"config: stage named like the run's checkpoint", "{" MLP R"(, "stages": [{"name": "checkpoint"}]})",
       "stages[0].name \"checkpoint\" is reserved"},
      {"config: two stages of one name", "{" MLP R"(, "stages": [{"name": "a"}, {"name": "a"}]})",
       "stages[1].name \"a\" is used by an earlier stage"},
      {"config: distillation without a teacher", "{" MLP R"(, "distill": {"alpha": 0.5}})",
       "distill.teacher is missing (the teacher's checkpoint)"},
      {"config: not an object", "[1, 2]", "a config must be a JSON object, not an array"},
      {"config: trailing comma", R"({"model": {"type": "mlp_bnn",}})",
       "not valid JSON: parse error at line 1, column 30: syntax error while parsing object key - unexpected "
       "'}'; "
       "expected string literal"},
      {"config: empty", "",
       "not valid JSON: parse error at line 1, column 1: syntax error while parsing value - unexpected end "
       "of "
       "input; expected '[', '{', or a literal"},
  };
#undef MLP
  for (const ConfigCase& c : cases) {
    const std::string msg = error_of([&] { train::parse_config(c.text, "c.json"); });
    EXPECT_EQ(msg, std::string("config 'c.json': ") + c.message) << c.name;
    const std::string text = *c.text != '\0' ? c.text : "\"\"";
    table_row(c.name, "train::parse_config(" + text + ")", msg.empty() ? "(no error)" : msg, "Error");
  }
  const std::string missing = (work() / "missing.json").string();
  EXPECT_EQ(error_of([&] { train::load_config(missing); }),
            "cannot open config '" + missing + "': No such file or directory");
  EXPECT_EQ(error_of([&] { train::load_config(work().string()); }),
            "config '" + work().string() + "' is a directory");
}

// Every config the project ships, and the trainer's copy of one next to its model, is valid.
TEST(BadInputConfig, ShippedConfigsAreValid) {
  const fs::path root(BNNKIT_SOURCE_DIR);
  std::vector<fs::path> paths = {root / "models" / "fracbnn_resnet20" / "config.json"};
  for (const auto& e : fs::directory_iterator(root / "configs"))
    if (e.path().extension() == ".json") paths.push_back(e.path());
  EXPECT_GE(paths.size(), 6u);
  for (const fs::path& p : paths) EXPECT_NO_THROW(train::load_config(p.string())) << p;
}

}  // namespace
}  // namespace bnnkit
