// A parameterised performance model of FracBNN's layer-by-layer FPGA accelerator (papers.md §2.6): one shared
// binary conv engine per kernel size (input channels packed into words, `out_parallel` output channels per
// cycle, line buffer + window, pixel loop pipelined at II = 1), an MSB and an LSB pass per fractional conv,
// the fused BN/RPReLU/shortcut unit, pooling and the FC head, and the DDR traffic of weights and spilled
// shortcuts. For any bnnkit graph it gives cycles per layer and in total, FPS at a clock, BRAM18 blocks and
// bytes moved off chip.
//
// The loop nest of a binary conv, as in both published HLS designs (xcel-cifar10 / xcel-imagenet):
//
//   for ot in output-channel tiles of out_parallel          (one pass set per tile)
//     [load the tile's per-channel BN/RPReLU/gate parameters]          (weights off chip only)
//     for rt in row tiles (1 without row tiling)
//       for w in input words (ceil(Cin / pack_bits))
//         [load the weight tile: out_parallel x kh x kw words]           (weights off chip only)
//         MSB pass: for each raster position (row, col)   PIPELINE II=1  (out_parallel lanes, kh*kw taps)
//       for w in input words
//         LSB pass: the same raster, accumulating only where D_msb > gate (fractional convs)
//       stage unit: for each output pixel of the tile     PIPELINE II=1  (BN, RPReLU, + shortcut, BN,
//       quantize)
//
// Every pipelined loop costs its trip count plus `pipeline_depth` cycles to fill and drain. The model's
// structural parameters describe which of the published designs' choices a design makes (row tiles, where
// shortcuts live, where the head runs, the separate quantizer pass); the physical constants (pipeline depth,
// DDR latency and bandwidth) are shared by every design. docs/hardware.md validates it against the published
// FPS of both FracBNN accelerators.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bnnkit/bnnkit.h"
#include "bnnkit/graph.h"

namespace bnnkit::hw {

// Where the 2-bit re-quantization of a fractional conv's input happens.
enum class QuantPass : uint8_t {
  kFused,   // in the stage unit that produced the float activations (xcel-imagenet's bn_relu_sc_relu)
  kLayer,   // a separate pass over the layer's channel tiles
  kBuffer,  // a separate pass over every channel tile of the feature buffer, whatever the layer's width
            // (xcel-cifar10's quant_and_pack loops over CHANNEL_OUT / CHANNEL_OUT_T = 4 tiles always)
};

struct HwParams {
  std::string name = "custom";
  double clock_mhz = 250.0;
  int pack_bits = 64;               // input channels per word (64: uint64, 32: uint32)
  int out_parallel = 16;            // output channels computed in parallel by the conv engine
  bool weights_on_chip = true;      // false: weight tiles stream from DDR inside the row-tile loop
  bool lsb_skip = false;            // the LSB pass visits only open (pixel, channel) pairs (a work list)
  int row_tile = 0;                 // output rows per tile (0: the whole feature map in one tile)
  bool strided_full_res = true;     // stride-2 convs run at the input resolution, the stage unit subsamples
  bool shortcuts_off_chip = false;  // quantized shortcuts spill to DDR and are read back per tile
  QuantPass quant = QuantPass::kFused;
  bool head_on_host = false;  // global pool + FC run on the host CPU (overlapped, outside the frame time)

  // Physical constants shared by every design (docs/hardware.md says where each comes from).
  int pipeline_depth = 15;       // fill + drain of a pipelined loop (Vivado HLS 2019.2, FracBNN's engine)
  int ddr_latency = 40;          // cycles from a burst's request to its first beat (~160 ns at 250 MHz)
  int ddr_bytes_per_cycle = 16;  // a 128-bit PS-PL HP port at the fabric clock
  int axi_bits = 512;            // width of the design's m_axi ports for weights and shortcuts
  int acc_bits = 16;             // conv partial sums on chip
  int fixed_bits = 16;           // fixed-point activations kept on chip (the residual stream)
  double default_density = 0.4;  // gate density assumed for fractional convs without a measurement
};

// The two published designs (papers.md §2.6): CIFAR-10 (64-channel words, 16 output channels in parallel,
// all weights on chip, whole-map tiles) and ImageNet (32-channel words, 32 output channels in parallel,
// weights and 4-bit shortcuts in DDR, row tiles of 7, head on the ARM).
HwParams fracbnn_cifar10_design();
HwParams fracbnn_imagenet_design();
// The design `bnnkit hls` generates (hls_gen.h): everything on chip in whole-map tiles like the CIFAR-10
// design, but with the 2-bit quantizer as a pass over the layer's own channel tiles.
HwParams hls_generator_design(int pack_bits = 64, int out_parallel = 16);

// Published frame rates (papers.md §2.7).
inline constexpr double kPublishedCifar10Fps = 2806.9;
inline constexpr double kPublishedImagenetFps = 48.1;

struct LayerHw {
  std::string name, op;
  std::string unit;  // hardware unit: "conv3x3", "conv1x1", "input", "quant", "pool", "spill", "head", ...
  int64_t msb = 0;   // MSB pass of the conv engine (the only pass of a binary conv)
  int64_t lsb = 0;   // LSB pass (fractional convs)
  int64_t lsb_dense = 0;  // what the LSB pass costs without skipping (equal to lsb when lsb_skip is off)
  int64_t load = 0;       // DDR transfers and their unpacking (weights, parameters, input, shortcuts)
  int64_t stage = 0;      // fused BN/RPReLU/shortcut unit, or the op's own pass (quantizer, pool, head)
  int64_t passes = 0;     // engine passes per plane (tiles x row tiles x input words)
  int64_t offchip_bytes = 0;
  double density = -1;  // gate density used (fractional convs), else -1
  bool mapped = true;   // false: the engine has no unit for this op (reported, costs 0)
  int64_t cycles() const { return msb + lsb + load + stage; }
};

// BRAM18 blocks by purpose.
struct BramUse {
  int weights = 0;       // binary conv weights kept on chip
  int planes = 0;        // bit-plane feature maps (MSB and LSB)
  int accumulators = 0;  // conv partial sums of one output-channel tile
  int shortcuts = 0;     // residual stream (on chip) or the shortcut tile buffer (spilled)
  int staging = 0;       // DDR staging buffers
  int head = 0;          // FC weights on chip
  int total() const { return weights + planes + accumulators + shortcuts + staging + head; }
};

struct HwReport {
  HwParams params;
  std::vector<LayerHw> layers;  // one per graph op, in execution order
  int64_t cycles = 0;
  double fps = 0, latency_ms = 0;
  double density = -1;  // output-weighted gate density over all fractional convs (-1: none)
  BramUse bram;
  int64_t offchip_bytes = 0;  // per frame: input + streamed weights/parameters + shortcut spills + output
  int64_t weight_bytes = 0;   // binary conv weights as stored (on or off chip)
  int64_t streamed_weight_bytes = 0;
  int64_t shortcut_bytes = 0;         // spilled shortcuts written + read
  std::vector<std::string> unmapped;  // "name (Op)" of ops without a hardware unit
};

// Estimates one frame (batch 1). `gate_density` maps fractional-conv op names to the fraction of outputs
// whose gate opens; missing names use params.default_density. Throws bnnkit::Error on invalid parameters.
HwReport estimate(const Graph& g, const HwParams& params,
                  const std::map<std::string, double>& gate_density = {});

// BRAM18 blocks for one memory of `depth` words of `width_bits` (the cheapest of the 16Kx1 .. 512x36
// aspect ratios); memories of at most 64 words go to LUTs (one LUT6 is a 64x1 RAM) and cost none.
int bram18(int64_t depth, int width_bits);

// Gate density of every fractional conv, measured by running the engine on `images` pseudo-random uint8
// images (fixed seed). Models whose first input is not uint8 get an empty map.
std::map<std::string, double> measure_gate_density(const Model& model, int images = 4, uint64_t seed = 1);

}  // namespace bnnkit::hw
