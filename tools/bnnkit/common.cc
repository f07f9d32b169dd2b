#include "common.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

#include "io/idx.h"
#include "io/image.h"
#include "zoo/zoo.h"

namespace bnnkit::cli {

Model load_model_or_arch(const std::string& path_or_arch) {
  std::error_code ec;
  if (!std::filesystem::exists(path_or_arch, ec))
    for (const zoo::Arch& a : zoo::archs())
      if (path_or_arch == a.name) return Model::from_graph(a.build(1));
  return Model::load(path_or_arch);
}

ImageInput image_input(const Model& model) {
  const auto inputs = model.inputs();
  const TensorInfo& t = inputs.at(0);
  if (t.shape.size() != 4)
    throw Error("the model's input '" + t.name + "' is not an image tensor [N, H, W, C]");
  if (t.dtype != DType::kUInt8 && t.dtype != DType::kFloat32)
    throw Error("the model's input '" + t.name + "' is " + dtype_name(t.dtype) +
                "; images need uint8 or float32");
  return {t.shape[1], t.shape[2], t.shape[3], t.dtype};
}

void feed_images(Session& session, const ImageInput& in, const uint8_t* images, int count) {
  const size_t per = static_cast<size_t>(in.h) * in.w * in.c;
  std::vector<uint8_t> batch(per * session.batch(), 0);
  std::copy(images, images + per * count, batch.begin());
  if (in.dtype == DType::kUInt8) {
    session.set_input(0, std::span<const uint8_t>(batch));
  } else {
    const std::vector<float> x = io::normalize(batch, in.c, session.model().metadata());
    session.set_input(0, std::span<const float>(x));
  }
}

std::vector<int> argmax_rows(const Session& session, int count) {
  const TensorView out = session.output(0);
  if (out.dtype != DType::kFloat32 || out.shape.size() != 2)
    throw Error("the model's first output is not float32 [N, classes]");
  const auto* p = static_cast<const float*>(out.data);
  const int classes = out.shape[1];
  std::vector<int> pred(count);
  for (int i = 0; i < count; ++i)
    pred[i] = static_cast<int>(std::max_element(p + i * classes, p + (i + 1) * classes) - (p + i * classes));
  return pred;
}

std::string class_name(const Model& model, int k) {
  const auto& names = model.metadata().class_names;
  return k >= 0 && k < static_cast<int>(names.size()) ? names[k] : "class " + std::to_string(k);
}

namespace {

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

}  // namespace

std::vector<uint8_t> load_images(const Model& model, const std::string& path, int max_count, int* count) {
  const ImageInput in = image_input(model);
  const std::string geometry = std::to_string(in.h) + "x" + std::to_string(in.w) + "x" + std::to_string(in.c);
  if (ends_with_ci(path, ".png")) {
    io::Image img = io::read_png(path, in.c);
    if (img.h != in.h || img.w != in.w)
      throw Error("'" + path + "' is " + std::to_string(img.h) + "x" + std::to_string(img.w) +
                  " but the model expects " + std::to_string(in.h) + "x" + std::to_string(in.w) + " images");
    *count = 1;
    return std::move(img.pixels);
  }
  io::IdxArray idx = io::read_idx(path);
  std::vector<int> d = idx.dims;
  if (d.size() == 1)
    throw Error("'" + path + "' is a one-dimensional IDX array [" + std::to_string(d[0]) +
                "] (labels?), not images");
  if (d.size() == 2) d.insert(d.begin(), 1);  // one [h][w] image
  if (d.size() == 3) d.push_back(1);          // [n][h][w]: grayscale
  if (d.size() != 4 || d[1] != in.h || d[2] != in.w || d[3] != in.c) {
    std::string got;
    for (size_t i = 1; i < d.size(); ++i) got += (i > 1 ? "x" : "") + std::to_string(d[i]);
    throw Error("'" + path + "' holds " + got + " images but the model expects " + geometry);
  }
  *count = std::min(d[0], std::max(1, max_count));
  return std::move(idx.data);
}

std::vector<GateRow> gate_rows(const Model& model, const std::vector<OpProfile>& profile) {
  std::vector<GateRow> rows;
  for (const OpProfile& p : profile) {
    if (p.gate_outputs <= 0) continue;
    GateRow r;
    r.name = p.name;
    r.op = p.op;
    r.density = static_cast<double>(p.gate_open) / static_cast<double>(p.gate_outputs);
    if (p.runs > 0 && p.total_ms > 0) r.mean_ms = p.total_ms / static_cast<double>(p.runs);
    for (const OpDef& op : model.graph().ops) {
      if (op.name != p.name) continue;
      if (const auto* pg = std::get_if<PGConv2dOp>(&op.attrs)) {
        r.hbits = pg->high_bits;
        r.lbits = pg->act_bits - pg->high_bits;
      }
    }
    rows.push_back(r);
  }
  return rows;
}

void print_gate_rows(const std::vector<GateRow>& rows) {
  if (rows.empty()) return;
  const bool timed = std::any_of(rows.begin(), rows.end(), [](const GateRow& r) { return r.mean_ms >= 0; });
  std::printf("\ngated layers (density: outputs that took the LSB pass; bits: hb + density * lb)\n");
  std::printf("  %-24s %-10s %8s %6s%s\n", "op", "type", "density", "bits", timed ? "  mean ms" : "");
  for (const GateRow& r : rows) {
    std::printf("  %-24s %-10s %7.2f%% %6.3f", r.name.c_str(), r.op.c_str(), 100.0 * r.density,
                r.effective_bits());
    if (timed) std::printf("  %7.4f", r.mean_ms);
    std::printf("\n");
  }
}

std::string gate_rows_json(const std::vector<GateRow>& rows, int indent) {
  nlohmann::json j = nlohmann::json::array();
  for (const GateRow& r : rows) {
    nlohmann::json o = {
        {"name", r.name}, {"op", r.op}, {"density", r.density}, {"effective_bits", r.effective_bits()}};
    if (r.mean_ms >= 0) o["mean_ms"] = r.mean_ms;
    j.push_back(o);
  }
  return j.dump(indent);
}

Model force_gates(const Model& model, const std::string& mode) {
  if (mode == "model") return model;
  if (mode != "open" && mode != "closed")
    throw Error("--gates must be model, open or closed, not '" + mode + "'");
  const bool open = mode == "open";
  Graph g = model.graph();
  auto fill = [&](int tensor, auto value) {
    const TensorDef& t = g.tensors.at(static_cast<size_t>(tensor));
    if (t.buffer < 0)
      throw Error("gate thresholds '" + t.name + "' are not constants; --gates needs constants");
    auto& buf = g.buffers.at(static_cast<size_t>(t.buffer));
    for (size_t i = 0; i + sizeof value <= buf.size(); i += sizeof value)
      std::memcpy(buf.data() + i, &value, sizeof value);
  };
  for (const OpDef& op : g.ops) {
    if (std::holds_alternative<FracConv2dOp>(op.attrs)) {
      // open iff D_msb > threshold
      fill(op.inputs.at(3), open ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int32_t>::max());
    } else if (std::holds_alternative<PGConv2dOp>(op.attrs)) {
      // open iff O_hb > delta
      fill(op.inputs.at(2), open ? std::numeric_limits<float>::lowest() : std::numeric_limits<float>::max());
    }
  }
  return Model::from_graph(std::move(g));
}

EvalResult evaluate(const Model& model, const std::string& dir, const std::string& split, int limit,
                    int batch, int threads, bool profile) {
  const ImageInput in = image_input(model);
  const io::Dataset ds = io::load_idx_dir(dir, split);
  if (ds.h != in.h || ds.w != in.w || ds.c != in.c)
    throw Error("data in '" + dir + "' is " + std::to_string(ds.h) + "x" + std::to_string(ds.w) + "x" +
                std::to_string(ds.c) + " but the model expects " + std::to_string(in.h) + "x" +
                std::to_string(in.w) + "x" + std::to_string(in.c));
  if (batch < 1) throw Error("--batch must be >= 1");
  EvalResult r;
  r.total = limit > 0 ? std::min(limit, ds.n) : ds.n;
  Session s(model, {.threads = threads, .batch = std::min(batch, r.total), .profile = profile});
  r.threads = s.threads();
  const TensorInfo out = model.outputs().at(0);
  if (out.dtype != DType::kFloat32 || out.shape.size() != 2)
    throw Error("the model's first output '" + out.name + "' is not float32 [N, classes]");
  r.classes = out.shape[1];
  for (int i = 0; i < r.total; ++i)
    if (ds.labels[i] >= r.classes)
      throw Error("label " + std::to_string(ds.labels[i]) + " of image " + std::to_string(i) +
                  " is out of range for a model with " + std::to_string(r.classes) + " classes");
  r.confusion.assign(r.classes, std::vector<int>(r.classes, 0));
  const auto t0 = std::chrono::steady_clock::now();
  for (int start = 0; start < r.total; start += s.batch()) {
    const int n = std::min(s.batch(), r.total - start);
    feed_images(s, in, ds.images.data() + ds.image_bytes() * start, n);
    s.run();
    const std::vector<int> pred = argmax_rows(s, n);
    for (int i = 0; i < n; ++i) {
      const int y = ds.labels[start + i];
      r.confusion[y][pred[i]] += 1;
      r.correct += pred[i] == y;
    }
    std::fprintf(stderr, "\reval %d/%d", start + n, r.total);
  }
  std::fprintf(stderr, "\n");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.profile = s.profile();
  return r;
}

}  // namespace bnnkit::cli
