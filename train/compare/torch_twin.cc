#include "train/compare/torch_twin.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <variant>

#include "bnnkit/error.h"

namespace bnnkit::train {

TorchLayout parse_torch_layout(const std::string& s) {
  if (s == "nchw") return TorchLayout::kNchw;
  if (s == "nhwc" || s == "channels_last") return TorchLayout::kChannelsLast;
  throw Error("unknown LibTorch layout '" + s + "' (nchw or nhwc)");
}

const char* torch_layout_name(TorchLayout layout) {
  return layout == TorchLayout::kNchw ? "nchw" : "nhwc";
}

torch::MemoryFormat memory_format(TorchLayout layout) {
  return layout == TorchLayout::kNchw ? torch::MemoryFormat::Contiguous : torch::MemoryFormat::ChannelsLast;
}

namespace {

std::vector<int64_t> dims(const std::vector<int>& shape) {
  return {shape.begin(), shape.end()};
}

const TensorDef& constant_def(const Graph& g, int t, const OpDef& op) {
  if (t < 0 || t >= static_cast<int>(g.tensors.size()) || g.tensors[t].buffer < 0)
    throw Error("op '" + op.name + "': expected a constant input");
  return g.tensors[t];
}

// A float32 / int32 constant as a float tensor of its recorded shape.
torch::Tensor constant_float(const Graph& g, int t, const OpDef& op) {
  const TensorDef& d = constant_def(g, t, op);
  const std::vector<uint8_t>& buf = g.buffers.at(d.buffer);
  if (d.dtype == DType::kFloat32) {
    torch::Tensor out = torch::empty(dims(d.shape), torch::kFloat32);
    if (buf.size() != static_cast<size_t>(out.numel()) * sizeof(float))
      throw Error("op '" + op.name + "': constant '" + d.name + "' has the wrong size");
    std::memcpy(out.data_ptr<float>(), buf.data(), buf.size());
    return out;
  }
  if (d.dtype == DType::kInt32) {
    torch::Tensor out = torch::empty(dims(d.shape), torch::kInt32);
    if (buf.size() != static_cast<size_t>(out.numel()) * sizeof(int32_t))
      throw Error("op '" + op.name + "': constant '" + d.name + "' has the wrong size");
    std::memcpy(out.data_ptr<int32_t>(), buf.data(), buf.size());
    return out.to(torch::kFloat32);
  }
  throw Error("op '" + op.name + "': constant '" + d.name + "' is neither float32 nor int32");
}

// A bit-packed ±1 constant (rows of ceil(C / 64) little-endian words, bit 1 = -1; graph.h) as floats.
torch::Tensor constant_pm1(const Graph& g, int t, const OpDef& op) {
  const TensorDef& d = constant_def(g, t, op);
  if (d.dtype != DType::kBits) throw Error("op '" + op.name + "': '" + d.name + "' is not bit-packed");
  const std::vector<uint8_t>& buf = g.buffers.at(d.buffer);
  const int64_t c = d.shape.back();
  const int64_t words = (c + 63) / 64;
  torch::Tensor out = torch::empty(dims(d.shape), torch::kFloat32);
  const int64_t rows = out.numel() / c;
  if (buf.size() != static_cast<size_t>(rows * words * 8))
    throw Error("op '" + op.name + "': constant '" + d.name + "' has the wrong size");
  float* o = out.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < c; ++i) {
      const uint8_t byte = buf[static_cast<size_t>((r * words + i / 64) * 8 + (i % 64) / 8)];
      o[r * c + i] = ((byte >> (i % 8)) & 1) ? -1.0f : 1.0f;
    }
  return out;
}

// A per-channel vector shaped to broadcast over a rank-4 NCHW-indexed map or a rank-2 [N, C] tensor.
torch::Tensor per_channel(torch::Tensor v, size_t rank) {
  return rank == 4 ? v.view({1, -1, 1, 1}) : v.view({1, -1});
}

// Folds a binary/PG layer's output stage (inputs from `at`) into float weights w [OC, ...] and a bias, as
// batch norm is folded into a float conv (see the header).
std::pair<torch::Tensor, torch::Tensor> fold_stage(const Graph& g, const OpDef& op, size_t at,
                                                   OutputKind kind, torch::Tensor w) {
  const auto oc_view = [&](const torch::Tensor& v) {
    std::vector<int64_t> s(static_cast<size_t>(w.dim()), 1);
    s[0] = -1;
    return v.view(s);
  };
  if (kind == OutputKind::kFloat) {
    if (op.inputs.size() < at + 2) throw Error("op '" + op.name + "': missing its float output stage");
    torch::Tensor scale = constant_float(g, op.inputs[at], op);
    torch::Tensor bias = constant_float(g, op.inputs[at + 1], op);
    return {w * oc_view(scale), bias};
  }
  // No float scale to borrow: keep activations near unit scale so the float net neither overflows nor decays
  // into denormals.
  const double s = 1.0 / std::sqrt(static_cast<double>(w[0].numel()));
  torch::Tensor bias;
  if (kind == OutputKind::kBits && op.inputs.size() > at) bias = -constant_float(g, op.inputs[at], op) * s;
  return {w * s, bias};
}

// Mean of groups of g = C_in / C_out consecutive channels (trailing channels ignored), in either layout.
torch::Tensor channel_avg(const torch::Tensor& x, int64_t oc, TorchLayout layout) {
  const int64_t g = x.size(1) / oc;
  if (x.dim() == 2) return x.narrow(1, 0, oc * g).reshape({x.size(0), oc, g}).mean(2);
  if (layout == TorchLayout::kChannelsLast) {
    // [N, H, W, C] is the contiguous view of a channels-last map: average there, hand back the NCHW view.
    const torch::Tensor p = x.permute({0, 2, 3, 1});
    return p.narrow(3, 0, oc * g)
        .reshape({x.size(0), x.size(2), x.size(3), oc, g})
        .mean(4)
        .permute({0, 3, 1, 2});
  }
  return x.narrow(1, 0, oc * g).reshape({x.size(0), oc, g, x.size(2), x.size(3)}).mean(2);
}

}  // namespace

TorchTwin::TorchTwin(const Graph& graph, TorchLayout layout)
    : num_tensors_(static_cast<int>(graph.tensors.size())), outputs_(graph.outputs), layout_(layout) {
  if (graph.inputs.size() != 1) throw Error("the LibTorch twin supports graphs with exactly one input");
  input_ = graph.inputs[0];
  input_shape_ = graph.tensors[input_].shape;
  image_input_ = graph.tensors[input_].dtype == DType::kUInt8;
  const torch::MemoryFormat mf = memory_format(layout);
  const auto rank = [&](int t) { return graph.tensors.at(t).shape.size(); };

  for (const OpDef& op : graph.ops) {
    const std::vector<int>& in = op.inputs;
    const int y = op.outputs.at(0);
    step_names_.push_back(op.name + " (" + op_name(op.attrs) + ")");
    step_outputs_.push_back(y);
    const int x = in.empty() ? -1 : in[0];
    const auto conv = [&](torch::Tensor w_ohwi, torch::Tensor bias, const ConvAttrs& c, int64_t groups) {
      // [OC, IC/groups, KH, KW] with the canonical strides of `mf`: contiguous() would keep the permuted
      // strides of a 1-channel weight, and LibTorch would then take it for channels-last and switch the whole
      // net.
      const torch::Tensor w = w_ohwi.permute({0, 3, 1, 2}).clone(mf);
      const std::vector<int64_t> stride{c.sh, c.sw}, pad{c.ph, c.pw};
      steps_.push_back([=](std::vector<torch::Tensor>& t, int64_t* macs) {
        t[y] = torch::conv2d(t[x], w, bias, stride, pad, {1, 1}, groups);
        if (macs) *macs += t[y].numel() * w.size(1) * w.size(2) * w.size(3);
      });
    };
    const auto linear = [&](torch::Tensor w, torch::Tensor bias) {
      steps_.push_back([=](std::vector<torch::Tensor>& t, int64_t* macs) {
        t[y] = torch::linear(t[x], w, bias);
        if (macs) *macs += t[y].numel() * w.size(1);
      });
    };
    const auto unary = [&](std::function<torch::Tensor(const torch::Tensor&)> f) {
      steps_.push_back([=](std::vector<torch::Tensor>& t, int64_t*) { t[y] = f(t[x]); });
    };
    const auto chan = [&](size_t i) { return per_channel(constant_float(graph, in.at(i), op), rank(x)); };

    std::visit(
        [&](const auto& a) {
          using A = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<A, ThermometerOp>) {
            const int64_t levels = a.levels;
            // Level i of the engine turns on at pixel ≈ (i + 0.5) · 256 / levels.
            const torch::Tensor thr =
                (torch::arange(levels, torch::kFloat32) + 0.5) * (256.0 / 255.0 / levels);
            if (layout == TorchLayout::kChannelsLast) {
              unary([thr](const torch::Tensor& v) {
                const torch::Tensor p = v.permute({0, 2, 3, 1});  // contiguous [N, H, W, C]
                return (p.unsqueeze(4) - thr)
                    .reshape({p.size(0), p.size(1), p.size(2), -1})
                    .permute({0, 3, 1, 2});
              });
            } else {
              unary([thr](const torch::Tensor& v) {
                return (v.unsqueeze(2) - thr.view({1, 1, -1, 1, 1})).flatten(1, 2);
              });
            }
          } else if constexpr (std::is_same_v<A, SignQuantOp> || std::is_same_v<A, QuantUniformOp>) {
            unary([](const torch::Tensor& v) { return v; });
          } else if constexpr (std::is_same_v<A, Quant2BitOp>) {
            const int y2 = op.outputs.at(1);
            steps_.push_back([=](std::vector<torch::Tensor>& t, int64_t*) { t[y] = t[y2] = t[x]; });
          } else if constexpr (std::is_same_v<A, BConv2dOp>) {
            auto [w, b] = fold_stage(graph, op, 2, a.output, constant_pm1(graph, in.at(1), op));
            conv(w, b, a.conv, 1);
          } else if constexpr (std::is_same_v<A, FracConv2dOp>) {
            // One float conv stands for the MSB and LSB passes: x is the float input of both bit planes.
            auto [w, b] = fold_stage(graph, op, 4, a.output, constant_pm1(graph, in.at(2), op));
            conv(w, b, a.conv, 1);
          } else if constexpr (std::is_same_v<A, PGConv2dOp>) {
            auto [w, b] =
                fold_stage(graph, op, 3, a.output, constant_float(graph, in.at(1), op) * a.weight_step);
            conv(w, b, a.conv, 1);
          } else if constexpr (std::is_same_v<A, Conv2dOp>) {
            const torch::Tensor bias =
                in.size() > 2 && in[2] >= 0 ? constant_float(graph, in[2], op) : torch::Tensor();
            conv(constant_float(graph, in.at(1), op), bias, a.conv, a.groups);
          } else if constexpr (std::is_same_v<A, BDenseOp>) {
            auto [w, b] = fold_stage(graph, op, 2, a.output, constant_pm1(graph, in.at(1), op));
            linear(w, b);
          } else if constexpr (std::is_same_v<A, DenseOp>) {
            const torch::Tensor bias =
                in.size() > 2 && in[2] >= 0 ? constant_float(graph, in[2], op) : torch::Tensor();
            linear(constant_float(graph, in.at(1), op), bias);
          } else if constexpr (std::is_same_v<A, AffineOp>) {
            const torch::Tensor scale = chan(1), bias = chan(2);
            unary([=](const torch::Tensor& v) { return torch::addcmul(bias, v, scale); });
          } else if constexpr (std::is_same_v<A, PReLUOp>) {
            const torch::Tensor slope = constant_float(graph, in.at(1), op);  // [C], as torch::prelu wants
            unary([=](const torch::Tensor& v) { return torch::prelu(v, slope); });
          } else if constexpr (std::is_same_v<A, RPReLUOp>) {
            const torch::Tensor gamma = chan(1), slope = constant_float(graph, in.at(2), op), zeta = chan(3);
            unary([=](const torch::Tensor& v) { return torch::prelu(v - gamma, slope) + zeta; });
          } else if constexpr (std::is_same_v<A, DPReLUOp>) {
            const torch::Tensor beta = chan(1), pos = chan(2), neg = chan(3), gamma = chan(4);
            unary([=](const torch::Tensor& v) {
              const torch::Tensor s = v - beta;
              return torch::where(s >= 0, s * pos, s * neg) - gamma;
            });
          } else if constexpr (std::is_same_v<A, ActivationOp>) {
            switch (a.kind) {
              case ActivationKind::kRelu:
                unary([](const torch::Tensor& v) { return torch::relu(v); });
                break;
              case ActivationKind::kRelu6:
                unary([](const torch::Tensor& v) { return torch::hardtanh(v, 0.0, 6.0); });
                break;
              case ActivationKind::kHardSigmoid:
                unary([](const torch::Tensor& v) { return torch::hardsigmoid(v); });
                break;
              case ActivationKind::kIdentity:
                unary([](const torch::Tensor& v) { return v; });
                break;
            }
          } else if constexpr (std::is_same_v<A, AddOp>) {
            const int b = in.at(1);
            steps_.push_back([=](std::vector<torch::Tensor>& t, int64_t*) { t[y] = t[x] + t[b]; });
          } else if constexpr (std::is_same_v<A, ScaleChannelsOp>) {
            const int s = in.at(1);
            steps_.push_back([=](std::vector<torch::Tensor>& t, int64_t*) {
              t[y] = t[x] * t[s].view({t[s].size(0), t[s].size(1), 1, 1});
            });
          } else if constexpr (std::is_same_v<A, ConcatOp>) {
            const int b = in.at(1);
            steps_.push_back([=](std::vector<torch::Tensor>& t, int64_t*) {
              t[y] = torch::cat({t[x], t[b]}, 1);
            });
          } else if constexpr (std::is_same_v<A, ChannelDupOp>) {
            // cat keeps a channels-last input channels-last (repeat would not).
            const int times = a.times;
            unary([=](const torch::Tensor& v) {
              return torch::cat(std::vector<torch::Tensor>(static_cast<size_t>(times), v), 1);
            });
          } else if constexpr (std::is_same_v<A, ChannelPadOp>) {
            const int64_t channels = a.channels;
            unary([=](const torch::Tensor& v) {
              const int64_t extra = channels - v.size(1);
              // Zeros after the channels (keeps the memory format; torch::zeros would ignore it).
              return v.dim() == 4 ? torch::constant_pad_nd(v, {0, 0, 0, 0, 0, extra})
                                  : torch::constant_pad_nd(v, {0, extra});
            });
          } else if constexpr (std::is_same_v<A, ChannelAvgOp>) {
            const int64_t channels = a.channels;
            unary([=](const torch::Tensor& v) { return channel_avg(v, channels, layout); });
          } else if constexpr (std::is_same_v<A, AvgPoolOp> || std::is_same_v<A, MaxPoolOp>) {
            const ConvAttrs& w = a.window;
            const int64_t ph_end = a.ph_end < 0 ? w.ph : a.ph_end, pw_end = a.pw_end < 0 ? w.pw : a.pw_end;
            // LibTorch pools pad symmetrically and at most half the window: pad explicitly otherwise.
            const bool symmetric = ph_end == w.ph && pw_end == w.pw && 2 * w.ph <= w.kh && 2 * w.pw <= w.kw;
            const std::vector<int64_t> k{w.kh, w.kw}, s{w.sh, w.sw};
            const std::vector<int64_t> p =
                symmetric ? std::vector<int64_t>{w.ph, w.pw} : std::vector<int64_t>{0, 0};
            const std::vector<int64_t> explicit_pad{w.pw, pw_end, w.ph, ph_end};
            constexpr bool kAvg = std::is_same_v<A, AvgPoolOp>;
            bool count_pad = true;
            if constexpr (kAvg) count_pad = a.count_include_pad;
            unary([=](const torch::Tensor& v) {
              const double fill = kAvg ? 0.0 : -std::numeric_limits<double>::infinity();
              const torch::Tensor xp = symmetric ? v : torch::constant_pad_nd(v, explicit_pad, fill);
              if (kAvg) return torch::avg_pool2d(xp, k, s, p, false, count_pad);
              return torch::max_pool2d(xp, k, s, p);
            });
          } else if constexpr (std::is_same_v<A, GlobalAvgPoolOp>) {
            unary([](const torch::Tensor& v) { return v.mean({2, 3}); });
          } else if constexpr (std::is_same_v<A, FlattenOp>) {
            // The engine flattens NHWC rows: keep its (h, w, c) order for the dense layer that follows.
            unary([](const torch::Tensor& v) {
              return v.dim() == 4 ? v.permute({0, 2, 3, 1}).reshape({v.size(0), -1}) : v;
            });
          } else if constexpr (std::is_same_v<A, SoftmaxOp>) {
            unary([](const torch::Tensor& v) { return torch::softmax(v, 1); });
          } else if constexpr (std::is_same_v<A, ArgMaxOp>) {
            unary([](const torch::Tensor& v) { return torch::argmax(v, 1); });
          } else {
            static_assert(std::is_same_v<A, void>, "an engine op has no LibTorch mapping");
          }
        },
        op.attrs);
  }

  // Drop each activation after its last reader, so batch 8 of an ImageNet net keeps only live maps.
  std::vector<int> last_read(static_cast<size_t>(num_tensors_), -1);
  for (size_t i = 0; i < graph.ops.size(); ++i)
    for (int t : graph.ops[i].inputs)
      if (t >= 0 && graph.tensors[t].buffer < 0) last_read[t] = static_cast<int>(i);
  for (int t : outputs_) last_read[t] = -1;
  release_after_.resize(steps_.size());
  for (int t = 0; t < num_tensors_; ++t)
    if (last_read[t] >= 0) release_after_[last_read[t]].push_back(t);
}

torch::Tensor TorchTwin::example_input(int batch, uint64_t seed) const {
  torch::manual_seed(seed);
  if (input_shape_.size() != 4) {
    std::vector<int64_t> shape = dims(input_shape_);
    shape[0] = batch;
    return image_input_ ? torch::rand(shape) : torch::randn(shape);
  }
  const std::vector<int64_t> nchw{batch, input_shape_[3], input_shape_[1], input_shape_[2]};
  const torch::Tensor x = image_input_ ? torch::rand(nchw) : torch::randn(nchw);
  return x.clone(memory_format(layout_));  // canonical strides even for 1-channel images
}

std::vector<torch::Tensor> TorchTwin::forward(const torch::Tensor& input, int64_t* macs) const {
  std::vector<torch::Tensor> t(static_cast<size_t>(num_tensors_));
  t[input_] = input;
  for (size_t i = 0; i < steps_.size(); ++i) {
    steps_[i](t, macs);
    for (int r : release_after_[i]) t[r] = torch::Tensor();
  }
  std::vector<torch::Tensor> out;
  for (int o : outputs_) out.push_back(t[o]);
  return out;
}

std::vector<std::string> TorchTwin::layout_changes() const {
  c10::InferenceMode guard;
  std::vector<torch::Tensor> t(static_cast<size_t>(num_tensors_));
  t[input_] = example_input(1);
  std::vector<std::string> changed;
  for (size_t i = 0; i < steps_.size(); ++i) {
    steps_[i](t, nullptr);
    const torch::Tensor& y = t[step_outputs_[i]];
    if (y.dim() == 4 && !y.is_contiguous(memory_format(layout_))) changed.push_back(step_names_[i]);
  }
  return changed;
}

int64_t TorchTwin::macs_per_image() const {
  c10::InferenceMode guard;
  int64_t macs = 0;
  forward(example_input(1), &macs);
  return macs;
}

}  // namespace bnnkit::train
