// Dataset and image readers: IDX (plain and gzipped), CIFAR-10 records, PNG, and their errors.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bnnkit/error.h"
#include "io/idx.h"
#include "io/image.h"

namespace bnnkit::io {
namespace {

namespace fs = std::filesystem;

fs::path dir() {
  const fs::path d = fs::temp_directory_path() / ("bnnkit_io_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::vector<uint8_t> idx_bytes(std::vector<int> dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (int d : dims)
    for (int s : {24, 16, 8, 0}) b.push_back(static_cast<uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

void write_gz(const fs::path& p, const std::vector<uint8_t>& b) {
  write(p, gzip(b));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Idx, PlainAndGzippedGiveTheSameArray) {
  std::vector<uint8_t> data(2 * 3 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  write(dir() / "a.idx", idx_bytes({2, 3, 4}, data));
  write_gz(dir() / "a.idx.gz", idx_bytes({2, 3, 4}, data));
  for (const char* name : {"a.idx", "a.idx.gz"}) {
    const IdxArray a = read_idx((dir() / name).string());
    EXPECT_EQ(a.dims, (std::vector<int>{2, 3, 4})) << name;
    EXPECT_EQ(a.data, data) << name;
  }
}

TEST(Idx, GzipRoundTrip) {
  for (const size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{1} << 20}) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
    const std::vector<uint8_t> gz = gzip(data);
    ASSERT_GE(gz.size(), 2u);
    EXPECT_EQ(gz[0], 0x1f);
    EXPECT_EQ(gz[1], 0x8b);
    EXPECT_EQ(maybe_gunzip(gz, "test"), data) << n << " bytes";
  }
}

TEST(Idx, Errors) {
  EXPECT_EQ(error_of([] { parse_idx({0, 0}, "x"); }), "'x': too short to be an IDX file");
  EXPECT_EQ(error_of([] {
              parse_idx({1, 0, 8, 1, 0, 0, 0, 1, 5}, "x");
            }),
            "'x': not an IDX file (bad magic)");
  EXPECT_EQ(error_of([] {
              parse_idx({0, 0, 0x0D, 1, 0, 0, 0, 1, 5}, "x");
            }),
            "'x': IDX element type 13 is not unsigned byte (0x08)");
  EXPECT_EQ(error_of([] {
              parse_idx(idx_bytes({2, 2}, {1, 2, 3}), "x");
            }),
            "'x': IDX header promises 4 bytes of data, file has 3");
  EXPECT_EQ(error_of([] { parse_idx(idx_bytes({0}, {}), "x"); }),
            "'x': IDX dimension 0 is 0: the file holds no data");
  EXPECT_EQ(error_of([] { read_idx("/nonexistent.idx"); }), "'/nonexistent.idx': no such file");
  // A truncated gzip stream.
  std::vector<uint8_t> big(10000, 3);
  write_gz(dir() / "t.gz", idx_bytes({10000}, big));
  std::ifstream in(dir() / "t.gz", std::ios::binary);
  std::vector<uint8_t> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gz.resize(gz.size() / 2);
  write(dir() / "t2.gz", gz);
  EXPECT_EQ(error_of([] { read_idx((dir() / "t2.gz").string()); }),
            "'" + (dir() / "t2.gz").string() + "': corrupt or truncated gzip data");
}

TEST(Idx, PairAndFolder) {
  const fs::path d = dir() / "pair";
  fs::create_directories(d);
  write(d / "t10k-images-idx3-ubyte", idx_bytes({3, 2, 2}, std::vector<uint8_t>(12, 9)));
  write_gz(d / "t10k-labels-idx1-ubyte.gz", idx_bytes({3}, {0, 4, 2}));
  const Dataset ds = load_idx_dir(d.string(), "t10k");
  EXPECT_EQ(ds.n, 3);
  EXPECT_EQ(ds.h, 2);
  EXPECT_EQ(ds.c, 1);
  EXPECT_EQ(ds.classes, 5);
  EXPECT_EQ(ds.labels, (std::vector<uint8_t>{0, 4, 2}));
  write(d / "train-images-idx3-ubyte", idx_bytes({3, 2, 2}, std::vector<uint8_t>(12, 9)));
  write(d / "train-labels-idx1-ubyte", idx_bytes({2}, {0, 1}));
  EXPECT_NE(error_of([&] { load_idx_dir(d.string(), "train"); }).find("has 3 images but"), std::string::npos);
  EXPECT_EQ(error_of([&] { load_idx_dir((d / "none").string(), "train"); }),
            "data folder '" + (d / "none").string() + "' does not exist");
  EXPECT_EQ(error_of([&] { load_idx_dir(d.string(), "valid"); }),
            "data folder '" + d.string() + "' has no file named valid-images*");
}

TEST(Idx, FashionMnistFromTheDebianPackage) {
  if (!fs::exists(std::string(kDefaultFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const Dataset ds = load_idx_dir(kDefaultFashionMnistDir, "t10k");
  EXPECT_EQ(ds.n, 10000);
  EXPECT_EQ(ds.h, 28);
  EXPECT_EQ(ds.w, 28);
  EXPECT_EQ(ds.c, 1);
  EXPECT_EQ(ds.classes, 10);
  std::vector<int> per_class(10);
  for (uint8_t y : ds.labels) per_class[y]++;
  for (int k = 0; k < 10; ++k) EXPECT_EQ(per_class[k], 1000);
}

TEST(Cifar10, RecordsBecomeNhwc) {
  std::vector<uint8_t> rec(3073 * 2);
  rec[0] = 7;
  for (int i = 0; i < 3072; ++i) rec[1 + i] = static_cast<uint8_t>(i % 251);
  rec[3073] = 2;
  write(dir() / "batch.bin", rec);
  const Dataset ds = load_cifar10_bin({(dir() / "batch.bin").string()});
  ASSERT_EQ(ds.n, 2);
  EXPECT_EQ(ds.labels, (std::vector<uint8_t>{7, 2}));
  // Pixel (y=1, x=2), channel c comes from CHW offset c*1024 + 1*32 + 2.
  for (int c = 0; c < 3; ++c) EXPECT_EQ(ds.images[(1 * 32 + 2) * 3 + c], (c * 1024 + 34) % 251);
  write(dir() / "short.bin", std::vector<uint8_t>(100));
  EXPECT_NE(error_of([] { load_cifar10_bin({(dir() / "short.bin").string()}); }).find("not a multiple"),
            std::string::npos);
}

TEST(Png, ReadsGrayAndRgbAndRejectsGarbage) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = 3, img.height = 2, img.format = PNG_FORMAT_RGB;
  const std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90};
  const std::string path = (dir() / "x.png").string();
  ASSERT_TRUE(png_image_write_to_file(&img, path.c_str(), 0, rgb.data(), 0, nullptr));
  const Image c3 = read_png(path, 3);
  EXPECT_EQ(c3.h, 2);
  EXPECT_EQ(c3.w, 3);
  EXPECT_EQ(c3.pixels, rgb);
  const Image c1 = read_png(path, 1);
  EXPECT_EQ(c1.pixels.size(), 6u);
  EXPECT_GT(c1.pixels[1], c1.pixels[2]);  // green is brighter than blue
  write(dir() / "bad.png", {1, 2, 3, 4, 5});
  EXPECT_NE(error_of([] { read_png((dir() / "bad.png").string(), 1); }).find("not a readable PNG"),
            std::string::npos);
  EXPECT_EQ(error_of([] { read_png("/nonexistent.png", 1); }), "'/nonexistent.png': no such file");
}

TEST(Normalize, UsesModelMetadata) {
  ModelMetadata m;
  m.input_mean = {0.5f};
  m.input_std = {0.25f};
  const auto x = normalize({0, 255}, 1, m);
  EXPECT_FLOAT_EQ(x[0], -2.0f);
  EXPECT_FLOAT_EQ(x[1], 2.0f);
}

}  // namespace
}  // namespace bnnkit::io
