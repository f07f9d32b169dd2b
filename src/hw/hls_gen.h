// HLS C++ for a bnnkit model: `bnnkit hls MODEL.bnn -o DIR`.
//
// Writes a layer-by-layer accelerator in the structure of FracBNN's hand-written designs (papers.md §2.6) and
// of the engine model (engine_model.h), generated from the model file instead of written per network:
//
//   DIR/model.h    the top function  void bnn_top(const uint8_t image[kInputBytes], float logits[kClasses])
//   DIR/model.cc   one shared binary conv engine (ALLOCATION limit=1): line buffer + kh x kw window, raster
//   loop
//                  pipelined at II=1, out_parallel lanes unrolled; an MSB pass, then an LSB pass that
//                  accumulates only where the gate opened; a per-layer stage loop with the output stage and
//                  the fused BN/RPReLU/shortcut/BN epilogue; quantizers, pools and the FC head as pipelined
//                  loops
//   DIR/weights.h  the packed binary weights (one bank per output lane) and every parameter as constant
//   arrays:
//                  the export script FracBNN's repository lacks
//   DIR/tb.cc      the C-simulation testbench: reads an IDX file of uint8 images (or raw bytes), runs
//   bnn_top,
//                  prints the class and the logits' bit patterns
//
// The float operations follow the engine's reference kernels (src/kernels/*/reference.cc) operation by
// operation, so a testbench compiled with `g++ -std=c++17 -O2 -ffp-contract=off model.cc tb.cc` reproduces
// the engine's logits bit for bit (tests/hls_test.cc).
#pragma once

#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::hw {

struct HlsOptions {
  int pack_bits = 64;     // word width of bit-packed activations and weights: 64 (uint64_t) or 32 (uint32_t)
  int out_parallel = 16;  // output channels per engine pass (a power of two, at most 256)
  std::string top = "bnn_top";
};

struct HlsResult {
  std::vector<std::string> files;  // paths written
  int conv_layers = 0;             // layers mapped onto the shared binary engine
  int fused_ops = 0;               // elementwise ops folded into a stage loop
  int64_t weight_words = 0;        // packed binary weight words (all banks)
  int64_t params = 0;              // float / int / byte parameters
};

// Names of the ops the generator supports.
const std::vector<std::string>& hls_supported_ops();

// Generates the four files into `dir` (created if missing). Throws bnnkit::Error for a graph it cannot map,
// naming the first unsupported op, or for an input that is not uint8 [1, H, W, C] or more than one output.
HlsResult generate_hls(const Graph& g, const std::string& dir, const HlsOptions& options = {});

}  // namespace bnnkit::hw
