// bnnkit runtime: load a model once, plan it for a batch size once, run it many times.
//
//   bnnkit::Model model = bnnkit::Model::load("fracbnn.bnn");     // verified: FlatBuffers + semantic checks
//   bnnkit::Session session(model, {.threads = 2, .batch = 8});   // shapes, arena, kernels, packed weights
//   session.set_input(0, images_u8);                              // typed, size-checked copy
//   session.run();                                                // no allocation
//   std::span<const float> logits = session.output_f32(0);
//
// Everything that can fail throws bnnkit::Error with a one-line message. A Session is not safe to run from
// two threads at once; make one Session per thread (they share the Model). Results are bit-identical for any
// thread count and any kernel variant.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bnnkit/error.h"
#include "bnnkit/graph.h"

namespace bnnkit {

// The newest model-file schema version this build reads. A file records the oldest version that can run it
// (required_schema_version): 2 only when it uses a version-2 feature, so older readers still load the rest.
//   1  the initial format
//   2  QuantUniform.codes (an older reader would ignore the field and compute dequantised values)
inline constexpr uint32_t kSchemaVersion = 2;
// The schema version `graph` needs: the newest feature it uses.
uint32_t required_schema_version(const Graph& graph);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int> shape;  // as in the file; shape[0] is the batch for graph inputs and outputs
};

class Model {
 public:
  // Reads and verifies a model file. Errors name the file and what is wrong.
  static Model load(const std::string& path);
  // Verifies model-file bytes; `origin` names them in errors.
  static Model from_bytes(std::span<const uint8_t> bytes, const std::string& origin = "<memory>");
  // Verifies an in-memory graph (the same semantic checks as loading).
  static Model from_graph(Graph graph);

  const Graph& graph() const { return *graph_; }
  const ModelMetadata& metadata() const { return graph_->metadata; }
  std::vector<TensorInfo> inputs() const;
  std::vector<TensorInfo> outputs() const;

 private:
  explicit Model(std::shared_ptr<const Graph> g) : graph_(std::move(g)) {}
  std::shared_ptr<const Graph> graph_;
};

struct SessionOptions {
  int threads = 0;  // worker threads including the caller; 0 = all cores
  int batch = 1;
  std::string max_isa;              // "", "portable", "avx2" or "avx512": cap the kernel ISA ("" = best)
  bool keep_intermediates = false;  // give every tensor its own memory so tensor() can read any of them
  bool profile = false;             // time every op on each run()
  // Run chains of float elementwise ops (BN affine, PReLU family, add, SE scale, activation), and the
  // SignQuant / Quant2Bit that packs their result, as one pass (docs/ARCHITECTURE.md, "Operator fusion").
  // Bit-identical to running the ops one by one. Off when keep_intermediates is set, or when the
  // environment has BNNKIT_FUSE=0. A fused chain's values between its ops are never stored: tensor() refuses
  // them. profile() gives the chain's time to its first op, whose kernel reads "<variant> +N fused"; the
  // other ops of the chain show kernel "fused" and no time.
  bool fuse = true;
  // Limits for models from untrusted sources (0 = none): planning fails with an Error instead of allocating
  // or running a model that needs more activation memory (the arena, bytes) or more multiply-accumulates per
  // run() than this.
  int64_t max_arena_bytes = 0;
  int64_t max_macs = 0;
};

// A read-only view of one tensor of a Session.
struct TensorView {
  const void* data = nullptr;
  DType dtype = DType::kFloat32;
  std::vector<int> shape;  // logical shape (channels, not words, for kBits)
  size_t bytes = 0;
};

struct OpProfile {
  std::string name;    // op name in the model
  std::string op;      // op type ("BConv2d")
  std::string kernel;  // chosen kernel variant ("avx512_4x3", "reference")
  double total_ms = 0;
  int64_t runs = 0;
  int64_t macs = 0;          // multiply-accumulates per run (binary MACs for binary ops)
  int64_t gate_open = 0;     // fractional and PG convs: outputs that took the LSB pass, summed over runs
  int64_t gate_outputs = 0;  // fractional and PG convs: outputs, summed over runs
};

class Session {
 public:
  explicit Session(const Model& model, SessionOptions options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  int batch() const;
  int threads() const;
  const Model& model() const;

  // Copies one input. The element type and count must match the input tensor for this batch.
  void set_input(int index, std::span<const float> data);
  void set_input(int index, std::span<const uint8_t> data);
  TensorView input(int index) const;

  // Runs the whole graph on the current inputs. Non-finite float inputs are rejected (Error) before any op
  // runs.
  void run();

  TensorView output(int index) const;
  std::span<const float> output_f32(int index) const;
  std::span<const int32_t> output_i32(int index) const;
  // Any tensor by name. Without keep_intermediates only graph inputs, outputs and constants are guaranteed to
  // hold their values after run().
  TensorView tensor(const std::string& name) const;

  // Per-op profile accumulated over runs (timings only with options.profile; gate counts always).
  std::vector<OpProfile> profile() const;
  void reset_profile();
  // One line per op: name, op, shapes, chosen kernel and the reasons better kernels were rejected.
  std::string describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bnnkit
