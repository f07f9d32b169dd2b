#include "train/recipes/checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "runtime/atomic_file.h"

namespace bnnkit::train {

namespace {

// LibTorch's messages carry a C++ backtrace after the first line (and may start with an empty one); one line
// is enough for a user.
std::string first_line(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::istringstream in(c10 != nullptr ? c10->what_without_backtrace() : e.what());
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t") != std::string::npos) return line;
  }
  return "LibTorch cannot read it";
}

[[noreturn]] void unreadable(const std::string& path, const std::string& why) {
  throw std::runtime_error("checkpoint '" + path + "' is unreadable (truncated or corrupt?): " + why);
}

// LibTorch does not check the CRC-32s of the zip records it reads, so a flipped bit in a weight would load
// silently. The stored (uncompressed) records, which hold every tensor and the pickled structure, are checked
// here first; the few compressed ones (TorchScript code) are left to LibTorch's own parsing.
void verify_zip_records(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::string b{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  const auto le = [&](uint64_t at, int bytes) {
    if (at > b.size() || static_cast<uint64_t>(bytes) > b.size() - at)
      unreadable(path, "truncated zip archive");
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(b[at + static_cast<uint64_t>(i)]);
    return v;
  };
  uint64_t eocd = b.size() >= 22 ? b.size() - 22 : 0;
  const uint64_t lowest = eocd > 65557 ? eocd - 65557 : 0;  // the end record may carry a 64 KiB comment
  while (eocd > lowest && le(eocd, 4) != 0x06054b50) --eocd;
  if (b.size() < 22 || le(eocd, 4) != 0x06054b50) unreadable(path, "no zip directory at its end");
  uint64_t entries = le(eocd + 10, 2), offset = le(eocd + 16, 4);
  if ((entries == 0xffff || offset == 0xffffffff) && eocd >= 20 && le(eocd - 20, 4) == 0x07064b50) {
    const uint64_t z = le(eocd - 20 + 8, 8);  // ZIP64 end record
    if (le(z, 4) != 0x06064b50) unreadable(path, "broken ZIP64 directory");
    entries = le(z + 32, 8);
    offset = le(z + 48, 8);
  }
  for (uint64_t e = 0; e < entries; ++e) {
    if (le(offset, 4) != 0x02014b50) unreadable(path, "broken zip directory");
    const uint64_t method = le(offset + 10, 2), crc = le(offset + 16, 4), size = le(offset + 20, 4);
    const uint64_t local = le(offset + 42, 4);
    offset += 46 + le(offset + 28, 2) + le(offset + 30, 2) + le(offset + 32, 2);
    if (method != 0 || size == 0xffffffff || local == 0xffffffff) continue;  // compressed, or sizes in ZIP64
    if (le(local, 4) != 0x04034b50) unreadable(path, "broken zip record " + std::to_string(e));
    const uint64_t data = local + 30 + le(local + 26, 2) + le(local + 28, 2);
    le(data, 0);
    if (size > b.size() - data) unreadable(path, "zip record " + std::to_string(e) + " is cut off");
    const auto* p = reinterpret_cast<const Bytef*>(b.data() + data);
    if (::crc32(0, p, static_cast<uInt>(size)) != crc) {
      unreadable(path, "zip record " + std::to_string(e) + " of " + std::to_string(entries) +
                           " fails its CRC-32 check");
    }
  }
}

torch::serialize::InputArchive open_archive(const std::string& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error("checkpoint not found: " + path);
  verify_zip_records(path);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {
    unreadable(path, first_line(e));
  }
  return archive;
}

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const Json& meta) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_ar, opt_ar;
  model.save(model_ar);
  archive.write("model", model_ar);
  if (optimizer != nullptr) {
    optimizer->save(opt_ar);
    archive.write("optimizer", opt_ar);
  }
  archive.write("meta", c10::IValue(meta.dump()));
  std::string bytes;
  archive.save_to([&](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  runtime::write_file_atomic(path, bytes, "checkpoint");
}

Json read_checkpoint_meta(const std::string& path) {
  torch::serialize::InputArchive archive = open_archive(path);
  c10::IValue v;
  if (!archive.try_read("meta", v) || !v.isString())
    throw std::runtime_error("checkpoint '" + path + "' is not a bnnkit checkpoint (no meta)");
  try {
    Json meta = Json::parse(v.toStringRef());
    if (!meta.is_object()) throw std::runtime_error("not an object");
    return meta;
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + path + "' has a corrupt meta record: " + first_line(e));
  }
}

void load_checkpoint_into(const std::string& path, torch::nn::Module& model,
                          torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive archive = open_archive(path);
  try {
    torch::serialize::InputArchive model_ar;
    archive.read("model", model_ar);
    model.load(model_ar);
    if (optimizer != nullptr) {
      torch::serialize::InputArchive opt_ar;
      if (archive.try_read("optimizer", opt_ar)) optimizer->load(opt_ar);
    }
  } catch (const std::exception& e) {
    unreadable(path, first_line(e));
  }
}

namespace {
constexpr char kRawMagic[8] = {'B', 'N', 'N', 'K', 'R', 'A', 'W', '1'};

template <class T>
void put(std::ostream& f, T v) {
  f.write(reinterpret_cast<const char*>(&v), sizeof v);
}

// Reads a raw state file held in memory; every length is checked against what is left, so a truncated or
// corrupt file gives one error instead of a huge allocation or a read past the end.
class RawReader {
 public:
  explicit RawReader(const std::string& path) : path_(path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open raw state " + path);
    bytes_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  const char* take(uint64_t n) {
    if (n > bytes_.size() - pos_) corrupt("truncated");
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class T>
  T get() {
    T v{};
    std::copy_n(take(sizeof v), sizeof v, reinterpret_cast<char*>(&v));
    return v;
  }
  uint64_t left() const { return bytes_.size() - pos_; }
  // The trailer of files written since issue 8: the CRC-32 of every byte before it.
  void check_trailer() {
    if (left() == 0) return;  // an older file, without one
    if (left() != 4) corrupt(std::to_string(left()) + " unexpected bytes after the last tensor");
    const auto crc = get<uint32_t>();
    if (::crc32_z(0, reinterpret_cast<const Bytef*>(bytes_.data()), bytes_.size() - 4) != crc)
      corrupt("CRC-32 mismatch");
  }
  [[noreturn]] void corrupt(const std::string& what) const {
    throw std::runtime_error("raw state '" + path_ + "' is unreadable: " + what);
  }

 private:
  std::string path_, bytes_;
  size_t pos_ = 0;
};
}  // namespace

void save_state_raw(const std::string& path, const torch::nn::Module& model, const Json& meta) {
  std::ostringstream f;
  f.write(kRawMagic, 8);
  const std::string m = meta.dump();
  put<uint64_t>(f, m.size());
  f.write(m.data(), static_cast<std::streamsize>(m.size()));
  std::vector<std::pair<std::string, torch::Tensor>> items;
  for (const auto& p : model.named_parameters(true)) items.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers(true)) items.emplace_back(b.key(), b.value());
  put<uint64_t>(f, items.size());
  for (auto& [name, t] : items) {
    const bool is_int = t.scalar_type() == torch::kLong;
    const auto c = t.detach().to(torch::kCPU).to(is_int ? torch::kLong : torch::kFloat32).contiguous();
    put<uint32_t>(f, static_cast<uint32_t>(name.size()));
    f.write(name.data(), static_cast<std::streamsize>(name.size()));
    put<uint8_t>(f, is_int ? 1 : 0);
    put<uint32_t>(f, static_cast<uint32_t>(c.dim()));
    for (int64_t d = 0; d < c.dim(); ++d) put<int64_t>(f, c.size(d));
    f.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.nbytes()));
  }
  put<uint32_t>(f, static_cast<uint32_t>(
                       ::crc32_z(0, reinterpret_cast<const Bytef*>(f.view().data()), f.view().size())));
  runtime::write_file_atomic(path, f.view(), "raw state");
}

bool is_raw_state(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char m[8] = {};
  return f.read(m, 8) && std::equal(m, m + 8, kRawMagic);
}

Checkpoint load_state_raw(const std::string& path) {
  RawReader r(path);
  if (!std::equal(kRawMagic, kRawMagic + 8, r.take(8))) r.corrupt("not a raw state file");
  const auto meta_size = r.get<uint64_t>();
  const char* meta = r.take(meta_size);
  Checkpoint c;
  try {
    c.meta = Json::parse(meta, meta + meta_size);
    c.model = build_model(c.meta.at("stage_model"));
  } catch (const std::exception& e) {
    r.corrupt(std::string("bad meta: ") + e.what());
  }
  auto params = c.model->named_parameters(true);
  auto buffers = c.model->named_buffers(true);
  const auto count = r.get<uint64_t>();
  torch::NoGradGuard no_grad;
  for (uint64_t i = 0; i < count; ++i) {
    const auto name_len = r.get<uint32_t>();
    const std::string name(r.take(name_len), name_len);
    if (std::any_of(name.begin(), name.end(), [](char ch) { return ch < 0x20 || ch == 0x7f; }))
      r.corrupt("tensor " + std::to_string(i) + " has a garbled name");  // keeps the message one line
    const bool is_int = r.get<uint8_t>() == 1;
    const auto ndim = r.get<uint32_t>();
    if (ndim > 8) r.corrupt("tensor " + name + " has " + std::to_string(ndim) + " dimensions");
    std::vector<int64_t> dims(ndim);
    uint64_t elements = 1;
    for (auto& d : dims) {
      d = r.get<int64_t>();
      if (d < 0 || (d > 0 && elements > r.left() / static_cast<uint64_t>(d))) r.corrupt("tensor " + name);
      elements *= static_cast<uint64_t>(d);
    }
    torch::Tensor* dst = params.find(name);
    if (dst == nullptr) dst = buffers.find(name);
    if (dst == nullptr) r.corrupt("the model has no tensor " + name);
    if (dst->sizes() != torch::IntArrayRef(dims)) r.corrupt("shape mismatch for " + name);
    auto t = torch::empty(dims, is_int ? torch::kLong : torch::kFloat32);
    std::copy_n(r.take(t.nbytes()), t.nbytes(), static_cast<char*>(t.data_ptr()));
    dst->copy_(t);
  }
  r.check_trailer();
  c.model->eval();
  return c;
}

Checkpoint load_checkpoint(const std::string& path) {
  if (is_raw_state(path)) return load_state_raw(path);
  Checkpoint c;
  c.meta = read_checkpoint_meta(path);
  c.model = build_model(c.meta.at("stage_model"));
  load_checkpoint_into(path, *c.model, nullptr);
  c.model->eval();
  return c;
}

int copy_matching_state(const torch::nn::Module& src, torch::nn::Module& dst) {
  torch::NoGradGuard no_grad;
  auto sp = src.named_parameters(true);
  auto sb = src.named_buffers(true);
  int copied = 0;
  auto copy_from = [&](torch::OrderedDict<std::string, torch::Tensor>& dst_items) {
    for (auto& item : dst_items) {
      const torch::Tensor* s = sp.find(item.key());
      if (s == nullptr) s = sb.find(item.key());
      if (s != nullptr && s->sizes() == item.value().sizes()) {
        item.value().copy_(*s);
        ++copied;
      }
    }
  };
  auto dp = dst.named_parameters(true);
  auto db = dst.named_buffers(true);
  copy_from(dp);
  copy_from(db);
  return copied;
}

}  // namespace bnnkit::train
