#include "io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bnnkit/error.h"

namespace bnnkit::io {
namespace {

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw Error("'" + origin + "': " + what);
}

std::vector<uint8_t> read_raw(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, "no such file");
  if (fs::is_directory(path, ec)) fail(path, "is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& origin) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) fail(origin, "zlib init failed");
  std::vector<uint8_t> out;
  out.resize(std::max<size_t>(in.size() * 4, 1 << 16));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.total_out == out.size()) {
      if (out.size() > (size_t{1} << 32)) {
        inflateEnd(&zs);
        fail(origin, "decompresses to more than 4 GiB");
      }
      out.resize(out.size() * 2);
    }
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) rc = Z_DATA_ERROR;  // input ended early
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      fail(origin, "corrupt or truncated gzip data");
    }
  }
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string find_split_file(const std::string& dir, const std::string& prefix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw Error("data folder '" + dir + "' is not a folder");
  if (!fs::is_directory(dir, ec)) throw Error("data folder '" + dir + "' does not exist");
  std::vector<std::string> hits;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().filename().string().rfind(prefix, 0) == 0)
      hits.push_back(e.path().string());
  std::sort(hits.begin(), hits.end());
  if (hits.empty()) throw Error("data folder '" + dir + "' has no file named " + prefix + "*");
  return hits.front();
}

}  // namespace

std::vector<uint8_t> maybe_gunzip(std::vector<uint8_t> bytes, const std::string& origin) {
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return gunzip(bytes, origin);
  return bytes;
}

std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  return maybe_gunzip(read_raw(path), path);
}

IdxArray parse_idx(const std::vector<uint8_t>& b, const std::string& origin) {
  if (b.size() < 4) fail(origin, "too short to be an IDX file");
  if (b[0] != 0 || b[1] != 0) fail(origin, "not an IDX file (bad magic)");
  if (b[2] != 0x08) fail(origin, "IDX element type " + std::to_string(b[2]) + " is not unsigned byte (0x08)");
  const int rank = b[3];
  if (rank < 1 || rank > 4) fail(origin, "IDX rank " + std::to_string(rank) + " is not 1..4");
  if (b.size() < 4 + 4 * static_cast<size_t>(rank)) fail(origin, "truncated IDX header");
  IdxArray a;
  uint64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    const uint8_t* p = b.data() + 4 + 4 * i;
    const uint32_t d = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    if (d == 0) fail(origin, "IDX dimension " + std::to_string(i) + " is 0: the file holds no data");
    if (d > (1u << 30))
      fail(origin, "IDX dimension " + std::to_string(i) + " is " + std::to_string(d) + " (more than 2^30)");
    a.dims.push_back(static_cast<int>(d));
    count *= d;
    if (count > (uint64_t{1} << 34)) fail(origin, "IDX data larger than 16 GiB");
  }
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (b.size() - header != count)
    fail(origin, "IDX header promises " + std::to_string(count) + " bytes of data, file has " +
                     std::to_string(b.size() - header));
  a.data.assign(b.begin() + static_cast<std::ptrdiff_t>(header), b.end());
  return a;
}

IdxArray read_idx(const std::string& path) {
  return parse_idx(read_maybe_gzip(path), path);
}

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path) {
  IdxArray im = read_idx(images_path);
  IdxArray lb = read_idx(labels_path);
  if (im.dims.size() < 3) fail(images_path, "image file must be [n][h][w] or [n][h][w][c]");
  if (lb.dims.size() != 1) fail(labels_path, "label file must be one-dimensional [n]");
  if (lb.dims[0] != im.dims[0])
    throw Error("'" + images_path + "' has " + std::to_string(im.dims[0]) + " images but '" + labels_path +
                "' has " + std::to_string(lb.dims[0]) + " labels");
  Dataset d;
  d.n = im.dims[0], d.h = im.dims[1], d.w = im.dims[2], d.c = im.dims.size() == 4 ? im.dims[3] : 1;
  d.images = std::move(im.data);
  d.labels = std::move(lb.data);
  d.classes = 1 + *std::max_element(d.labels.begin(), d.labels.end());
  return d;
}

Dataset load_idx_dir(const std::string& dir, const std::string& split) {
  const std::string images = find_split_file(dir, split + "-images");  // images first: errors name them first
  const std::string labels = find_split_file(dir, split + "-labels");
  return load_idx_pair(images, labels);
}

Dataset load_cifar10_bin(const std::vector<std::string>& files) {
  constexpr size_t kRecord = 1 + 3 * 32 * 32;
  Dataset d;
  d.h = d.w = 32, d.c = 3;
  for (const auto& f : files) {
    const std::vector<uint8_t> b = read_raw(f);
    if (b.empty() || b.size() % kRecord != 0)
      fail(f, "size " + std::to_string(b.size()) + " is not a multiple of the CIFAR-10 record (3073 bytes)");
    for (size_t r = 0; r < b.size() / kRecord; ++r) {
      const uint8_t* rec = b.data() + r * kRecord;
      if (rec[0] > 9)
        fail(f, "record " + std::to_string(r) + " has label " + std::to_string(rec[0]) + " (> 9)");
      d.labels.push_back(rec[0]);
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x)
          for (int c = 0; c < 3; ++c) d.images.push_back(rec[1 + c * 1024 + y * 32 + x]);
      ++d.n;
    }
  }
  d.classes = 10;
  return d;
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& bytes) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("gzip: zlib init failed");
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(bytes.size())) + 32);
  zs.next_in = const_cast<Bytef*>(bytes.data());
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Error("gzip: compression failed");
  return out;
}

}  // namespace bnnkit::io
