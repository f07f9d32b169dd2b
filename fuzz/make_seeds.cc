// Writes the seed corpus of the fuzz targets into DIR/<target>/: the zoo models, small models that between
// them use every op and output stage, small IDX files (plain and gzipped, every rank) and small PNGs (gray,
// RGB, alpha, 16-bit, palette). Usage: fuzz_make_seeds DIR (scripts/fuzz.sh --seeds calls it).
#include <png.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "io/idx.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

namespace fs = std::filesystem;

std::mt19937 rng(7);

std::vector<float> normal(size_t n, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}
std::vector<float> positive(size_t n) {
  std::vector<float> v = normal(n, 0.2f);
  for (auto& x : v) x = 0.5f + std::abs(x);
  return v;
}

void write(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::printf("%8zu  %s\n", bytes.size(), p.string().c_str());
}

// Float ops: conv (plain and grouped), affine, PReLU/RPReLU/DPReLU, activations, add, pools, channel ops,
// squeeze-excite scaling, uniform quantisation, dense, softmax and argmax.
Graph float_ops() {
  GraphBuilder b("seed-float-ops");
  int x = b.input("image", DType::kFloat32, {1, 6, 6, 3});
  const auto c = [&](const std::string& n, int ch) { return b.constant_f32(n, {ch}, normal(ch)); };
  x = b.conv2d(x, b.constant_f32("c1.w", {4, 3, 3, 3}, normal(108)), c("c1.b", 4), {3, 3, 1, 1, 1, 1});
  x = b.affine(x, b.constant_f32("bn.s", {4}, positive(4)), c("bn.b", 4));
  x = b.prelu(x, c("pr.slope", 4));
  const int g = b.conv2d(x, b.constant_f32("c2.w", {4, 1, 1, 2}, normal(8)), -1, {1, 1, 1, 1, 0, 0}, 2);
  x = b.add(b.activation(x, ActivationKind::kRelu6), g);
  x = b.rprelu(x, c("rp.g", 4), c("rp.s", 4), c("rp.z", 4));
  x = b.dprelu(x, c("dp.b", 4), c("dp.p", 4), c("dp.n", 4), c("dp.g", 4));
  const int se = b.activation(b.global_avg_pool(x), ActivationKind::kHardSigmoid);
  x = b.scale_channels(x, se);
  x = b.avg_pool(x, {2, 2, 2, 2, 0, 0}, true);
  x = b.concat(b.max_pool(x, {3, 3, 1, 1, 1, 1}), b.avg_pool(x, {3, 3, 1, 1, 1, 1}, false));
  x = b.channel_avg(b.channel_pad(b.channel_dup(x, 2), 20), 5);
  x = b.quant_uniform(b.activation(x, ActivationKind::kIdentity), 3, -1.0f, 1.0f);
  x = b.dense(b.flatten(x), b.constant_f32("fc.w", {3, 45}, normal(135)), c("fc.b", 3));
  const int p = b.softmax(x);
  b.output(p, "probs");
  b.output(b.argmax(p), "class");
  b.metadata().class_names = {"a", "b", "c"};
  return b.finish();
}

// Binary ops: thermometer, binary convs with every output stage and both paddings, sign and 2-bit
// quantisers, a fractional conv, binary dense layers.
Graph binary_ops() {
  GraphBuilder b("seed-binary-ops");
  int x = b.input("image", DType::kUInt8, {1, 5, 5, 1});
  x = b.thermometer(x, 4);
  const auto w = [&](const std::string& n, std::vector<int> shape) {
    size_t k = 1;
    for (int d : shape) k *= d;
    return b.constant_bits(n, shape, normal(k));
  };
  const auto thr = [&](const std::string& n, int oc) {
    return BitsStage{b.constant_i32(n + ".t", {oc}, std::vector<int32_t>(oc, 1)),
                     b.constant_u8(n + ".f", {oc}, std::vector<uint8_t>(oc, 0))};
  };
  x = b.bconv2d(x, w("b1.w", {8, 3, 3, 4}), {3, 3, 1, 1, 1, 1}, Padding::kOne, thr("b1", 8));
  const int i32 = b.bconv2d(x, w("b2.w", {3, 3, 3, 8}), {3, 3, 2, 2, 1, 1}, Padding::kZero, Int32Stage{});
  (void)i32;
  int f =
      b.bconv2d(x, w("b3.w", {4, 3, 3, 8}), {3, 3, 1, 1, 1, 1}, Padding::kZero,
                FloatStage{b.constant_f32("b3.s", {4}, positive(4)), b.constant_f32("b3.b", {4}, normal(4))});
  f = b.affine(f, b.constant_f32("s.s", {4}, std::vector<float>(4, 0.1f)),
               b.constant_f32("s.b", {4}, normal(4, 0.3f)));
  const auto [msb, lsb] = b.quant2bit(f);
  int y = b.fracconv2d(
      msb, lsb, w("fr.w", {6, 3, 3, 4}), b.constant_i32("fr.gate", {6}, {0, 1, -1, 2, 0, 3}),
      {3, 3, 1, 1, 1, 1}, Padding::kZero,
      FloatStage{b.constant_f32("fr.s", {6}, positive(6)), b.constant_f32("fr.b", {6}, normal(6))});
  y = b.global_avg_pool(y);
  int s = b.sign_quant(y, b.constant_f32("sq.t", {6}, normal(6, 0.1f)));
  s = b.bdense(s, w("d1.w", {16, 6}), thr("d1", 16));
  const int out =
      b.bdense(s, w("d2.w", {4, 16}),
               FloatStage{b.constant_f32("d2.s", {4}, positive(4)), b.constant_f32("d2.b", {4}, normal(4))});
  b.output(out, "logits");
  b.output(b.bdense(b.sign_quant(out), w("d3.w", {2, 4}), Int32Stage{}), "ints");
  return b.finish();
}

// A bit-packed graph input straight into a binary dense layer, and a fractional conv with a bits stage.
Graph bits_input() {
  GraphBuilder b("seed-bits-input");
  const int x = b.input("bits", DType::kBits, {1, 70});
  b.output(b.bdense(x, b.constant_bits("w", {3, 70}, normal(210)), Int32Stage{}), "ints");
  const int m = b.input("msb", DType::kBits, {1, 3, 3, 65});
  const int l = b.input("lsb", DType::kBits, {1, 3, 3, 65});
  b.output(b.fracconv2d(m, l, b.constant_bits("fw", {2, 1, 1, 65}, normal(130)),
                        b.constant_i32("fg", {2}, {0, 5}), {1, 1, 1, 1, 0, 0}, Padding::kOne,
                        BitsStage{b.constant_i32("ft", {2}, {0, 0}), b.constant_u8("ff", {2}, {0, 1})}),
           "bits");
  return b.finish();
}

// The general Precision Gating conv: W8 A3 hb2 with a float stage, and W2 A4 hb2 with raw int32 output.
Graph pg_ops() {
  GraphBuilder b("seed-pgconv");
  const int x = b.input("image", DType::kFloat32, {1, 5, 5, 6});
  std::vector<int32_t> codes8(4 * 3 * 3 * 6), codes2(3 * 1 * 1 * 4);
  for (size_t i = 0; i < codes8.size(); ++i) codes8[i] = static_cast<int32_t>(i * 37 % 255) - 127;
  for (size_t i = 0; i < codes2.size(); ++i) codes2[i] = static_cast<int32_t>(i % 3) - 1;
  PGConv2dOp a;
  a.conv = {3, 3, 1, 1, 1, 1};
  a.weight_step = 0.01f;
  const int y = b.pgconv2d(
      x, b.constant_i32("pg.w", {4, 3, 3, 6}, codes8),
      b.constant_f32("pg.delta", {4}, {0.0f, 0.5f, -0.5f, 1.0f}), a,
      FloatStage{b.constant_f32("pg.s", {4}, {1, 2, 3, 4}), b.constant_f32("pg.b", {4}, {0, 0, 1, 1})});
  PGConv2dOp a2;
  a2.conv = {1, 1, 2, 2, 0, 0};
  a2.act_bits = 4, a2.weight_bits = 2;
  b.output(b.pgconv2d(y, b.constant_i32("pg2.w", {3, 1, 1, 4}, codes2),
                      b.constant_f32("pg2.delta", {3}, {0, 0, 0}), a2, Int32Stage{}),
           "acc");
  return b.finish();
}

std::vector<uint8_t> idx_bytes(const std::vector<int>& dims, uint8_t type = 0x08) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  size_t n = 1;
  for (int d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
    n *= d;
  }
  for (size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(i * 37 + 11));
  return b;
}

using io::gzip;

std::vector<uint8_t> png_bytes(int w, int h, png_uint_32 format, const void* colormap = nullptr,
                               int colormap_entries = 0) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = w, img.height = h, img.format = format, img.colormap_entries = colormap_entries;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(img));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 29 + 3);
  if (format & PNG_FORMAT_FLAG_COLORMAP)
    for (auto& p : pixels) p %= colormap_entries;
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&img, nullptr, &size, 0, pixels.data(), 0, colormap);
  std::vector<uint8_t> out(size);
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, pixels.data(), 0, colormap))
    throw Error(std::string("png write failed: ") + img.message);
  out.resize(size);
  return out;
}

}  // namespace
}  // namespace bnnkit

int main(int argc, char** argv) {
  using namespace bnnkit;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  for (const char* t : {"model_load", "idx", "png"}) fs::create_directories(dir / t);
  for (const auto& [name, g] : {std::pair{"float-ops", float_ops()}, std::pair{"binary-ops", binary_ops()},
                                std::pair{"bits-input", bits_input()}, std::pair{"pg-ops", pg_ops()}})
    write(dir / "model_load" / (std::string(name) + ".bnn"), serialize_model(g));
  // The small 28x28 zoo models (larger ones would slow every mutation down and bloat the corpus).
  for (const char* arch : {"fracbnn-tiny", "bnn-mlp", "bconv-stack"})
    write(dir / "model_load" / (std::string(arch) + ".bnn"), serialize_model(zoo::build(arch, 1)));

  write(dir / "idx" / "images-3x4x4.idx", idx_bytes({3, 4, 4}));
  write(dir / "idx" / "images-2x3x3x3.idx", idx_bytes({2, 3, 3, 3}));
  write(dir / "idx" / "labels-5.idx", idx_bytes({5}));
  write(dir / "idx" / "matrix-2x7.idx", idx_bytes({2, 7}));
  write(dir / "idx" / "images-4x5x5.idx.gz", gzip(idx_bytes({4, 5, 5})));
  write(dir / "idx" / "labels-9.idx.gz", gzip(idx_bytes({9})));

  write(dir / "png" / "gray-5x4.png", png_bytes(5, 4, PNG_FORMAT_GRAY));
  write(dir / "png" / "rgb-3x3.png", png_bytes(3, 3, PNG_FORMAT_RGB));
  write(dir / "png" / "rgba-4x2.png", png_bytes(4, 2, PNG_FORMAT_RGBA));
  write(dir / "png" / "gray-alpha-2x2.png", png_bytes(2, 2, PNG_FORMAT_GA));
  write(dir / "png" / "gray16-3x2.png", png_bytes(3, 2, PNG_FORMAT_LINEAR_Y));
  const uint8_t palette[4 * 3] = {0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255};
  write(dir / "png" / "palette-4x4.png", png_bytes(4, 4, PNG_FORMAT_RGB_COLORMAP, palette, 4));
  return 0;
}
