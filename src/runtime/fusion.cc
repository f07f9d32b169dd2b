#include "runtime/fusion.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <variant>

#include "kernels/fused/fused.h"

namespace bnnkit::runtime {
namespace {

namespace k = bnnkit::kernels;

bool is_float_elementwise(const OpAttrs& a) {
  return std::holds_alternative<AffineOp>(a) || std::holds_alternative<PReLUOp>(a) ||
         std::holds_alternative<RPReLUOp>(a) || std::holds_alternative<DPReLUOp>(a) ||
         std::holds_alternative<ActivationOp>(a) || std::holds_alternative<AddOp>(a) ||
         std::holds_alternative<ScaleChannelsOp>(a);
}

bool is_packer(const OpAttrs& a) {
  return std::holds_alternative<SignQuantOp>(a) || std::holds_alternative<Quant2BitOp>(a);
}

}  // namespace

bool fusion_allowed_by_env() {
  const char* e = std::getenv("BNNKIT_FUSE");
  return e == nullptr || std::strcmp(e, "0") != 0;
}

FusionPlan plan_fusion(const Graph& g, bool enabled) {
  FusionPlan p;
  const int nops = static_cast<int>(g.ops.size());
  p.chain_of.assign(nops, -1);
  p.fused_away.assign(g.tensors.size(), false);
  if (!enabled) return p;

  // Every use of every tensor: (op, input index).
  std::vector<std::vector<std::pair<int, int>>> readers(g.tensors.size());
  for (int i = 0; i < nops; ++i)
    for (size_t k = 0; k < g.ops[i].inputs.size(); ++k)
      if (g.ops[i].inputs[k] >= 0) readers[g.ops[i].inputs[k]].emplace_back(i, static_cast<int>(k));
  std::vector<bool> graph_output(g.tensors.size(), false);
  for (int t : g.outputs) graph_output[t] = true;

  for (int i = 0; i < nops; ++i) {
    if (p.chain_of[i] >= 0 || !is_float_elementwise(g.ops[i].attrs)) continue;
    FusedChain c;
    c.ops.push_back(i);
    while (static_cast<int>(c.ops.size()) < k::kMaxFusedSteps) {
      const int t = g.ops[c.ops.back()].outputs[0];
      if (graph_output[t] || readers[t].size() != 1) break;
      const auto [j, slot] = readers[t].front();
      const OpAttrs& next = g.ops[j].attrs;
      // The value must be the data input (params are constants); Add may take it on either side.
      if (!is_float_elementwise(next) || (slot != 0 && !std::holds_alternative<AddOp>(next))) break;
      c.ops.push_back(j);
    }
    const int last = g.ops[c.ops.back()].outputs[0];
    for (const auto& [j, slot] : readers[last]) {
      if (slot == 0 && is_packer(g.ops[j].attrs)) {
        c.pack = j;
        break;
      }
    }
    c.write_last = c.pack < 0 || graph_output[last] || readers[last].size() != 1;
    if (c.size() < 2) continue;  // a single op gains nothing
    const int index = static_cast<int>(p.chains.size());
    for (int op : c.ops) p.chain_of[op] = index;
    if (c.pack >= 0) p.chain_of[c.pack] = index;
    for (size_t s = 0; s + 1 < c.ops.size(); ++s) p.fused_away[g.ops[c.ops[s]].outputs[0]] = true;
    if (!c.write_last) p.fused_away[last] = true;
    p.chains.push_back(std::move(c));
  }
  return p;
}

Node make_fused_node(const Graph& g, const FusedChain& c, std::vector<TensorSlot>& slots, k::Isa isa) {
  const auto f32 = [&](int t) { return t < 0 ? nullptr : reinterpret_cast<const float*>(slots[t].data); };
  const std::vector<int>& shape = slots[g.ops[c.head()].outputs[0]].spec.shape;
  k::FusedChainArgs a;
  a.channels = shape.back();
  a.rows = num_elements(shape) / a.channels;
  a.pixels = shape.size() == 4 ? static_cast<int64_t>(shape[1]) * shape[2] : a.rows;
  a.steps = static_cast<int>(c.ops.size());
  int value = g.ops[c.head()].inputs[0];  // the tensor holding the chain's value before each step
  a.src = f32(value);
  for (int s = 0; s < a.steps; ++s) {
    const OpDef& op = g.ops[c.ops[s]];
    const std::vector<int>& in = op.inputs;
    k::FusedStep& st = a.step[s];
    if (std::holds_alternative<AffineOp>(op.attrs)) {
      st.op = k::FusedOp::kAffine;
      st.p = {f32(in[1]), f32(in[2])};
    } else if (std::holds_alternative<PReLUOp>(op.attrs)) {
      st.op = k::FusedOp::kPRelu;
      st.p = {f32(in[1])};
    } else if (std::holds_alternative<RPReLUOp>(op.attrs)) {
      st.op = k::FusedOp::kRPRelu;
      st.p = {f32(in[1]), f32(in[2]), f32(in[3])};
    } else if (std::holds_alternative<DPReLUOp>(op.attrs)) {
      st.op = k::FusedOp::kDPRelu;
      st.p = {f32(in[1]), f32(in[2]), f32(in[3]), f32(in[4])};
    } else if (const auto* act = std::get_if<ActivationOp>(&op.attrs)) {
      st.op = k::FusedOp::kActivation;
      st.activation = static_cast<k::Activation>(act->kind);
    } else if (std::holds_alternative<AddOp>(op.attrs)) {
      st.op = k::FusedOp::kAdd;
      // The first op's value is its first operand; later, whichever operand the previous op wrote.
      st.value_second = s > 0 && in[1] == value;
      st.other = f32(st.value_second ? in[0] : in[1]);
    } else if (std::holds_alternative<ScaleChannelsOp>(op.attrs)) {
      st.op = k::FusedOp::kScaleChannels;
      st.other = f32(in[1]);
    } else {
      throw std::logic_error("fusion: op '" + op.name + "' is not a fusable elementwise op");
    }
    value = op.outputs[0];
  }
  a.dst = c.write_last ? reinterpret_cast<float*>(slots[value].data) : nullptr;
  if (c.pack >= 0) {
    const OpDef& op = g.ops[c.pack];
    a.bits0 = reinterpret_cast<k::Word*>(slots[op.outputs[0]].data);
    if (std::holds_alternative<SignQuantOp>(op.attrs)) {
      a.pack = k::FusedPack::kSign;
      a.threshold = op.inputs.size() > 1 ? f32(op.inputs[1]) : nullptr;
    } else {
      a.pack = k::FusedPack::kTwoBit;
      a.bits1 = reinterpret_cast<k::Word*>(slots[op.outputs[1]].data);
    }
  }
  const k::FusedVariant& v = k::fused_select(isa);
  Node n;
  n.kernel = std::string(v.name) + " +" + std::to_string(c.size() - 1) + " fused";
  n.rows = a.rows;
  n.work = a.rows * a.channels * c.size();
  n.fn = [a, run = v.run](int64_t b, int64_t e, int64_t*) { run(a, b, e); };
  return n;
}

}  // namespace bnnkit::runtime
