#include "targets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "io/idx.h"
#include "io/image.h"
#include "train/config/config.h"

namespace bnnkit::fuzz {
namespace {

int64_t elements(const std::vector<int>& shape) {
  int64_t n = 1;
  for (int d : shape) n *= d;  // validated: rank <= 8, every dimension >= 1, at most 2^28 elements
  return n;
}

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

// Zero inputs.
void zero_inputs(Session& s, const Model& model) {
  for (size_t i = 0; i < model.inputs().size(); ++i) {
    const TensorView v = s.input(static_cast<int>(i));
    if (v.dtype == DType::kUInt8) {
      s.set_input(static_cast<int>(i), std::span<const uint8_t>(std::vector<uint8_t>(v.bytes, 0)));
    } else if (v.dtype == DType::kFloat32 || v.dtype == DType::kBits) {
      s.set_input(static_cast<int>(i), std::span<const float>(std::vector<float>(elements(v.shape), 0.0f)));
    }  // int32 inputs have no setter (and no op reads one): they stay as the zeroed arena left them
  }
}

// `runs` runs of one Session on zero inputs must give the same outputs; returns them byte for byte.
std::vector<std::vector<uint8_t>> run_outputs(const Model& model, const std::string& isa, int runs) {
  Session s(model, {.threads = 1, .batch = 1, .max_isa = isa});
  std::vector<std::vector<uint8_t>> outs;
  zero_inputs(s, model);
  for (int rep = 0; rep < runs; ++rep) {
    s.run();
    // Graph inputs keep their values across run() (Session::tensor's promise): a kernel that writes past
    // its output into a neighbouring tensor shows up here, where ASan cannot see it (one arena).
    for (size_t i = 0; i < model.inputs().size(); ++i) {
      const TensorView v = s.input(static_cast<int>(i));
      const auto* p = static_cast<const uint8_t*>(v.data);
      if (std::any_of(p, p + v.bytes, [](uint8_t b) { return b != 0; }))
        finding("run() changed graph input " + std::to_string(i) + " (ISA cap '" + isa + "')");
    }
    for (size_t o = 0; o < model.outputs().size(); ++o) {
      const TensorView v = s.output(static_cast<int>(o));
      const auto* p = static_cast<const uint8_t*>(v.data);
      if (rep == 0) {
        outs.emplace_back(p, p + v.bytes);
      } else if (std::memcmp(outs[o].data(), p, v.bytes) != 0) {
        finding("output " + std::to_string(o) + " differs between two runs of one Session (ISA cap '" + isa +
                "')");
      }
    }
  }
  (void)s.describe();
  (void)s.profile();
  return outs;
}

// Float outputs compare as equal when bit-identical or both NaN (NaN payloads may differ between
// variants); everything else byte for byte.
bool same_output(DType dtype, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return false;
  if (dtype != DType::kFloat32) return a == b;
  for (size_t i = 0; i + 4 <= a.size(); i += 4) {
    float x, y;
    std::memcpy(&x, &a[i], 4);
    std::memcpy(&y, &b[i], 4);
    if (std::memcmp(&x, &y, 4) != 0 && !(std::isnan(x) && std::isnan(y))) return false;
  }
  return true;
}

}  // namespace

WorkEstimate estimate_work(const Graph& g) {
  WorkEstimate e;
  for (const TensorDef& t : g.tensors)
    if (t.buffer < 0) e.activation_bytes += static_cast<int64_t>(tensor_bytes(t.dtype, t.shape));
  for (const OpDef& op : g.ops) {
    int64_t out = 0;
    for (int t : op.outputs) out += elements(g.tensors[t].shape);
    e.work += out;
    for (int t : op.inputs)
      if (t >= 0 && g.tensors[t].buffer < 0) e.work += elements(g.tensors[t].shape);
    // Inner loops: taps × input channels (64-bit words for binary ops) for convolutions and dense layers,
    // the window for pools.
    const int64_t ic = g.tensors[op.inputs[0]].shape.back();
    const int64_t ic_words = (ic + 63) / 64;
    if (const auto* a = std::get_if<BConv2dOp>(&op.attrs)) {
      e.work += out * a->conv.kh * a->conv.kw * ic_words;
    } else if (const auto* f = std::get_if<FracConv2dOp>(&op.attrs)) {
      e.work += 2 * out * f->conv.kh * f->conv.kw * ic_words;
    } else if (const auto* pg = std::get_if<PGConv2dOp>(&op.attrs)) {
      // The reference (which takes windows too wide for the bit-serial variants) reads every plane of every
      // channel: the upper bound.
      e.work += out * pg->conv.kh * pg->conv.kw * ic * pg->act_bits;
    } else if (const auto* c = std::get_if<Conv2dOp>(&op.attrs)) {
      e.work += out * c->conv.kh * c->conv.kw * (ic / c->groups);
    } else if (std::holds_alternative<BDenseOp>(op.attrs)) {
      e.work += out * ic_words;
    } else if (std::holds_alternative<DenseOp>(op.attrs)) {
      e.work += out * ic;
    } else if (const auto* ap = std::get_if<AvgPoolOp>(&op.attrs)) {
      e.work += out * ap->window.kh * ap->window.kw;
    } else if (const auto* mp = std::get_if<MaxPoolOp>(&op.attrs)) {
      e.work += out * mp->window.kh * mp->window.kw;
    }
  }
  return e;
}

Outcome model_load(const uint8_t* data, size_t size) {
  try {
    const Model model = Model::from_bytes(std::span<const uint8_t>(data, size), "fuzz.bnn");
    (void)model_cost(model.graph());  // what `bnnkit info` prints
    const WorkEstimate w = estimate_work(model.graph());
    if (w.work > kMaxFuzzWork || w.activation_bytes > kMaxFuzzActivationBytes) return Outcome::kSkipped;
    const auto best = run_outputs(model, "", 2);
    if (w.work <= kMaxFuzzWork / 8) {  // the small models (most fuzz inputs): also the portable kernels
      const auto portable = run_outputs(model, "portable", 1);
      for (size_t o = 0; o < best.size(); ++o)
        if (!same_output(model.outputs()[o].dtype, best[o], portable[o]))
          finding("output " + std::to_string(o) + " differs between the best kernel ISA and 'portable'");
    }
    return Outcome::kAccepted;
  } catch (const Error&) {
    return Outcome::kRejected;
  }
}

Outcome idx(const uint8_t* data, size_t size) {
  try {
    const std::vector<uint8_t> bytes = io::maybe_gunzip(std::vector<uint8_t>(data, data + size), "fuzz.idx");
    const io::IdxArray a = io::parse_idx(bytes, "fuzz.idx");
    if (a.dims.empty() || static_cast<int64_t>(a.data.size()) != elements(a.dims))
      finding("parse_idx returned dims that do not match its data");
    return Outcome::kAccepted;
  } catch (const Error&) {
    return Outcome::kRejected;
  }
}

Outcome png(const uint8_t* data, size_t size) {
  // 1024 per side keeps one fuzz input under ~3 MB of pixels; the decoder is the same for any limit.
  constexpr int kFuzzMaxSide = 1024;
  Outcome result = Outcome::kRejected;
  for (int channels : {1, 3}) {
    try {
      const io::Image img =
          io::decode_png(std::span<const uint8_t>(data, size), channels, "fuzz.png", kFuzzMaxSide);
      if (img.c != channels ||
          img.pixels.size() != static_cast<size_t>(img.h) * static_cast<size_t>(img.w) * img.c)
        finding("decode_png returned a size that does not match its pixels");
      (void)io::normalize(img.pixels, channels, ModelMetadata{});
      result = Outcome::kAccepted;
    } catch (const Error&) {
    }
  }
  return result;
}

Outcome config(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  train::Json c;
  try {
    c = train::parse_config(text, "fuzz.json");
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.rfind("config 'fuzz.json': ", 0) != 0 || msg.find('\n') != std::string::npos)
      finding("config error is not one line naming the config: " + msg);
    return Outcome::kRejected;
  }
  // What the trainer does with an accepted config must work too: its copy (config.json) parses back to the
  // same config, and every resolved stage (base merged with the stage's overrides) is a valid config itself.
  try {
    if (train::parse_config(c.dump(), "copy") != c)
      finding("an accepted config changes when written and read");
    for (const train::Json& s : train::resolve_stages(c))
      train::validate_config({{"model", s.at("model")}, {"train", s.at("train")}}, "stage");
  } catch (const Error& e) {
    finding(std::string("an accepted config fails later: ") + e.what());
  }
  return Outcome::kAccepted;
}

}  // namespace bnnkit::fuzz

int fuzz_model_load(const uint8_t* data, size_t size) {
  bnnkit::fuzz::model_load(data, size);
  return 0;
}
int fuzz_idx(const uint8_t* data, size_t size) {
  bnnkit::fuzz::idx(data, size);
  return 0;
}
int fuzz_png(const uint8_t* data, size_t size) {
  bnnkit::fuzz::png(data, size);
  return 0;
}
int fuzz_config(const uint8_t* data, size_t size) {
  bnnkit::fuzz::config(data, size);
  return 0;
}
