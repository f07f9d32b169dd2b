// Shape and type inference for every op: the single place that knows what each op accepts and produces.
//
// The builder uses it to create output tensors, the loader to check that a file's recorded shapes are
// consistent, and the session to size every tensor for the batch it runs. An op whose inputs do not fit
// (wrong count, dtype, rank, channel count, constant shape, attribute out of range) raises bnnkit::Error
// whose message names the op and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::runtime {

// Largest tensor a model may declare (elements): far above any real BNN, low enough that a corrupt shape
// cannot make the planner reserve absurd memory.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 28;

struct TensorSpec {
  DType dtype = DType::kFloat32;
  std::vector<int> shape;
  bool constant = false;
};

// `inputs[i]` is null for an absent optional input (-1 in the op). Returns one spec per output.
std::vector<TensorSpec> infer_outputs(const OpDef& op, const std::vector<const TensorSpec*>& inputs);

// Number of inputs an op takes (including optional ones) and how many outputs it has.
struct Arity {
  int min_inputs, max_inputs, outputs;
};
Arity op_arity(const OpDef& op);

// Multiply-accumulates one run of `op` performs for these inputs/outputs (binary MACs for binary ops), for
// profiles and `bnnkit info`.
int64_t op_macs(const OpDef& op, const std::vector<const TensorSpec*>& inputs,
                const std::vector<TensorSpec>& outputs);

// "[1,28,28,32]"
std::string shape_str(const std::vector<int>& shape);
int64_t num_elements(const std::vector<int>& shape);

// Checks the whole graph: indices in range, every activation produced exactly once before use, constants
// backed by buffers of the right size, every op's inputs acceptable and its recorded output shapes equal to
// the inferred ones, graph inputs/outputs valid. Throws bnnkit::Error naming the first problem.
void validate_graph(const Graph& g);

// Output stage kind of a binary op (BConv2d, BDense, FracConv2d), or nothing.
const OutputKind* binary_output_kind(const OpAttrs& attrs);

}  // namespace bnnkit::runtime
