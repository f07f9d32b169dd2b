// bnnkit info MODEL: the layer table (op, output shape, parameters, bit-widths, MACs, ACE) and totals.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "commands.h"
#include "common.h"
#include "runtime/infer.h"

namespace bnnkit::cli {

int run_info(const InfoArgs& a) {
  const Model model = load_model_or_arch(a.model);
  const ModelCost cost = model_cost(model.graph());
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
    for (const LayerCost& l : cost.layers)
      j["layers"].push_back({{"name", l.name},
                             {"op", l.op},
                             {"out_shape", l.out_shape},
                             {"param_bytes", l.param_bytes},
                             {"macs", l.macs},
                             {"w_bits", l.w_bits},
                             {"a_bits", l.a_bits},
                             {"ace", l.ace},
                             {"binary", l.binary}});
    j["totals"] = {{"param_bytes", cost.param_bytes},
                   {"macs", cost.macs},
                   {"binary_macs", cost.binary_macs},
                   {"ace", cost.ace},
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
  for (const LayerCost& l : cost.layers)
    std::printf("%-22s %-12s %-18s %10lld %5.3g %5.3g %14lld %16.0f\n", l.name.c_str(), l.op.c_str(),
                runtime::shape_str(l.out_shape).c_str(), static_cast<long long>(l.param_bytes), l.w_bits,
                l.a_bits, static_cast<long long>(l.macs), l.ace);
  std::printf("\ntotal: %zu ops, %lld parameter bytes, %lld MACs/image (%lld binary), ACE %.4g\n",
              model.graph().ops.size(), static_cast<long long>(cost.param_bytes),
              static_cast<long long>(cost.macs), static_cast<long long>(cost.binary_macs), cost.ace);
  for (const auto& [k, v] : md.properties)
    if (k != "config") std::printf("%s: %s\n", k.c_str(), v.c_str());
  return 0;
}

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  auto* cmd = app.add_subcommand("info", "Show a model's layers, shapes, parameters, MACs and ACE");
  cmd->add_option("model", args->model, "Model file (.bnn) or zoo architecture name")->required();
  cmd->add_flag("--json", args->json, "Print machine-readable JSON");
  cmd->callback([args] {
    if (int rc = run_info(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
