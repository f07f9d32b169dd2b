#include "train/data/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace bnnkit::train {

namespace fs = std::filesystem;

std::vector<uint8_t> read_maybe_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      const std::string msg = gzerror(f, &err);
      gzclose(f);
      throw std::runtime_error("cannot read " + path + ": " + msg);
    }
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  gzclose(f);
  return out;
}

namespace {

uint32_t be32(const std::vector<uint8_t>& b, size_t off) {
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) | b[off + 3];
}

struct Idx {
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
  size_t data_offset = 0;
};

Idx read_idx(const std::string& path) {
  Idx idx;
  idx.bytes = read_maybe_gz(path);
  const auto& b = idx.bytes;
  if (b.size() < 4 || b[0] != 0 || b[1] != 0)
    throw std::runtime_error(path + ": not an IDX file (bad magic)");
  if (b[2] != 0x08) throw std::runtime_error(path + ": IDX element type must be unsigned byte (0x08)");
  const int nd = b[3];
  if (nd < 1 || nd > 4 || b.size() < 4 + 4 * static_cast<size_t>(nd)) {
    throw std::runtime_error(path + ": bad IDX dimension count " + std::to_string(nd));
  }
  size_t count = 1;
  for (int i = 0; i < nd; ++i) {
    idx.dims.push_back(be32(b, 4 + 4 * static_cast<size_t>(i)));
    count *= static_cast<size_t>(idx.dims.back());
  }
  idx.data_offset = 4 + 4 * static_cast<size_t>(nd);
  if (b.size() - idx.data_offset != count) {
    throw std::runtime_error(path + ": IDX payload is " + std::to_string(b.size() - idx.data_offset) +
                             " bytes, header says " + std::to_string(count));
  }
  return idx;
}

std::string find_with_prefix(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> hits;
  if (!fs::is_directory(dir)) throw std::runtime_error("data directory not found: " + dir);
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.is_regular_file()) hits.push_back(e.path().string());
  }
  if (hits.empty()) throw std::runtime_error("no " + prefix + "* file in " + dir);
  std::sort(hits.begin(), hits.end());
  return hits.front();
}

}  // namespace

Dataset Dataset::head(int64_t n) const {
  if (n <= 0 || n >= size()) return *this;
  Dataset d = *this;
  d.images = images.narrow(0, 0, n).clone();
  d.labels = labels.narrow(0, 0, n).clone();
  return d;
}

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path) {
  const Idx im = read_idx(images_path);
  const Idx lb = read_idx(labels_path);
  if (im.dims.size() != 3 && im.dims.size() != 4) {
    throw std::runtime_error(images_path + ": expected an [N,H,W] or [N,H,W,C] image file");
  }
  if (lb.dims.size() != 1) throw std::runtime_error(labels_path + ": expected an [N] label file");
  if (im.dims[0] != lb.dims[0]) {
    throw std::runtime_error(images_path + " has " + std::to_string(im.dims[0]) + " images but " +
                             labels_path + " has " + std::to_string(lb.dims[0]) + " labels");
  }
  const int64_t n = im.dims[0], h = im.dims[1], w = im.dims[2];
  const int64_t c = im.dims.size() == 4 ? im.dims[3] : 1;
  Dataset d;
  auto nhwc =
      torch::from_blob(const_cast<uint8_t*>(im.bytes.data() + im.data_offset), {n, h, w, c}, torch::kUInt8);
  d.images = nhwc.permute({0, 3, 1, 2}).clone(torch::MemoryFormat::Contiguous);  // owns its memory
  d.labels = torch::from_blob(const_cast<uint8_t*>(lb.bytes.data() + lb.data_offset), {n}, torch::kUInt8)
                 .to(torch::kLong);
  d.num_classes = n > 0 ? d.labels.max().item<int64_t>() + 1 : 0;
  return d;
}

Dataset load_cifar10_batches(const std::vector<std::string>& paths) {
  constexpr int64_t kRecord = 1 + 3 * 32 * 32;
  std::vector<torch::Tensor> ims, lbs;
  for (const auto& p : paths) {
    const auto b = read_maybe_gz(p);
    if (b.empty() || b.size() % kRecord != 0) {
      throw std::runtime_error(p + ": size " + std::to_string(b.size()) +
                               " is not a multiple of 3073 (CIFAR-10)");
    }
    const int64_t n = static_cast<int64_t>(b.size()) / kRecord;
    auto t = torch::from_blob(const_cast<uint8_t*>(b.data()), {n, kRecord}, torch::kUInt8).clone();
    lbs.push_back(t.select(1, 0).to(torch::kLong));
    ims.push_back(t.narrow(1, 1, kRecord - 1).reshape({n, 3, 32, 32}).contiguous());
  }
  Dataset d;
  d.images = torch::cat(ims);
  d.labels = torch::cat(lbs);
  d.num_classes = 10;
  return d;
}

Dataset load_split(const std::string& dir, bool train) {
  const fs::path root(dir);
  if (fs::exists(root / "data_batch_1.bin") || fs::exists(root / "test_batch.bin")) {
    std::vector<std::string> paths;
    if (train) {
      for (int i = 1; i <= 5; ++i)
        paths.push_back((root / ("data_batch_" + std::to_string(i) + ".bin")).string());
    } else {
      paths.push_back((root / "test_batch.bin").string());
    }
    Dataset d = load_cifar10_batches(paths);
    std::ifstream meta(root / "batches.meta.txt");
    for (std::string line; std::getline(meta, line);) {
      if (!line.empty()) d.class_names.push_back(line);
    }
    return d;
  }
  const std::string split = train ? "train" : "t10k";
  return load_idx_pair(find_with_prefix(dir, split + "-images"), find_with_prefix(dir, split + "-labels"));
}

torch::Tensor augment(const torch::Tensor& batch, const AugmentOptions& o, std::mt19937_64& rng) {
  if (o.crop_pad() <= 0 && !o.flip()) return batch;
  const int64_t n = batch.size(0), h = batch.size(2), w = batch.size(3), p = o.crop_pad();
  auto padded = p > 0 ? torch::constant_pad_nd(batch, {p, p, p, p}, 0) : batch;
  auto out = torch::empty_like(batch);
  std::uniform_int_distribution<int64_t> off(0, 2 * p);
  std::bernoulli_distribution coin(0.5);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t dy = p > 0 ? off(rng) : 0;
    const int64_t dx = p > 0 ? off(rng) : 0;
    auto img = padded[i].narrow(1, dy, h).narrow(2, dx, w);
    if (o.flip() && coin(rng)) img = img.flip({2});
    out[i].copy_(img);
  }
  return out;
}

std::vector<int64_t> epoch_order(int64_t n, bool shuffle, std::mt19937_64& rng) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (shuffle) std::shuffle(order.begin(), order.end(), rng);
  return order;
}

}  // namespace bnnkit::train
