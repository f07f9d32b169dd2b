// Session: plan once (shapes for the batch, kernel per op, packed weights, one arena with buffer reuse), then
// run many times without allocating.
//
// Memory plan. Every activation tensor lives from the op that writes it to the last op that reads it (graph
// inputs from the start, graph outputs to the end). Tensors are placed in one 64-byte-aligned arena, largest
// first, each at the lowest offset that overlaps no already-placed tensor whose lifetime overlaps its own
// (the greedy-by-size plan TFLite's arena planner uses). Constants stay in the model's buffers.
//
// Fusion (runtime/fusion.h). Chains of elementwise ops run as one node, placed at the chain's last float
// op: lifetimes are counted in those run positions, and the values inside a chain get no memory.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "bnnkit/bnnkit.h"
#include "kernels/common/cpu_features.h"
#include "runtime/fusion.h"
#include "runtime/infer.h"
#include "runtime/ops.h"
#include "runtime/thread_pool.h"

namespace bnnkit {

using runtime::Node;
using runtime::TensorSpec;

namespace {

constexpr size_t kAlign = 64;
// Kernels may read (never write) up to this many bytes past the end of a tensor (vector tails).
constexpr size_t kSlackBytes = 64;

size_t align_up(size_t v) {
  return (v + kAlign - 1) / kAlign * kAlign;
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

struct Session::Impl {
  Model model;
  SessionOptions opts;
  std::vector<runtime::TensorSlot> slots;  // one per graph tensor
  std::vector<Node> nodes;  // one per op (a fused chain's node at its first op, empty ones after)
  std::vector<int> exec;    // node indices in run order (a fused chain runs at its last op)
  runtime::FusionPlan fusion;
  std::unique_ptr<uint8_t, FreeDeleter> arena;
  size_t arena_bytes = 0;
  std::unique_ptr<runtime::ThreadPool> pool;
  std::vector<OpProfile> prof;

  explicit Impl(const Model& m, SessionOptions o) : model(m), opts(std::move(o)) {}

  void plan();
  void plan_memory();
  runtime::TensorSlot& graph_tensor(const std::vector<int>& ids, int index, const char* what);
};

runtime::TensorSlot& Session::Impl::graph_tensor(const std::vector<int>& ids, int index, const char* what) {
  if (index < 0 || index >= static_cast<int>(ids.size()))
    throw Error(std::string("no ") + what + " " + std::to_string(index) + " (the model has " +
                std::to_string(ids.size()) + ")");
  return slots[ids[index]];
}

void Session::Impl::plan() {
  const Graph& g = model.graph();
  if (opts.batch < 1 || opts.batch > (1 << 20))
    throw Error("batch must be in 1..1048576, got " + std::to_string(opts.batch));
  int threads = opts.threads;
  if (threads < 0 || threads > 1024)
    throw Error("threads must be in 0..1024, got " + std::to_string(threads));
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  kernels::Isa isa = kernels::active_isa();
  if (!opts.max_isa.empty()) {
    const auto cap = kernels::parse_isa(opts.max_isa);
    if (!cap) throw Error("unknown ISA '" + opts.max_isa + "' (use portable, avx2 or avx512)");
    if (static_cast<int>(*cap) < static_cast<int>(isa)) isa = *cap;
  }

  // Shapes for this batch: graph inputs get N = batch, everything else is re-inferred.
  slots.resize(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const TensorDef& td = g.tensors[t];
    slots[t].name = td.name;
    slots[t].spec = {td.dtype, td.shape, td.buffer >= 0};
    if (td.buffer >= 0) slots[t].data = const_cast<uint8_t*>(g.buffers[td.buffer].data());
  }
  for (int t : g.inputs) slots[t].spec.shape[0] = opts.batch;
  for (const OpDef& op : g.ops) {
    std::vector<const TensorSpec*> ins;
    for (int t : op.inputs) ins.push_back(t < 0 ? nullptr : &slots[t].spec);
    std::vector<TensorSpec> outs = runtime::infer_outputs(op, ins);
    for (size_t k = 0; k < outs.size(); ++k) slots[op.outputs[k]].spec = outs[k];
  }
  for (auto& s : slots) {
    if (runtime::num_elements(s.spec.shape) > runtime::kMaxTensorElements)
      throw Error("tensor '" + s.name + "' would have " + runtime::shape_str(s.spec.shape) +
                  " elements at batch " + std::to_string(opts.batch) + " (at most 2^28)");
    s.bytes = tensor_bytes(s.spec.dtype, s.spec.shape);
  }
  // The work limit before anything is packed or allocated.
  if (opts.max_macs > 0) {
    int64_t macs = 0;
    for (const OpDef& op : g.ops) {
      std::vector<const TensorSpec*> ins;
      for (int t : op.inputs) ins.push_back(t < 0 ? nullptr : &slots[t].spec);
      std::vector<TensorSpec> outs;
      for (int t : op.outputs) outs.push_back(slots[t].spec);
      macs += runtime::op_macs(op, ins, outs);
    }
    if (macs > opts.max_macs)
      throw Error("model needs " + std::to_string(macs) + " multiply-accumulates per run at batch " +
                  std::to_string(opts.batch) + " (max_macs is " + std::to_string(opts.max_macs) + ")");
  }
  // Fusion before memory: fused-away values get no memory, and a chain's inputs live until it runs.
  fusion = runtime::plan_fusion(g, opts.fuse && !opts.keep_intermediates && runtime::fusion_allowed_by_env());
  plan_memory();

  pool = std::make_unique<runtime::ThreadPool>(threads);
  nodes.reserve(g.ops.size());
  exec.clear();
  prof.clear();
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OpDef& op = g.ops[i];
    const int chain = fusion.chain_of[i];
    if (chain < 0) {
      nodes.push_back(runtime::make_node(op, slots, isa));
      exec.push_back(static_cast<int>(i));
    } else {
      const runtime::FusedChain& c = fusion.chains[chain];
      if (c.head() == static_cast<int>(i)) {
        nodes.push_back(runtime::make_fused_node(g, c, slots, isa));
      } else {
        Node member;
        member.kernel = "fused";
        nodes.push_back(std::move(member));
      }
      if (c.anchor() == static_cast<int>(i)) exec.push_back(c.head());
    }
    Node& n = nodes.back();
    std::vector<const TensorSpec*> ins;
    for (int t : op.inputs) ins.push_back(t < 0 ? nullptr : &slots[t].spec);
    std::vector<TensorSpec> outs;
    for (int t : op.outputs) outs.push_back(slots[t].spec);
    OpProfile p;
    p.name = op.name;
    p.op = op_name(op.attrs);
    p.kernel = n.kernel;
    p.macs = runtime::op_macs(op, ins, outs);
    prof.push_back(p);
    n.gate_counts.assign(threads, 0);
  }
}

void Session::Impl::plan_memory() {
  const Graph& g = model.graph();
  const int nops = static_cast<int>(g.ops.size());
  struct Life {
    int t, first, last;
    size_t bytes;
  };
  std::vector<int> first(slots.size(), -1), last(slots.size(), -2);
  // Graph inputs and outputs are live for the whole run: a caller may run() again on the same inputs, and
  // reads outputs after it.
  for (int t : g.inputs) first[t] = -1, last[t] = nops;
  // Ops are placed where they run (a fused chain's ops and packer at its last float op).
  for (int i = 0; i < nops; ++i) {
    const int at = fusion.step(i);
    for (int t : g.ops[i].outputs) first[t] = at, last[t] = std::max(last[t], at);
    for (int t : g.ops[i].inputs)
      if (t >= 0) last[t] = std::max(last[t], at);
  }
  for (int t : g.outputs) last[t] = nops;
  std::vector<Life> lives;
  for (size_t t = 0; t < slots.size(); ++t) {
    // Constants, tensors nothing writes nor reads, and values a fused chain keeps in its tile.
    if (slots[t].spec.constant || last[t] == -2 || fusion.fused_away[t]) continue;
    int l_first = first[t], l_last = last[t];
    if (opts.keep_intermediates) l_first = -1, l_last = nops;  // everything alive all the time: no reuse
    lives.push_back({static_cast<int>(t), l_first, l_last, align_up(slots[t].bytes + kSlackBytes)});
  }
  std::stable_sort(lives.begin(), lives.end(),
                   [](const Life& a, const Life& b) { return a.bytes > b.bytes; });
  std::vector<std::pair<size_t, const Life*>> placed;  // offset, tensor
  std::vector<size_t> offset(slots.size(), 0);
  size_t total = 0;
  for (const Life& l : lives) {
    // Candidate offsets: 0 and the end of every placed tensor whose lifetime overlaps; take the lowest that
    // fits.
    std::vector<std::pair<size_t, size_t>> busy;
    for (const auto& [off, p] : placed)
      if (!(p->last < l.first || l.last < p->first)) busy.emplace_back(off, off + p->bytes);
    std::sort(busy.begin(), busy.end());
    size_t at = 0;
    for (const auto& [b, e] : busy) {
      if (at + l.bytes <= b) break;
      at = std::max(at, e);
    }
    offset[l.t] = at;
    placed.emplace_back(at, &l);
    total = std::max(total, at + l.bytes);
  }
  arena_bytes = std::max<size_t>(total, kAlign);
  if (opts.max_arena_bytes > 0 && arena_bytes > static_cast<size_t>(opts.max_arena_bytes))
    throw Error("model needs " + std::to_string(arena_bytes) + " bytes of activation memory at batch " +
                std::to_string(opts.batch) + " (max_arena_bytes is " + std::to_string(opts.max_arena_bytes) +
                ")");
  arena.reset(static_cast<uint8_t*>(std::aligned_alloc(kAlign, align_up(arena_bytes))));
  if (!arena) throw Error("cannot allocate " + std::to_string(arena_bytes) + " bytes for the tensors");
  std::memset(arena.get(), 0, arena_bytes);
  for (const Life& l : lives) slots[l.t].data = arena.get() + offset[l.t];
}

Session::Session(const Model& model, SessionOptions options) : impl_(std::make_unique<Impl>(model, options)) {
  impl_->plan();
}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

int Session::batch() const {
  return impl_->opts.batch;
}
int Session::threads() const {
  return impl_->pool->size();
}
const Model& Session::model() const {
  return impl_->model;
}

namespace {
TensorView view_of(const runtime::TensorSlot& s) {
  return {s.data, s.spec.dtype, s.spec.shape, s.bytes};
}
}  // namespace

void Session::set_input(int index, std::span<const float> data) {
  runtime::TensorSlot& s = impl_->graph_tensor(impl_->model.graph().inputs, index, "input");
  const int64_t want = runtime::num_elements(s.spec.shape);
  if (static_cast<int64_t>(data.size()) != want)
    throw Error("input '" + s.name + "' " + runtime::shape_str(s.spec.shape) + " needs " +
                std::to_string(want) + " values, got " + std::to_string(data.size()));
  if (s.spec.dtype != DType::kFloat32 && s.spec.dtype != DType::kBits)
    throw Error("input '" + s.name + "' is " + dtype_name(s.spec.dtype) + ", not float32");
  for (size_t i = 0; i < data.size(); ++i)
    if (!std::isfinite(data[i]))
      throw Error("input '" + s.name + "' element " + std::to_string(i) + " is " +
                  (std::isnan(data[i]) ? "NaN" : "infinite") + "; inputs must be finite");
  if (s.spec.dtype == DType::kFloat32) {
    std::memcpy(s.data, data.data(), data.size() * sizeof(float));
  } else {
    runtime::pack_signs(data.data(), s.spec.shape, reinterpret_cast<kernels::Word*>(s.data));
  }
}

void Session::set_input(int index, std::span<const uint8_t> data) {
  runtime::TensorSlot& s = impl_->graph_tensor(impl_->model.graph().inputs, index, "input");
  if (s.spec.dtype != DType::kUInt8)
    throw Error("input '" + s.name + "' is " + dtype_name(s.spec.dtype) + ", not uint8");
  if (data.size() != s.bytes)
    throw Error("input '" + s.name + "' " + runtime::shape_str(s.spec.shape) + " needs " +
                std::to_string(s.bytes) + " bytes, got " + std::to_string(data.size()));
  std::memcpy(s.data, data.data(), data.size());
}

TensorView Session::input(int index) const {
  return view_of(impl_->graph_tensor(impl_->model.graph().inputs, index, "input"));
}
TensorView Session::output(int index) const {
  return view_of(impl_->graph_tensor(impl_->model.graph().outputs, index, "output"));
}

std::span<const float> Session::output_f32(int index) const {
  const auto& s = impl_->graph_tensor(impl_->model.graph().outputs, index, "output");
  if (s.spec.dtype != DType::kFloat32)
    throw Error("output '" + s.name + "' is " + dtype_name(s.spec.dtype) + ", not float32");
  return {reinterpret_cast<const float*>(s.data), s.bytes / 4};
}

std::span<const int32_t> Session::output_i32(int index) const {
  const auto& s = impl_->graph_tensor(impl_->model.graph().outputs, index, "output");
  if (s.spec.dtype != DType::kInt32)
    throw Error("output '" + s.name + "' is " + dtype_name(s.spec.dtype) + ", not int32");
  return {reinterpret_cast<const int32_t*>(s.data), s.bytes / 4};
}

TensorView Session::tensor(const std::string& name) const {
  for (size_t t = 0; t < impl_->slots.size(); ++t) {
    const auto& s = impl_->slots[t];
    if (s.name != name) continue;
    if (impl_->fusion.fused_away[t])
      throw Error("tensor '" + name +
                  "' is inside a fused chain and never stored (set keep_intermediates or fuse = false)");
    return view_of(s);
  }
  throw Error("no tensor named '" + name + "' in the model");
}

void Session::run() {
  Impl& m = *impl_;
  const int threads = m.pool->size();
  for (const int i : m.exec) {
    Node& n = m.nodes[i];
    const auto t0 =
        m.opts.profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    // Small ops are not worth waking the workers for.
    const auto parts_for = [threads](int64_t rows, int64_t work) {
      const int64_t by_work = std::max<int64_t>(1, work / runtime::kMinWorkPerPart);
      return static_cast<int>(std::min<int64_t>({threads, rows, by_work}));
    };
    if (n.prepare) {
      const int pp = parts_for(n.prepare_rows, n.prepare_work);
      if (pp <= 1) {
        n.prepare(0, n.prepare_rows);
      } else {
        m.pool->run(pp, [&n](int part, int count) {
          int64_t b, e;
          runtime::slice(n.prepare_rows, part, count, b, e);
          if (b < e) n.prepare(b, e);
        });
      }
    }
    const int parts = parts_for(n.rows, n.work);
    std::fill(n.gate_counts.begin(), n.gate_counts.end(), 0);
    if (parts <= 1) {
      n.fn(0, n.rows, &n.gate_counts[0]);
    } else {
      m.pool->run(parts, [&n](int part, int count) {
        int64_t b, e;
        runtime::slice(n.rows, part, count, b, e);
        if (b < e) n.fn(b, e, &n.gate_counts[part]);
      });
    }
    OpProfile& p = m.prof[i];
    if (m.opts.profile)
      p.total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (n.gated) {
      for (int64_t c : n.gate_counts) p.gate_open += c;
      p.gate_outputs += n.gate_outputs;
    }
  }
  for (OpProfile& p : m.prof) p.runs += 1;  // fused ops ran too, inside their chain's node
}

std::vector<OpProfile> Session::profile() const {
  return impl_->prof;
}

void Session::reset_profile() {
  for (auto& p : impl_->prof) p.total_ms = 0, p.runs = 0, p.gate_open = 0, p.gate_outputs = 0;
}

std::string Session::describe() const {
  const Graph& g = impl_->model.graph();
  std::ostringstream s;
  s << "batch " << batch() << ", " << threads() << " thread(s), arena " << impl_->arena_bytes
    << " bytes, ISA cap " << kernels::isa_name(kernels::active_isa()) << "\n";
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const OpDef& op = g.ops[i];
    s << op.name << "  " << op_name(op.attrs) << "  ";
    bool first = true;
    for (int t : op.inputs) {
      if (t < 0 || impl_->slots[t].spec.constant) continue;
      s << (first ? "" : ", ") << runtime::shape_str(impl_->slots[t].spec.shape);
      first = false;
    }
    s << " -> ";
    for (size_t k = 0; k < op.outputs.size(); ++k)
      s << (k ? ", " : "") << dtype_name(impl_->slots[op.outputs[k]].spec.dtype) << " "
        << runtime::shape_str(impl_->slots[op.outputs[k]].spec.shape);
    s << "  [" << impl_->nodes[i].kernel;
    if (const int c = impl_->fusion.chain_of[i];
        c >= 0 && impl_->fusion.chains[c].head() != static_cast<int>(i))
      s << " into " << g.ops[impl_->fusion.chains[c].head()].name;
    s << "]";
    if (!impl_->nodes[i].rejected.empty()) s << "  (" << impl_->nodes[i].rejected << ")";
    s << "\n";
  }
  return s.str();
}

}  // namespace bnnkit
