// bnnkit info MODEL: the layer table (op, output shape, parameters, bit-widths, MACs, ACE) and totals, the
// ACE split into conv and dense (google/aqt's PokeBNN size_stats) and by op and precision. With --profile,
// fractional convs count 1 + (measured gate density) activation bits instead of 2 (docs/cost.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "commands.h"
#include "common.h"
#include "hw_report.h"
#include "runtime/infer.h"

namespace bnnkit::cli {
namespace {

// Gate densities by op name from `bnnkit bench --profile --json` (ops[].name, ops[].gate_density) or
// `bnnkit eval --json` (gate_density: {name: density}). Every named op must be a fractional conv of `g`: a
// profile of another model is refused rather than silently ignored.
std::map<std::string, double> read_gate_densities(const std::string& path, const Graph& g) {
  std::ifstream f(path);
  if (!f) throw Error("profile '" + path + "': no such file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception&) {
    throw Error("profile '" + path + "': not JSON (make it with `bnnkit bench MODEL --profile --json`)");
  }
  std::map<std::string, double> density;
  const auto take = [&](const nlohmann::json& name, const nlohmann::json& d) {
    if (!name.is_string() || !d.is_number())
      throw Error("profile '" + path + "': a gate density entry is not a name and a number");
    const double v = d.get<double>();
    if (!(v >= 0.0 && v <= 1.0))
      throw Error("profile '" + path + "': gate density of '" + name.get<std::string>() + "' is " +
                  std::to_string(v) + ", not in [0, 1]");
    density[name.get<std::string>()] = v;
  };
  if (j.is_object() && j.contains("ops") && j["ops"].is_array()) {
    for (const auto& op : j["ops"])
      if (op.is_object() && op.contains("gate_density"))
        take(op.value("name", nlohmann::json()), op["gate_density"]);
  } else if (j.is_object() && j.contains("gate_density") && j["gate_density"].is_object()) {
    for (const auto& [name, d] : j["gate_density"].items()) take(name, d);
  } else {
    throw Error("profile '" + path +
                "' has no per-op profile (make it with `bnnkit bench MODEL --profile --json`)");
  }
  for (const auto& [name, d] : density) {
    bool gated = false;
    for (const OpDef& op : g.ops)
      gated = gated || (op.name == name && (std::holds_alternative<FracConv2dOp>(op.attrs) ||
                                            std::holds_alternative<PGConv2dOp>(op.attrs)));
    if (!gated)
      throw Error("profile '" + path + "': '" + name + "' is not a fractional or PG conv of model '" +
                  g.metadata.name + "' (a profile of another model?)");
  }
  return density;
}

// 4222541824 -> "4,222,541,824" (rounded to an integer: ACE of a gated layer is fractional).
std::string grouped(double v) {
  std::string digits = std::to_string(std::llround(std::fabs(v)));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return (v < 0 ? "-" : "") + digits;
}

// ACE per op kind and precision ("BConv2d w1a1", "Conv2d w8a8", "FracConv2d w1a1+1d", "PGConv2d w8a2+1d":
// hb + lb x density), in first-seen order.
struct OpSummary {
  std::string key;
  int layers = 0;
  int64_t macs = 0;
  double ace = 0;
};
std::vector<OpSummary> summarize(const ModelCost& cost) {
  std::vector<OpSummary> rows;
  for (const LayerCost& l : cost.layers) {
    if (l.macs == 0) continue;
    char bits[48];
    if (l.gated) {
      std::snprintf(bits, sizeof bits, " w%ga%g+%gd", l.w_bits, l.high_bits, l.low_bits);
    } else {
      std::snprintf(bits, sizeof bits, " w%ga%g", l.w_bits, l.a_bits);
    }
    const std::string key = l.op + bits;
    auto it = std::find_if(rows.begin(), rows.end(), [&](const OpSummary& r) { return r.key == key; });
    if (it == rows.end()) it = rows.insert(rows.end(), OpSummary{key});
    ++it->layers, it->macs += l.macs, it->ace += l.ace;
  }
  return rows;
}

}  // namespace

int run_info(const InfoArgs& a) {
  const Model model = load_model_or_arch(a.model);
  const std::map<std::string, double> density =
      a.profile.empty() ? std::map<std::string, double>{} : read_gate_densities(a.profile, model.graph());
  const ModelCost cost = model_cost(model.graph(), density);
  const std::vector<OpSummary> by_op = summarize(cost);
  std::error_code ec;
  const auto size = std::filesystem::file_size(a.model, ec);
  const auto file_bytes =
      ec ? static_cast<int64_t>(serialize_model(model.graph()).size()) : static_cast<int64_t>(size);
  const ModelMetadata& md = model.metadata();
  if (a.json) {
    nlohmann::json j;
    j["model"] = md.name;
    j["file"] = a.model;
    j["file_bytes"] = file_bytes;
    j["schema_version"] = kSchemaVersion;
    for (const auto& t : model.inputs())
      j["inputs"].push_back({{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}});
    for (const auto& t : model.outputs())
      j["outputs"].push_back({{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}});
    j["class_names"] = md.class_names;
    j["properties"] = md.properties;
    if (!a.profile.empty()) j["profile"] = a.profile;
    for (const LayerCost& l : cost.layers) {
      nlohmann::json o = {{"name", l.name},           {"op", l.op},
                          {"out_shape", l.out_shape}, {"param_bytes", l.param_bytes},
                          {"macs", l.macs},           {"w_bits", l.w_bits},
                          {"a_bits", l.a_bits},       {"ace", l.ace},
                          {"binary", l.binary}};
      if (l.gated)
        o["gate_density"] = l.gate_density >= 0 ? nlohmann::json(l.gate_density) : nlohmann::json();
      j["layers"].push_back(o);
    }
    for (const OpSummary& r : by_op)
      j["by_op"].push_back({{"op", r.key}, {"layers", r.layers}, {"macs", r.macs}, {"ace", r.ace}});
    j["totals"] = {{"param_bytes", cost.param_bytes}, {"macs", cost.macs},
                   {"binary_macs", cost.binary_macs}, {"ace", cost.ace},
                   {"conv_ace", cost.conv_ace},       {"dense_ace", cost.dense_ace},
                   {"ops", model.graph().ops.size()}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model    %s  (%s, %lld bytes, schema %u)\n", md.name.c_str(), a.model.c_str(),
              static_cast<long long>(file_bytes), kSchemaVersion);
  if (!md.description.empty()) std::printf("about    %s\n", md.description.c_str());
  for (const auto& t : model.inputs())
    std::printf("input    %s %s %s\n", t.name.c_str(), dtype_name(t.dtype),
                runtime::shape_str(t.shape).c_str());
  for (const auto& t : model.outputs())
    std::printf("output   %s %s %s\n", t.name.c_str(), dtype_name(t.dtype),
                runtime::shape_str(t.shape).c_str());
  if (!md.class_names.empty()) std::printf("classes  %zu\n", md.class_names.size());
  std::printf("\n%-22s %-12s %-18s %10s %5s %5s %14s %16s\n", "layer", "op", "output", "params(B)", "W", "A",
              "MACs", "ACE");
  for (const LayerCost& l : cost.layers) {
    std::printf("%-22s %-12s %-18s %10lld %5.3g %5.3g %14lld %16.0f", l.name.c_str(), l.op.c_str(),
                runtime::shape_str(l.out_shape).c_str(), static_cast<long long>(l.param_bytes), l.w_bits,
                l.a_bits, static_cast<long long>(l.macs), l.ace);
    if (l.gated && l.gate_density >= 0)
      std::printf("  A = %g + %g x gate density %.4f", l.high_bits, l.low_bits, l.gate_density);
    if (l.gated && l.gate_density < 0)
      std::printf("  A = %g (no measured gate density: --profile)", l.high_bits + l.low_bits);
    std::printf("\n");
  }
  std::printf("\n%-22s %6s %18s %20s\n", "ACE by op", "layers", "MACs", "ACE");
  for (const OpSummary& r : by_op)
    std::printf("%-22s %6d %18s %20s\n", r.key.c_str(), r.layers,
                grouped(static_cast<double>(r.macs)).c_str(), grouped(r.ace).c_str());
  std::printf("\ntotal: %zu ops, %lld parameter bytes, %lld MACs/image (%lld binary), ACE %.4g\n",
              model.graph().ops.size(), static_cast<long long>(cost.param_bytes),
              static_cast<long long>(cost.macs), static_cast<long long>(cost.binary_macs), cost.ace);
  std::printf("ACE      %s = conv %s + dense %s\n", grouped(cost.ace).c_str(), grouped(cost.conv_ace).c_str(),
              grouped(cost.dense_ace).c_str());
  if (!a.profile.empty())
    std::printf("gates    %zu fractional conv(s) at measured density from %s\n", density.size(),
                a.profile.c_str());
  for (const auto& [k, v] : md.properties)
    if (k != "config") std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  auto* cmd = app.add_subcommand("info", "Show a model's layers, shapes, parameters, MACs and ACE");
  cmd->add_option("model", args->model, "Model file (.bnn) or zoo architecture name")->required();
  cmd->add_flag("--json", args->json, "Print machine-readable JSON");
  cmd->add_option("--profile", args->profile,
                  "JSON from `bnnkit bench MODEL --profile --json`: fractional convs count 1 + measured gate "
                  "density activation bits");
  auto hw = std::make_shared<HwInfoArgs>();
  add_hw_info_options(cmd, *hw);
  cmd->callback([args, hw] {
    if (hw->enabled && args->json) {  // one JSON document: the hardware report, with ACE per layer
      if (int rc = run_hw_info(load_model_or_arch(args->model), *hw, true)) throw CLI::RuntimeError(rc);
      return;
    }
    if (int rc = run_info(*args)) throw CLI::RuntimeError(rc);
    if (hw->enabled)
      if (int rc = run_hw_info(load_model_or_arch(args->model), *hw, false)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
