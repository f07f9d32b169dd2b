#include "train/recipes/checkpoint.h"

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace bnnkit::train {

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
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  archive.save_to(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw std::runtime_error("cannot write checkpoint " + path + ": " + ec.message());
  }
}

Json read_checkpoint_meta(const std::string& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error("checkpoint not found: " + path);
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  c10::IValue v;
  if (!archive.try_read("meta", v)) throw std::runtime_error(path + ": not a bnnkit checkpoint (no meta)");
  return Json::parse(v.toStringRef());
}

void load_checkpoint_into(const std::string& path, torch::nn::Module& model,
                          torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  torch::serialize::InputArchive model_ar;
  archive.read("model", model_ar);
  model.load(model_ar);
  if (optimizer != nullptr) {
    torch::serialize::InputArchive opt_ar;
    if (archive.try_read("optimizer", opt_ar)) optimizer->load(opt_ar);
  }
}

namespace {
constexpr char kRawMagic[8] = {'B', 'N', 'N', 'K', 'R', 'A', 'W', '1'};

template <class T>
void put(std::ofstream& f, T v) {
  f.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(std::ifstream& f, const std::string& path) {
  T v{};
  if (!f.read(reinterpret_cast<char*>(&v), sizeof v))
    throw std::runtime_error(path + ": truncated raw state");
  return v;
}
}  // namespace

void save_state_raw(const std::string& path, const torch::nn::Module& model, const Json& meta) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) throw std::runtime_error("cannot write " + tmp);
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
    if (!f) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

bool is_raw_state(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char m[8] = {};
  return f.read(m, 8) && std::equal(m, m + 8, kRawMagic);
}

Checkpoint load_state_raw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char m[8] = {};
  if (!f.read(m, 8) || !std::equal(m, m + 8, kRawMagic))
    throw std::runtime_error(path + ": not a raw state file");
  std::string meta(get<uint64_t>(f, path), '\0');
  f.read(meta.data(), static_cast<std::streamsize>(meta.size()));
  Checkpoint c;
  c.meta = Json::parse(meta);
  c.model = build_model(c.meta.at("stage_model"));
  auto params = c.model->named_parameters(true);
  auto buffers = c.model->named_buffers(true);
  const auto count = get<uint64_t>(f, path);
  torch::NoGradGuard no_grad;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name(get<uint32_t>(f, path), '\0');
    f.read(name.data(), static_cast<std::streamsize>(name.size()));
    const bool is_int = get<uint8_t>(f, path) == 1;
    std::vector<int64_t> dims(get<uint32_t>(f, path));
    for (auto& d : dims) d = get<int64_t>(f, path);
    auto t = torch::empty(dims, is_int ? torch::kLong : torch::kFloat32);
    if (!f.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()))) {
      throw std::runtime_error(path + ": truncated tensor " + name);
    }
    torch::Tensor* dst = params.find(name);
    if (dst == nullptr) dst = buffers.find(name);
    if (dst == nullptr) throw std::runtime_error(path + ": model has no tensor " + name);
    if (dst->sizes() != t.sizes()) throw std::runtime_error(path + ": shape mismatch for " + name);
    dst->copy_(t);
  }
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
