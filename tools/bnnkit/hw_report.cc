// bnnkit info MODEL --hw: the FPGA engine model's table (hw_report.h).
#include "hw_report.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "bnnkit/cost.h"
#include "hw/engine_model.h"

namespace bnnkit::cli {

void add_hw_info_options(CLI::App* cmd, HwInfoArgs& a) {
  cmd->add_flag("--hw", a.enabled,
                "Add the FracBNN FPGA engine model: cycles per layer, FPS, BRAM18, DDR traffic");
  cmd->add_option(
         "--design", a.design,
         "--hw preset: cifar10 or imagenet (the published FracBNN accelerators), hls (bnnkit hls's design)")
      ->capture_default_str();
  cmd->add_option("--clock", a.clock_mhz, "--hw clock in MHz (default: the preset's, 250)");
  cmd->add_option("--pack", a.pack, "--hw input channels per word: 64 or 32 (default: the preset's)");
  cmd->add_option("--parallel", a.parallel,
                  "--hw output channels computed in parallel (default: the preset's)");
  cmd->add_option("--row-tile", a.row_tile,
                  "--hw output rows per tile, 0 = whole map (default: the preset's)");
  cmd->add_flag("--weights-on-chip", a.weights_on_chip, "--hw keep all binary weights on chip");
  cmd->add_flag("--weights-in-ddr", a.weights_in_ddr, "--hw stream weight tiles from DDR");
  cmd->add_flag("--lsb-skip", a.lsb_skip, "--hw the LSB pass skips gated-off outputs");
  cmd->add_option("--density", a.density,
                  "--hw gate density of every fractional conv (default: measured on random images)");
}

namespace {

hw::HwParams params_from(const HwInfoArgs& a) {
  hw::HwParams p;
  if (a.design == "cifar10") {
    p = hw::fracbnn_cifar10_design();
  } else if (a.design == "imagenet") {
    p = hw::fracbnn_imagenet_design();
  } else if (a.design == "hls") {
    p = hw::hls_generator_design();
  } else {
    throw Error("--design must be cifar10, imagenet or hls, not '" + a.design + "'");
  }
  if (a.weights_on_chip && a.weights_in_ddr)
    throw Error("--weights-on-chip and --weights-in-ddr exclude each other");
  const bool custom = a.clock_mhz > 0 || a.pack > 0 || a.parallel > 0 || a.row_tile >= 0 ||
                      a.weights_on_chip || a.weights_in_ddr || a.lsb_skip;
  if (a.clock_mhz > 0) p.clock_mhz = a.clock_mhz;
  if (a.pack > 0) p.pack_bits = a.pack;
  if (a.parallel > 0) p.out_parallel = a.parallel;
  if (a.row_tile >= 0) p.row_tile = a.row_tile;
  if (a.weights_on_chip) p.weights_on_chip = true;
  if (a.weights_in_ddr) p.weights_on_chip = false;
  p.lsb_skip = a.lsb_skip;
  if (a.pack != 0 && a.pack != 32 && a.pack != 64) throw Error("--pack must be 32 or 64");
  if (a.clock_mhz < 0 || a.parallel < 0) throw Error("--clock and --parallel must be positive");
  if (custom) p.name = "custom, based on the " + a.design + " design";
  return p;
}

std::string bytes_str(int64_t b) {
  char buf[32];
  if (b >= 1 << 20) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(b) / (1 << 20));
  } else if (b >= 1 << 10) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / (1 << 10));
  } else {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  }
  return buf;
}

}  // namespace

int run_hw_info(const Model& model, const HwInfoArgs& a, bool json) {
  const hw::HwParams p = params_from(a);
  std::map<std::string, double> density;
  std::string density_source = "none (no fractional convs)";
  bool any_frac = false;
  for (const OpDef& op : model.graph().ops)
    any_frac = any_frac || std::holds_alternative<FracConv2dOp>(op.attrs);
  if (any_frac) {
    if (a.density >= 0) {
      if (a.density > 1) throw Error("--density must lie in [0, 1]");
      for (const OpDef& op : model.graph().ops)
        if (std::holds_alternative<FracConv2dOp>(op.attrs)) density[op.name] = a.density;
      density_source = "--density";
    } else if (p.lsb_skip) {
      density = hw::measure_gate_density(model, a.density_images);
      density_source = "measured by the engine on " + std::to_string(a.density_images) + " random images";
    } else {
      density_source = "not needed (no LSB skipping)";
    }
  }
  const hw::HwReport r = hw::estimate(model.graph(), p, density);
  const ModelCost cost = model_cost(model.graph(), density);
  std::map<std::string, double> ace;
  for (const LayerCost& l : cost.layers) ace[l.name] = l.ace;

  if (json) {
    nlohmann::json j;
    j["model"] = model.metadata().name;
    j["design"] = {{"name", p.name},
                   {"clock_mhz", p.clock_mhz},
                   {"pack_bits", p.pack_bits},
                   {"out_parallel", p.out_parallel},
                   {"weights_on_chip", p.weights_on_chip},
                   {"lsb_skip", p.lsb_skip},
                   {"row_tile", p.row_tile},
                   {"shortcuts_off_chip", p.shortcuts_off_chip},
                   {"head_on_host", p.head_on_host}};
    for (const hw::LayerHw& l : r.layers) {
      nlohmann::json o = {{"name", l.name},     {"op", l.op},
                          {"unit", l.unit},     {"cycles", l.cycles()},
                          {"msb", l.msb},       {"lsb", l.lsb},
                          {"load", l.load},     {"stage", l.stage},
                          {"passes", l.passes}, {"offchip_bytes", l.offchip_bytes},
                          {"mapped", l.mapped}};
      if (l.density >= 0) o["gate_density"] = l.density;
      if (ace.count(l.name)) o["ace"] = ace[l.name];
      j["layers"].push_back(o);
    }
    j["totals"] = {{"cycles", r.cycles},
                   {"fps", r.fps},
                   {"latency_ms", r.latency_ms},
                   {"ace", cost.ace},
                   {"offchip_bytes", r.offchip_bytes},
                   {"streamed_weight_bytes", r.streamed_weight_bytes},
                   {"shortcut_bytes", r.shortcut_bytes},
                   {"weight_bytes", r.weight_bytes},
                   {"bram18",
                    {{"total", r.bram.total()},
                     {"weights", r.bram.weights},
                     {"planes", r.bram.planes},
                     {"accumulators", r.bram.accumulators},
                     {"shortcuts", r.bram.shortcuts},
                     {"staging", r.bram.staging},
                     {"head", r.bram.head}}}};
    if (r.density >= 0) j["totals"]["gate_density"] = r.density;
    j["density_source"] = density_source;
    j["unmapped"] = r.unmapped;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }

  std::printf("\nFPGA engine model: %s\n", p.name.c_str());
  std::printf(
      "  %.0f MHz, %d-bit words, %d output channels in parallel, weights %s, %s, shortcuts %s, head %s, "
      "LSB skip %s\n",
      p.clock_mhz, p.pack_bits, p.out_parallel, p.weights_on_chip ? "on chip" : "from DDR",
      p.row_tile > 0 ? ("row tiles of " + std::to_string(p.row_tile)).c_str() : "whole-map tiles",
      p.shortcuts_off_chip ? "spilled to DDR" : "on chip", p.head_on_host ? "on the host" : "on chip",
      p.lsb_skip ? "on" : "off");
  std::printf("  gate density: %s\n\n", density_source.c_str());
  std::printf("%-26s %-13s %-8s %10s %10s %9s %9s %11s %6s %7s %12s %14s\n", "layer", "op", "unit", "MSB",
              "LSB", "load", "stage", "cycles", "share", "gate", "off-chip", "ACE");
  for (const hw::LayerHw& l : r.layers) {
    if (l.cycles() == 0 && l.offchip_bytes == 0 && ace[l.name] == 0 && l.mapped) continue;  // fused, free
    char gate[16] = "-";
    if (l.density >= 0) std::snprintf(gate, sizeof gate, "%.1f%%", 100.0 * l.density);
    char ace_s[24] = "-";
    if (ace.count(l.name)) std::snprintf(ace_s, sizeof ace_s, "%.0f", ace[l.name]);
    std::printf("%-26s %-13s %-8s %10lld %10lld %9lld %9lld %11lld %5.1f%% %7s %12s %14s\n", l.name.c_str(),
                l.op.c_str(), l.unit.c_str(), static_cast<long long>(l.msb), static_cast<long long>(l.lsb),
                static_cast<long long>(l.load), static_cast<long long>(l.stage),
                static_cast<long long>(l.cycles()),
                r.cycles > 0 ? 100.0 * static_cast<double>(l.cycles()) / static_cast<double>(r.cycles) : 0.0,
                gate, l.offchip_bytes > 0 ? bytes_str(l.offchip_bytes).c_str() : "-", ace_s);
  }
  std::printf("\nhw total: %lld cycles/frame = %.3f ms at %.0f MHz = %.1f FPS\n",
              static_cast<long long>(r.cycles), r.latency_ms, p.clock_mhz, r.fps);
  std::printf(
      "hw memory: %d BRAM18 (weights %d, bit planes %d, partial sums %d, shortcuts %d, staging %d, head %d); "
      "binary weights %s\n",
      r.bram.total(), r.bram.weights, r.bram.planes, r.bram.accumulators, r.bram.shortcuts, r.bram.staging,
      r.bram.head, bytes_str(r.weight_bytes).c_str());
  std::printf("hw off-chip: %s/frame (streamed weights %s, shortcut spills %s)\n",
              bytes_str(r.offchip_bytes).c_str(), bytes_str(r.streamed_weight_bytes).c_str(),
              bytes_str(r.shortcut_bytes).c_str());
  if (r.density >= 0) std::printf("hw gate density (output-weighted): %.1f%%\n", 100.0 * r.density);
  if (!r.unmapped.empty()) {
    std::printf("hw not mapped (no engine unit, 0 cycles):");
    for (const auto& u : r.unmapped) std::printf(" %s", u.c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace bnnkit::cli
