#include "bnnkit/cost.h"

#include "runtime/infer.h"

namespace bnnkit {

ModelCost model_cost(const Graph& g, const std::map<std::string, double>& gate_density) {
  ModelCost total;
  // Per-image figures: infer with the recorded shapes and divide by the batch of the first input.
  const int batch = g.tensors[g.inputs[0]].shape[0];
  for (const OpDef& op : g.ops) {
    std::vector<runtime::TensorSpec> in_specs;
    for (int t : op.inputs)
      in_specs.push_back(
          t < 0 ? runtime::TensorSpec{}
                : runtime::TensorSpec{g.tensors[t].dtype, g.tensors[t].shape, g.tensors[t].buffer >= 0});
    std::vector<const runtime::TensorSpec*> ins;
    for (size_t i = 0; i < op.inputs.size(); ++i) ins.push_back(op.inputs[i] < 0 ? nullptr : &in_specs[i]);
    std::vector<runtime::TensorSpec> outs;
    for (int t : op.outputs) outs.push_back({g.tensors[t].dtype, g.tensors[t].shape, false});
    LayerCost c;
    c.name = op.name;
    c.op = op_name(op.attrs);
    c.out_shape = g.tensors[op.outputs[0]].shape;
    for (int t : op.inputs)
      if (t >= 0 && g.tensors[t].buffer >= 0)
        c.param_bytes += static_cast<int64_t>(g.buffers[g.tensors[t].buffer].size());
    c.macs = runtime::op_macs(op, ins, outs) / batch;
    if (std::holds_alternative<BConv2dOp>(op.attrs) || std::holds_alternative<BDenseOp>(op.attrs)) {
      c.w_bits = c.a_bits = 1, c.binary = true;
    } else if (std::holds_alternative<FracConv2dOp>(op.attrs)) {
      c.w_bits = 1, c.binary = true, c.gated = true, c.high_bits = 1, c.low_bits = 1;
      const auto it = gate_density.find(op.name);
      if (it != gate_density.end()) c.gate_density = it->second;
      c.a_bits = it == gate_density.end() ? 2.0 : 1.0 + it->second;
    } else if (const auto* pg = std::get_if<PGConv2dOp>(&op.attrs)) {
      // Dense high part (hb bits) for every MAC, the low part (lb bits) for the fraction d that opened.
      c.w_bits = pg->weight_bits, c.gated = true;
      c.high_bits = pg->high_bits, c.low_bits = pg->act_bits - pg->high_bits;
      const auto it = gate_density.find(op.name);
      if (it != gate_density.end()) c.gate_density = it->second;
      const double d = it == gate_density.end() ? 1.0 : it->second;
      c.a_bits = pg->high_bits + (pg->act_bits - pg->high_bits) * d;
    } else if (const auto* conv = std::get_if<Conv2dOp>(&op.attrs)) {
      c.w_bits = conv->weight_bits, c.a_bits = conv->act_bits;
    } else if (const auto* dense = std::get_if<DenseOp>(&op.attrs)) {
      c.w_bits = dense->weight_bits, c.a_bits = dense->act_bits;
    }
    c.ace = static_cast<double>(c.macs) * c.w_bits * c.a_bits;
    if (c.macs == 0 && c.param_bytes == 0) continue;
    total.param_bytes += c.param_bytes;
    total.macs += c.macs;
    if (c.binary) total.binary_macs += c.macs;
    total.ace += c.ace;
    const bool dense =
        std::holds_alternative<DenseOp>(op.attrs) || std::holds_alternative<BDenseOp>(op.attrs);
    (dense ? total.dense_ace : total.conv_ace) += c.ace;
    total.layers.push_back(std::move(c));
  }
  return total;
}

}  // namespace bnnkit
