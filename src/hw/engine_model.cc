// The FracBNN accelerator model (engine_model.h). Each cost term names the HLS loop it models; "cifar" and
// "imagenet" refer to cornell-zhang/FracBNN's xcel-cifar10 and xcel-imagenet sources (papers.md §2.6).
#include "hw/engine_model.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <variant>

namespace bnnkit::hw {

HwParams fracbnn_cifar10_design() {
  HwParams p;
  p.name = "fracbnn-cifar10 (Ultra96v2, 250 MHz)";
  p.pack_bits = 64;              // uint64 msb_fmap words
  p.out_parallel = 16;           // OUT_CHANNEL_PARALLELISM
  p.weights_on_chip = true;      // conv_weight_all[45][16][3][3] is a constant array
  p.row_tile = 0;                // Loop_Tile runs over the whole (H+1) x (W+1) map
  p.shortcuts_off_chip = false;  // out_buf_0 keeps the residual stream on chip as ap_fixed<16,9>
  p.quant = QuantPass::kBuffer;  // quant_and_pack sweeps all CHANNEL_OUT / CHANNEL_OUT_T tiles
  p.head_on_host = false;        // avgpool_8x8 and matmul run on the FPGA
  return p;
}

HwParams fracbnn_imagenet_design() {
  HwParams p;
  p.name = "fracbnn-imagenet (Ultra96v2, 250 MHz)";
  p.pack_bits = 32;             // IN_CHANNEL_BITPACK: uint32 words
  p.out_parallel = 32;          // OUT_CHANNEL_PARALLELISM
  p.weights_on_chip = false;    // load_conv3x3_weights / load_conv1x1_weights read 512-bit DDR words
  p.row_tile = 7;               // ROW_TILE_SIZE
  p.shortcuts_off_chip = true;  // 4-bit shortcuts go through DDR_buf_pack
  p.quant = QuantPass::kFused;  // bn_relu_sc_relu writes the MSB and LSB planes itself
  p.head_on_host = true;        // avgpool + FC run in numpy on the ARM, in a second process
  return p;
}

HwParams hls_generator_design(int pack_bits, int out_parallel) {
  HwParams p = fracbnn_cifar10_design();
  p.name = "bnnkit hls (generated design, 250 MHz)";
  p.pack_bits = pack_bits;
  p.out_parallel = out_parallel;
  p.quant = QuantPass::kLayer;  // one Quant2Bit loop per layer over its own channels
  return p;
}

int bram18(int64_t depth, int width_bits) {
  if (depth <= 0 || width_bits <= 0) return 0;
  if (depth <= 64) return 0;  // distributed RAM
  // (depth, width) aspect ratios of one RAMB18E2.
  static const int kShapes[6][2] = {{16384, 1}, {8192, 2}, {4096, 4}, {2048, 9}, {1024, 18}, {512, 36}};
  int64_t best = INT64_MAX;
  for (const auto& s : kShapes) {
    const int64_t n = ((depth + s[0] - 1) / s[0]) * ((width_bits + s[1] - 1) / s[1]);
    best = std::min(best, n);
  }
  return static_cast<int>(best);
}

namespace {

int64_t cdiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Rows of the line-buffer raster of one conv, summed over its row tiles. Without row tiles the raster runs
// `pad` rows past the image so the window drains (cifar: H + 1 rows for 3x3); with row tiles each tile also
// re-reads the kh - 1 halo rows (imagenet: ROW_TILE_SIZE + 2 rows for 3x3, ROW_TILE_SIZE for 1x1).
struct RowTiles {
  int64_t tiles = 1;
  int64_t raster_rows = 0;    // summed over tiles
  int64_t max_tile_rows = 0;  // rows of the largest tile's raster (accumulator depth)
};
RowTiles row_tiles(int rows, int kh, int pad, int row_tile) {
  RowTiles t;
  if (row_tile <= 0 || rows <= row_tile) {
    t.tiles = 1;
    t.raster_rows = row_tile <= 0 ? rows + pad : rows + (kh - 1);
  } else {
    t.tiles = cdiv(rows, row_tile);
    t.raster_rows = rows + t.tiles * (kh - 1);
  }
  t.max_tile_rows = row_tile <= 0 ? t.raster_rows : std::min(rows, row_tile) + (kh - 1);
  return t;
}

class Estimator {
 public:
  Estimator(const Graph& g, const HwParams& p, const std::map<std::string, double>& density)
      : g_(g), p_(p), density_(density), producer_(g.tensors.size(), -1), consumers_(g.tensors.size()) {
    for (size_t i = 0; i < g.ops.size(); ++i) {
      for (int t : g.ops[i].outputs) producer_[t] = static_cast<int>(i);
      for (int t : g.ops[i].inputs)
        if (t >= 0) consumers_[t].push_back(static_cast<int>(i));
    }
    for (const OpDef& op : g.ops)
      if (std::holds_alternative<Quant2BitOp>(op.attrs) || std::holds_alternative<SignQuantOp>(op.attrs))
        quant_buffer_channels_ = std::max(quant_buffer_channels_, shape(op.inputs[0]).back());
  }

  HwReport run();

 private:
  const std::vector<int>& shape(int t) const { return g_.tensors[t].shape; }
  // Height, width and channels of a feature map [N, H, W, C], or of a vector [N, C] as a 1 x 1 map.
  struct Hwc {
    int h = 1, w = 1, c = 1;
  };
  Hwc hwc(int t) const {
    const auto& s = shape(t);
    if (s.size() == 4) return {s[1], s[2], s[3]};
    return {1, 1, s.empty() ? 1 : s.back()};
  }
  const OpDef* producer(int t) const { return producer_[t] < 0 ? nullptr : &g_.ops[producer_[t]]; }
  bool is_const(int t) const { return t >= 0 && g_.tensors[t].buffer >= 0; }
  int64_t depth() const { return p_.pipeline_depth; }
  // One DDR burst: request latency, then the beats at the HP port's rate.
  int64_t burst(int64_t bytes) const {
    return bytes <= 0 ? 0 : p_.ddr_latency + cdiv(bytes, p_.ddr_bytes_per_cycle);
  }
  int64_t axi_words(int64_t bytes) const { return cdiv(bytes * 8, p_.axi_bits); }

  void conv(const OpDef& op, LayerHw& l);
  void input_load(const OpDef& op, LayerHw& l);
  void quant2bit(const OpDef& op, LayerHw& l);
  void quant_uniform(const OpDef& op, LayerHw& l);
  void add(const OpDef& op, LayerHw& l);
  void avg_pool(const OpDef& op, LayerHw& l);
  int per_channel_vectors(const OpDef& conv) const;
  const OpDef* spilled_shortcut_source(const OpDef& add) const;
  int64_t words_per_pixel(int input) const;
  void plan_memory(HwReport& r) const;

  const Graph& g_;
  const HwParams& p_;
  const std::map<std::string, double>& density_;
  std::vector<int> producer_;
  std::vector<std::vector<int>> consumers_;
  int quant_buffer_channels_ = 0;
  // Filled while walking the convs, for the memory plan.
  std::map<int, int64_t> engine_words_;  // kh*kw -> words per bank of the on-chip weights of that engine
  int64_t stored_weight_bytes_ = 0;
  int64_t max_plane_words_ = 0, max_tile_pixels_ = 0, max_spill_row_pixels_ = 0;
  bool any_frac_ = false;
  double gated_outputs_ = 0, open_outputs_ = 0;
};

// Input words per pixel of a binary conv. A thermometer-encoded image arrives the way both published designs
// load it: each colour channel's levels in their own word(s) (cifar: 3 uint64 words of 32 levels; imagenet: 3
// uint32 words), not packed across colour channels.
int64_t Estimator::words_per_pixel(int input) const {
  const OpDef* prod = producer(input);
  if (prod != nullptr)
    if (const auto* th = std::get_if<ThermometerOp>(&prod->attrs))
      return shape(prod->inputs[0]).back() * cdiv(th->levels, p_.pack_bits);
  return cdiv(shape(input).back(), p_.pack_bits);
}

// Per-channel parameter vectors the stage unit needs for one conv: its output stage and gate, then every
// elementwise op fused behind it (RPReLU, shortcut add, BN) up to the next quantizer. imagenet loads 8 of
// them per output tile (load_layer_1D_weights_conv).
int Estimator::per_channel_vectors(const OpDef& conv) const {
  int n = 0;
  for (size_t i = 1; i < conv.inputs.size(); ++i)
    if (is_const(conv.inputs[i]) && shape(conv.inputs[i]).size() == 1) ++n;
  int t = conv.outputs[0];
  while (consumers_[t].size() == 1) {
    const OpDef& next = g_.ops[consumers_[t][0]];
    const bool fusable =
        std::holds_alternative<RPReLUOp>(next.attrs) || std::holds_alternative<AffineOp>(next.attrs) ||
        std::holds_alternative<PReLUOp>(next.attrs) || std::holds_alternative<DPReLUOp>(next.attrs) ||
        std::holds_alternative<AddOp>(next.attrs) || std::holds_alternative<ActivationOp>(next.attrs);
    if (!fusable) break;
    for (int in : next.inputs)
      if (is_const(in)) ++n;
    t = next.outputs[0];
  }
  return n;
}

void Estimator::conv(const OpDef& op, LayerHw& l) {
  const bool frac = std::holds_alternative<FracConv2dOp>(op.attrs);
  const ConvAttrs& c = frac ? std::get<FracConv2dOp>(op.attrs).conv : std::get<BConv2dOp>(op.attrs).conv;
  const auto& in = shape(op.inputs[0]);
  const auto& out = shape(op.outputs[0]);
  const int ih = in[1], iw = in[2], oh = out[1], ow = out[2], oc = out[3];
  const int w_index = frac ? 2 : 1;
  const int P = p_.out_parallel;
  l.unit = "conv" + std::to_string(c.kh) + "x" + std::to_string(c.kw);

  // Raster of the line-buffer pixel loop (Loop_Tile in pgconv.h). Both published engines compute a strided
  // conv at every input position and let the stage unit keep every s-th output.
  const bool full_res = (c.sh == 1 && c.sw == 1) || p_.strided_full_res;
  const int rows = full_res ? ih : oh, cols = (full_res ? iw : ow) + c.pw;
  const RowTiles rt = row_tiles(rows, c.kh, c.ph, p_.row_tile);
  const int64_t n_ot = cdiv(oc, P);                    // for c_out in out_channels / OUT_CHANNEL_PARALLELISM
  const int64_t n_iw = words_per_pixel(op.inputs[0]);  // for c_in in in_channels_after_pack
  const int64_t raster = rt.raster_rows * cols;        // raster positions of one (tile, word), all row tiles
  l.passes = n_ot * rt.tiles * n_iw;

  // MSB pass: one raster position per cycle (II = 1), out_parallel lanes x kh*kw taps in parallel.
  l.msb = n_ot * n_iw * raster + l.passes * depth();
  if (frac) {
    any_frac_ = true;
    const auto it = density_.find(op.name);
    l.density = it != density_.end() ? it->second : p_.default_density;
    // LSB pass: the published engines sweep the same raster again (the gate only masks the accumulation).
    l.lsb_dense = l.msb;
    // With skipping, the MSB pass leaves a list of open (pixel, channel) pairs and the LSB pass consumes it
    // out_parallel pairs per cycle: the sweep shrinks exactly by the gate density.
    l.lsb = p_.lsb_skip
                ? std::llround(l.density * static_cast<double>(n_ot * n_iw * raster)) + l.passes * depth()
                : l.lsb_dense;
    const double outputs = static_cast<double>(oh) * ow * oc;
    gated_outputs_ += outputs;
    open_outputs_ += outputs * l.density;
  }

  // Weights from DDR (imagenet load_conv3x3_weights): per (tile, row tile, word) one burst of
  // out_parallel x kh x kw words, then a loop unpacking the 512-bit beats into the tile buffer. The MSB and
  // LSB passes share the tile. Per output tile, one burst per per-channel parameter vector (ap_fixed<32,6>).
  const int64_t tile_weight_bytes = cdiv(static_cast<int64_t>(P) * c.kh * c.kw * p_.pack_bits, 8);
  const int64_t vectors = per_channel_vectors(op);
  if (!p_.weights_on_chip) {
    l.load += l.passes * (burst(tile_weight_bytes) + axi_words(tile_weight_bytes) + depth());
    l.load += n_ot * vectors * burst(static_cast<int64_t>(P) * 4);
    l.offchip_bytes += l.passes * tile_weight_bytes + n_ot * vectors * P * 4;
  } else {
    engine_words_[c.kh * c.kw] += n_ot * n_iw;
  }
  stored_weight_bytes_ += cdiv(static_cast<int64_t>(g_.tensors[op.inputs[w_index]].shape[0]) * c.kh * c.kw *
                                   shape(op.inputs[0]).back(),
                               8);

  // Stage unit (bn_relu_shortcut / bn_relu_sc_relu): one output pixel of out_parallel channels per cycle,
  // once per (output tile, row tile).
  l.stage = n_ot * (static_cast<int64_t>(oh) * ow + rt.tiles * depth());

  // Memory plan: input planes (2 for fractional convs) with the line buffer's border, plus the output planes
  // when the stage unit quantizes into them while the input is still in use; one tile of partial sums.
  const bool tiled_input = p_.row_tile > 0 && producer(op.inputs[0]) != nullptr &&
                           std::holds_alternative<ThermometerOp>(producer(op.inputs[0])->attrs);
  const int64_t in_rows = tiled_input ? rt.max_tile_rows : ih + 1;
  int64_t words = (frac ? 2 : 1) * in_rows * (iw + 1) * n_iw;
  if (p_.quant == QuantPass::kFused)
    words += 2 * static_cast<int64_t>(oh + 1) * (ow + 1) * cdiv(oc, p_.pack_bits);
  max_plane_words_ = std::max(max_plane_words_, words);
  max_tile_pixels_ = std::max(max_tile_pixels_, rt.max_tile_rows * cols);
}

// The image load: cifar copies the host-encoded thermometer words into msb_fmap once (LOOP_GetImg); imagenet
// reads the rows of each row tile (with the halo) once per input word, one word per cycle.
void Estimator::input_load(const OpDef& op, LayerHw& l) {
  l.unit = "input";
  const int out = op.outputs[0];
  const OpDef* stem = consumers_[out].empty() ? nullptr : &g_.ops[consumers_[out][0]];
  const auto& in = shape(op.inputs[0]);
  const int h = in[1], w = in[2];
  const int64_t n_iw = in[3] * cdiv(std::get<ThermometerOp>(op.attrs).levels, p_.pack_bits);
  int kh = 1, pw = 0;
  if (stem != nullptr) {
    if (const auto* b = std::get_if<BConv2dOp>(&stem->attrs)) kh = b->conv.kh, pw = b->conv.pw;
    if (const auto* f = std::get_if<FracConv2dOp>(&stem->attrs)) kh = f->conv.kh, pw = f->conv.pw;
  }
  const int64_t word_bytes = p_.pack_bits / 8;
  if (p_.row_tile > 0) {
    const RowTiles rt = row_tiles(h, kh, 0, p_.row_tile);
    const int64_t words = n_iw * rt.raster_rows * (w + pw);
    l.load = words + n_iw * rt.tiles * (depth() + p_.ddr_latency);
    l.offchip_bytes = words * word_bytes;
  } else {
    const int64_t words = n_iw * h * w;
    l.load = words + depth() + p_.ddr_latency;
    l.offchip_bytes = words * word_bytes;
  }
}

// The 2-bit quantizer: free inside the stage unit, or its own pass (cifar quant_and_pack: one pixel of one
// 16-channel tile per cycle, over every tile of the 64-channel buffer).
void Estimator::quant2bit(const OpDef& op, LayerHw& l) {
  l.unit = "quant";
  if (p_.quant == QuantPass::kFused) return;
  const Hwc s = hwc(op.inputs[0]);
  const int channels = p_.quant == QuantPass::kBuffer ? quant_buffer_channels_ : s.c;
  l.stage = cdiv(channels, p_.out_parallel) * (static_cast<int64_t>(s.h) * s.w + depth());
}

// A quantized shortcut: free on chip; spilled, the stage unit packs 4-bit values into 512-bit words (II = 2)
// and writes them per (output tile, row tile) (imagenet bn_relu_sc_relu, second and third loops).
void Estimator::quant_uniform(const OpDef& op, LayerHw& l) {
  l.unit = "stage";
  if (!p_.shortcuts_off_chip) return;
  l.unit = "spill";
  const Hwc s = hwc(op.outputs[0]);
  const int bits = std::get<QuantUniformOp>(op.attrs).bits;
  const int64_t bytes = cdiv(static_cast<int64_t>(s.h) * s.w * s.c * bits, 8);
  const RowTiles rt = row_tiles(s.h, 1, 0, p_.row_tile);
  const int64_t tiles = cdiv(s.c, p_.out_parallel) * rt.tiles;
  l.load =
      2 * axi_words(bytes) + cdiv(bytes, p_.ddr_bytes_per_cycle) + tiles * (p_.ddr_latency + 2 * depth());
  l.offchip_bytes = bytes;
  max_spill_row_pixels_ = std::max<int64_t>(max_spill_row_pixels_, static_cast<int64_t>(s.w));
}

// The QuantUniform a shortcut operand of `add` comes from, through pools and channel duplication, or null.
const OpDef* Estimator::spilled_shortcut_source(const OpDef& add) const {
  for (int in : add.inputs) {
    const OpDef* p = producer(in);
    while (p != nullptr &&
           (std::holds_alternative<AvgPoolOp>(p->attrs) || std::holds_alternative<ChannelDupOp>(p->attrs)))
      p = producer(p->inputs[0]);
    if (p != nullptr && std::holds_alternative<QuantUniformOp>(p->attrs)) return p;
  }
  return nullptr;
}

// The shortcut add is part of the stage unit. A spilled shortcut is read back per (output tile, row tile):
// rows of the tile plus one, a burst, a staging loop, and one cycle per pixel to spread the 4-bit values over
// the out_parallel channel banks (imagenet load_shortcut). Channel duplication is free: the tile just reads
// the same source channels again.
void Estimator::add(const OpDef& op, LayerHw& l) {
  l.unit = "stage";
  if (!p_.shortcuts_off_chip) return;
  const OpDef* src = spilled_shortcut_source(op);
  if (src == nullptr) return;
  l.unit = "spill";
  const Hwc s = hwc(src->outputs[0]);
  const int bits = std::get<QuantUniformOp>(src->attrs).bits;
  const int channels = hwc(op.outputs[0]).c;
  const int lanes = std::min(p_.out_parallel, s.c);
  const int64_t n_ot = cdiv(channels, p_.out_parallel);
  const RowTiles rt = row_tiles(s.h, 1, 0, p_.row_tile);
  const int64_t rows_read = p_.row_tile > 0 ? s.h + rt.tiles : s.h;  // one extra row per tile
  const int64_t pixels = n_ot * rows_read * s.w;
  const int64_t bytes = cdiv(pixels * lanes * bits, 8);
  l.load = n_ot * rt.tiles * (p_.ddr_latency + 2 * depth()) + cdiv(bytes, p_.ddr_bytes_per_cycle) +
           axi_words(bytes) + pixels;
  l.offchip_bytes = bytes;
}

// Shortcut average pool: one tap of out_parallel channels per cycle (cifar avgpool_concat, imagenet avgpool);
// on chip the pooled tile is also written back (both copies of the channel duplication at once).
void Estimator::avg_pool(const OpDef& op, LayerHw& l) {
  l.unit = "pool";
  const auto& w = std::get<AvgPoolOp>(op.attrs).window;
  const Hwc s = hwc(op.outputs[0]);
  const int64_t n_ct = cdiv(s.c, p_.out_parallel);
  const int64_t taps = static_cast<int64_t>(w.kh) * w.kw + (p_.shortcuts_off_chip ? 0 : 1);
  const RowTiles rt = row_tiles(s.h, 1, 0, p_.row_tile);
  l.stage = n_ct * (static_cast<int64_t>(s.h) * s.w * taps + rt.tiles * depth());
}

void Estimator::plan_memory(HwReport& r) const {
  BramUse& b = r.bram;
  const int P = p_.out_parallel;
  // Weights: each engine's constant array is partitioned over its out_parallel lanes and kh*kw taps
  // (ARRAY_PARTITION complete on both), so every bank holds one word per (tile, input word).
  for (const auto& [taps, words_per_bank] : engine_words_)
    b.weights += P * taps * bram18(words_per_bank, p_.pack_bits);
  // Bit planes: an MSB and an LSB array, each half of the largest layer's need.
  b.planes = 2 * bram18(cdiv(max_plane_words_, 2), p_.pack_bits);
  // Partial sums: out_parallel banks per plane.
  b.accumulators = (any_frac_ ? 2 : 1) * P * bram18(max_tile_pixels_, p_.acc_bits);
  if (!p_.shortcuts_off_chip) {
    // The residual stream in fixed point, one bank per channel (cifar out_buf_0, partitioned on both channel
    // dimensions), sized by the widest and the largest map that is added to.
    int64_t pixels = 0;
    int channels = 0;
    for (const OpDef& op : g_.ops)
      if (std::holds_alternative<AddOp>(op.attrs)) {
        const auto& s = shape(op.outputs[0]);
        if (s.size() == 4) pixels = std::max<int64_t>(pixels, static_cast<int64_t>(s[1] + 1) * (s[2] + 1));
        channels = std::max(channels, s.back());
      }
    b.shortcuts = channels * bram18(pixels, p_.fixed_bits);
  } else if (max_spill_row_pixels_ > 0) {
    // One tile of 4-bit shortcuts (out_parallel banks of (row_tile + 1) rows) and its read and write staging.
    const int64_t rows = std::max(1, p_.row_tile) + 1;
    b.shortcuts = P * bram18(rows * max_spill_row_pixels_, 4);
    b.staging = 2 * bram18(axi_words(rows * max_spill_row_pixels_ * P * 4 / 8), p_.axi_bits);
  }
  if (!p_.head_on_host)
    for (const OpDef& op : g_.ops)
      if (std::holds_alternative<DenseOp>(op.attrs)) {
        const auto& w = shape(op.inputs[1]);
        const int banks = std::min(w[0], P);
        b.head += banks * bram18(cdiv(w[0], banks) * w[1], p_.fixed_bits);
      }
}

HwReport Estimator::run() {
  if (p_.pack_bits <= 0 || p_.out_parallel <= 0 || p_.clock_mhz <= 0 || p_.row_tile < 0)
    throw Error("hw: pack bits, output parallelism and clock must be positive, row tile >= 0");
  HwReport r;
  r.params = p_;
  for (const OpDef& op : g_.ops) {
    LayerHw l;
    l.name = op.name;
    l.op = op_name(op.attrs);
    if (std::holds_alternative<BConv2dOp>(op.attrs) || std::holds_alternative<FracConv2dOp>(op.attrs)) {
      conv(op, l);
    } else if (std::holds_alternative<ThermometerOp>(op.attrs)) {
      input_load(op, l);
    } else if (std::holds_alternative<Quant2BitOp>(op.attrs) ||
               std::holds_alternative<SignQuantOp>(op.attrs)) {
      quant2bit(op, l);  // a sign quantizer is the same per-pixel pass with one output plane
    } else if (std::holds_alternative<QuantUniformOp>(op.attrs)) {
      quant_uniform(op, l);
    } else if (std::holds_alternative<AddOp>(op.attrs)) {
      add(op, l);
    } else if (std::holds_alternative<AvgPoolOp>(op.attrs)) {
      avg_pool(op, l);
    } else if (std::holds_alternative<RPReLUOp>(op.attrs) || std::holds_alternative<AffineOp>(op.attrs) ||
               std::holds_alternative<PReLUOp>(op.attrs) || std::holds_alternative<DPReLUOp>(op.attrs) ||
               std::holds_alternative<ActivationOp>(op.attrs) ||
               std::holds_alternative<ChannelDupOp>(op.attrs) ||
               std::holds_alternative<FlattenOp>(op.attrs)) {
      l.unit = "stage";  // per-pixel work inside the stage unit's pipelined loop: no cycles of its own
    } else if (std::holds_alternative<GlobalAvgPoolOp>(op.attrs) ||
               std::holds_alternative<DenseOp>(op.attrs)) {
      l.unit = p_.head_on_host ? "host" : "head";
      if (!p_.head_on_host) {
        if (std::holds_alternative<GlobalAvgPoolOp>(op.attrs)) {
          // cifar avgpool_8x8: per channel tile, one pixel of out_parallel channels per cycle.
          const Hwc s = hwc(op.inputs[0]);
          l.stage = cdiv(s.c, p_.out_parallel) * (static_cast<int64_t>(s.h) * s.w + depth());
        } else {
          // cifar matmul: one input per cycle, out_parallel output MACs in parallel.
          const auto& w = shape(op.inputs[1]);
          l.stage = cdiv(w[0], p_.out_parallel) * w[1] + depth();
        }
      }
    } else if (std::holds_alternative<BDenseOp>(op.attrs)) {
      l.unit = "dense";
      const auto& w = shape(op.inputs[1]);
      l.msb = cdiv(w[0], p_.out_parallel) * (cdiv(w[1], p_.pack_bits) + depth());
    } else {
      l.mapped = false;
      l.unit = "-";
      r.unmapped.push_back(op.name + " (" + l.op + ")");
    }
    r.layers.push_back(l);
  }
  for (const LayerHw& l : r.layers) {
    r.cycles += l.cycles();
    r.offchip_bytes += l.offchip_bytes;
    if (l.unit == "spill") r.shortcut_bytes += l.offchip_bytes;
    if (l.unit.rfind("conv", 0) == 0) r.streamed_weight_bytes += l.offchip_bytes;
  }
  // Logits (or, with the head on the host, the last feature map) leave the chip.
  for (int t : g_.outputs)
    r.offchip_bytes += static_cast<int64_t>(tensor_bytes(g_.tensors[t].dtype, shape(t)));
  r.weight_bytes = stored_weight_bytes_;
  r.fps = r.cycles > 0 ? p_.clock_mhz * 1e6 / static_cast<double>(r.cycles) : 0;
  r.latency_ms = static_cast<double>(r.cycles) / (p_.clock_mhz * 1e3);
  r.density = gated_outputs_ > 0 ? open_outputs_ / gated_outputs_ : -1;
  plan_memory(r);
  return r;
}

}  // namespace

HwReport estimate(const Graph& g, const HwParams& params, const std::map<std::string, double>& gate_density) {
  return Estimator(g, params, gate_density).run();
}

std::map<std::string, double> measure_gate_density(const Model& model, int images, uint64_t seed) {
  std::map<std::string, double> out;
  const auto inputs = model.inputs();
  if (inputs.empty() || inputs[0].dtype != DType::kUInt8 || images <= 0) return out;
  Session session(model, {.threads = 0, .batch = images});
  const TensorView in = session.input(0);
  std::vector<uint8_t> pixels(in.bytes);
  std::mt19937_64 rng(seed);
  for (auto& p : pixels) p = static_cast<uint8_t>(rng() & 0xff);
  session.set_input(0, std::span<const uint8_t>(pixels));
  session.run();
  for (const OpProfile& p : session.profile())
    if (p.gate_outputs > 0)
      out[p.name] = static_cast<double>(p.gate_open) / static_cast<double>(p.gate_outputs);
  return out;
}

}  // namespace bnnkit::hw
