// The gated fractional convolution shared by the avx512/avx2/portable variants (variants.h): the driver and
// the scalar pieces. Each variant supplies a traits class (see Traits below) for its MSB convolution and,
// where it has them, vector versions of the per-pixel steps.
//
// Per segment of up to kScratchInts / oc output pixels of one output row (pointwise layers: of the run of
// pixels, across rows and images, as in bconv2d; avx512, rows that fit: up to kMsbInts / oc pixels of whole
// rows of one image, except the call's first segment, one row, which sets how the next ones start):
//   1. MSB pass: the bconv2d variant computes D_msb for every (pixel, channel) into an int32 scratch.
//   2. Gates: open = D_msb > gate_threshold[o], one 16-bit mask per 16 channels per pixel. The avx512 variant
//      fuses 1-2 into the conv tile's epilogue (GateEpilogue), which also writes every output as if its gate
//      were closed: pixels with no open gate are done, the others only have their open channels redone; a
//      segment with no open gate ends here (its open count is the masks' popcount, no per-pixel scan).
//      The avx512 variant may instead run both planes in one conv tile (two_plane below) when the previous
//      segment found the dense pass cheaper.
//   3. The LSB plane for the pixels with an open gate, the sparse or the dense way, whichever use_dense()
//      estimates cheaper (FracConv2dArgs::lsb_pass can force either):
//      sparse, avx512 (Traits::kDirect): pixel by pixel, the window loaded from the input rows into
//        registers, the open channels walked in the masks, each dot product reduced and its output
//        rewritten in place;
//      sparse, the other variants: in chunks of pixels, three phases (so no phase reloads what the previous
//        just stored):
//        a. the open channels compacted into a list; the pixel's LSB window (kh x kw taps x words_for(ic),
//           taps in the weights' order, zeros at padded taps) copied into a contiguous buffer;
//        b. per open channel, popcount(window XOR w_lsb[o]) over the k window words (the weights repacked per
//           channel, contiguous); D_lsb = base - 2 * popcount with base = kh * kw * ic, except that under
//           Padding::kZero a padded tap must add 0 rather than ic - 2 * popcount(w): edge pixels add
//           2 * popcount(w[o][tap]) per padded tap;
//        c. the epilogue below.
//      dense: the bconv2d variant computes D_lsb for the whole segment.
//   4. acc = 2 * D_msb + (open ? D_lsb : 0) through the output stage, straight to dst.
// All of it is exact integer arithmetic, so the result equals fracconv2d_reference bit for bit whichever path
// a segment takes.
//
// Packed weights (GatedLayout): [the bconv2d variant's packed layout][LSB: oc x k words, the reference layout
// of each channel][popw: int32 popcount(w[o][tap]) as [tap][oc]].
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/bconv2d/direct_conv.h"
#include "kernels/bconv2d/variant_impls.h"
#include "kernels/fracconv/fracconv.h"

namespace bnnkit::kernels::fracconv_detail {

using bconv2d_detail::TapRange;
using bconv2d_detail::valid_taps;

inline constexpr int kScratchInts = 8192;  // int32 per scratch buffer (32 KiB): segment pixels x oc
inline constexpr int kMaxOc = kScratchInts;
inline constexpr int kMaxWindowWords = 2048;  // kh * kw * words_for(ic), rounded up to 8, + 8
// The sparse LSB pass works on chunks of up to kMaxChunk pixels in three phases (gather windows and open
// lists, dot products, epilogue), so no phase reads memory the previous one stored just before: a load that
// needs a recent, partially overlapping store stalls until that store commits, which dominated a
// pixel-at-a-time loop.
inline constexpr int kMaxChunk = 8;
inline constexpr int kChunkInts = kScratchInts + 16;  // lists, sums, bases of a chunk: pixels x (oc + 16)
inline constexpr int kMaxSegment = 256;
// The fused MSB pass takes several whole rows at once (one set-up of the conv's channel groups and one call
// for all of them; at 0 % density on 28 x 28 x 128, one row per pass 1.09x the 1-bit conv, 2 rows 1.08x, 4
// rows 1.07x), so its D block is larger: up to kMaxRowPixels pixels and kMsbInts int32 (64 KiB).
inline constexpr int kMsbInts = 2 * kScratchInts;
inline constexpr int kMaxRowPixels = 1024;
inline constexpr int kMaxMasks = kMsbInts / 16 + kMaxRowPixels;  // pixels x (oc + 15) / 16, both cases

// x^n by squaring: the two-plane path estimates (1 - d)^oc once per row, where std::pow was ~5 % of a
// 28x28 ResNet-20's time.
inline double ipow(double x, int n) {
  double r = 1.0;
  for (; n > 0; n >>= 1, x *= x)
    if (n & 1) r *= x;
  return r;
}

inline int round8(int x) {
  return (x + 7) / 8 * 8;
}

struct GatedLayout {
  int taps, icw, k, kz;  // k words per channel and window (the LSB weight stride); kz = k rounded up to 8
  size_t msb_words, lsb_offset, popw_offset, total_words;
  GatedLayout(const ConvGeometry& g, size_t msb_packed_words)
      : taps(g.kh * g.kw), icw(words_for(g.ic)), k(taps * icw), kz(round8(k)), msb_words(msb_packed_words) {
    lsb_offset = msb_words;
    popw_offset = lsb_offset + static_cast<size_t>(g.oc) * k;
    total_words = popw_offset + (static_cast<size_t>(taps) * g.oc + 1) / 2;
  }
};

// Why a gated variant cannot take a problem (its scratch buffers are fixed-size), or nullptr.
inline const char* gated_rejects(const ConvGeometry& g) {
  if (g.oc > kMaxOc) return "needs oc <= 8192";
  if (static_cast<long long>(g.kh) * g.kw * words_for(g.ic) > kMaxWindowWords - 15)
    return "needs kh * kw * words(ic) <= 2033";
  if (bconv2d_detail::too_deep(g)) return "needs kh * kw * ic < 2^28";
  return nullptr;
}

inline void gated_pack(const ConvGeometry& g, const Word* ref, Word* packed, size_t msb_words,
                       void (*msb_pack)(const ConvGeometry&, const Word*, Word*)) {
  const GatedLayout lay(g, msb_words);
  std::memset(packed, 0, lay.total_words * sizeof(Word));
  msb_pack(g, ref, packed);
  Word* lsb = packed + lay.lsb_offset;
  auto* popw = reinterpret_cast<int32_t*>(packed + lay.popw_offset);
  for (int o = 0; o < g.oc; ++o) {
    const Word* w = ref + static_cast<size_t>(o) * lay.k;
    std::memcpy(lsb + static_cast<size_t>(o) * lay.k, w, lay.k * sizeof(Word));
    for (int t = 0; t < lay.taps; ++t)
      popw[static_cast<size_t>(t) * g.oc + o] = popcount_words(w + t * lay.icw, lay.icw);
  }
}

// Everything step 4 needs for one pixel.
struct PixelOut {
  const int32_t* dmsb;       // [oc]
  const uint16_t* masks;     // [nv16]: bit c of masks[v] <=> channel 16 v + c open
  const int32_t* dlsb;       // dense path: [oc] D_lsb; else nullptr
  const int32_t* pcs;        // sparse path: popcounts of the open channels in channel order; else nullptr
  int32_t base;              // sparse path: D_lsb = base - 2 * pcs when base_vec is null
  const int32_t* base_vec;   // sparse path, kZero edge pixels: per-channel base [oc]
  void* dst;                 // the pixel's output
  bool skip_closed = false;  // the MSB kernel already wrote the output as if every gate were closed
};

// A pixel's LSB window as runs of its input rows (the direct sparse pass): window words [pos[i], pos[i] +
// len) are the len words at ptr[i]; every other window word (a padded tap) is zero.
struct WindowRows {
  const Word* ptr[64];  // kh <= 64 (validate_graph)
  int pos[64];
  int rows;  // kernel rows inside the image
  int len;   // words of each: valid taps x words_for(ic)
};

// ---- scalar pieces (portable and avx2 variants)
// ---------------------------------------------------------------

inline int gates_scalar(const int32_t* dm, int npix, int oc, const int32_t* thr, uint16_t* masks) {
  const int nv = (oc + 15) / 16;
  int open = 0;
  for (int p = 0; p < npix; ++p) {
    for (int v = 0; v < nv; ++v) {
      unsigned m = 0;
      for (int c = 16 * v; c < std::min(oc, 16 * v + 16); ++c) {
        if (dm[static_cast<size_t>(p) * oc + c] > thr[c]) m |= 1u << (c - 16 * v);
      }
      masks[p * nv + v] = static_cast<uint16_t>(m);
      open += std::popcount(m);
    }
  }
  return open;
}

inline int compact_scalar(const uint16_t* masks, int oc, int32_t* list) {
  int n = 0;
  for (int v = 0; v < (oc + 15) / 16; ++v) {
    for (unsigned m = masks[v]; m != 0; m &= m - 1) list[n++] = 16 * v + std::countr_zero(m);
  }
  for (int i = n; i < n + 8; ++i) list[i] = n > 0 ? list[0] : 0;  // the padding contract of Traits::compact
  return n;
}

inline void dots_scalar(const Word* win, int k, const Word* wl, const int32_t* list, int n, int32_t* pcs) {
  for (int q = 0; q < n; ++q) {
    const Word* w = wl + static_cast<size_t>(list[q]) * k;
    int s = 0;
    for (int i = 0; i < k; ++i) s += std::popcount(win[i] ^ w[i]);
    pcs[q] = s;
  }
}

inline void finish_scalar(const OutputStage& out, int oc, const PixelOut& px) {
  int32_t acc[kWordBits];
  int rank = 0;
  for (int c0 = 0; c0 < oc; c0 += kWordBits) {
    const int n = std::min(kWordBits, oc - c0);
    for (int c = 0; c < n; ++c) {
      const int o = c0 + c;
      int32_t d = 2 * px.dmsb[o];
      if ((px.masks[o / 16] >> (o % 16)) & 1) {
        if (px.dlsb != nullptr) {
          d += px.dlsb[o];
        } else {
          d += (px.base_vec != nullptr ? px.base_vec[o] : px.base) - 2 * px.pcs[rank++];
        }
      }
      acc[c] = d;
    }
    write_output_range(out, acc, c0, n, px.dst);
  }
}

// Cost model of the LSB passes, in units where one binary conv plane costs 300 per pixel (~core cycles of
// the avx512 variant), fitted to the sparse pass's time over the density sweep of the 3x3 28x28x128 layer
// (bench/fracconv_bench.cc, 1-100 %, least squares on relative error over three sweeps; within ~5 %), scaled
// by the window length k and the channel count oc (close enough for the other variants): the sparse pass
// pays ~255 per pixel with an open gate (its loop, window, zero-pad base, scan of its output vectors:
// proportional to oc), ~26 per 16-channel vector with an open gate (compaction, the output vector redone) and
// ~4.8 per open pair (the XOR-popcount dot product and its share of the reduction: proportional to k). The
// direct sparse pass (Traits::kDirect, avx512: no compaction, each pair reduced and written on its own),
// fitted the same way (1-41 %, two sweeps, within ~5 %): ~178 per pixel with an open gate, ~8.6 per
// 16-channel vector with an open gate, ~9.3 per open pair.
struct LsbWork {
  int pixels;   // of the segment
  int pending;  // pixels with an open gate
  int vectors;  // 16-channel vectors with an open gate, over the segment
  int open;     // open (pixel, channel) pairs
};
struct LsbCost {
  double sparse, dense_after_msb, two_plane_extra;
};
inline LsbCost lsb_cost(const LsbWork& w, int k, int oc, bool direct) {
  const double kk = k / 18.0, cc = oc / 128.0, plane = 300.0 * kk * cc * w.pixels;
  const double sparse = direct ? 178.0 * cc * w.pending + 8.6 * w.vectors + 9.3 * kk * w.open
                               : 255.0 * cc * w.pending + 26.0 * w.vectors + 4.8 * kk * w.open;
  return {sparse,
          plane + 70.0 * cc * w.pending,  // the LSB plane's conv, then the epilogue of the pending pixels
          0.87 * plane};  // both planes in one tile vs the gated MSB pass: measured 1.93x vs 1.06x
}
// After the gated MSB pass: the dense pass (LSB conv + epilogue) rather than the sparse one?
inline bool use_dense(LsbPass pass, const LsbWork& w, int k, int oc, bool direct) {
  if (pass != LsbPass::kAuto) return pass == LsbPass::kDense;
  const LsbCost c = lsb_cost(w, k, oc, direct);
  return c.dense_after_msb < c.sparse;
}
// For the next segment: one two-plane pass rather than the gated MSB pass and a sparse LSB pass?
inline bool prefer_two_plane(const LsbWork& w, int k, int oc, bool direct) {
  const LsbCost c = lsb_cost(w, k, oc, direct);
  return c.two_plane_extra < std::min(c.sparse, c.dense_after_msb);
}

// ---- the driver
// base[o] of a kZero edge pixel: valid * ic + 2 * popcount(w[o][tap]) summed over its padded taps.
inline void zero_pad_base(int32_t* __restrict base, int oc, int32_t valid_bits,
                          const int32_t* __restrict popw, const ConvGeometry& g, TapRange rows,
                          TapRange cols) {
  std::fill(base, base + oc, valid_bits);
  for (int i = 0; i < g.kh; ++i) {
    for (int j = 0; j < g.kw; ++j) {
      if (i >= rows.begin && i < rows.end && j >= cols.begin && j < cols.end) continue;
      const int32_t* __restrict pw = popw + static_cast<size_t>(i * g.kw + j) * oc;
      for (int o = 0; o < oc; ++o) base[o] += 2 * pw[o];
    }
  }
}

inline void copy_words(Word* dst, const Word* src, int n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(Word));
}

// --------------------------------------------------------------------------------------------------
//
// Traits must provide (static members):
//   kFusedGates  bool: true if msb_gated() exists and is used for the MSB pass
//   kTwoPlane    bool: true if two_plane() exists: the dense pass as one two-plane conv straight to the
//   output two_plane    (const BConv2dArgs& msb, const Word* src_lsb, int b, int oy, int x0, int x1,
//                 const GateEpilogue&, int64_t* open)
//   msb_gated    (const BConv2dArgs&, int b, int oy, int x0, int x1, void* block, const GateEpilogue&)
//   msb_gated_rows (const BConv2dArgs&, int row_begin, int row_end, void* block, const GateEpilogue&): the
//                same over whole rows, pixel after pixel in block, masks and output
//   count_open   (const uint16_t* masks, int count) -> open gates among count masks (kFusedGates only)
//   msb          (const BConv2dArgs&, int b, int oy, int x0, int x1, void* block): bconv2d run_segment
//   gates        (const int32_t* dm, int npix, int oc, const int32_t* thr, uint16_t* masks) -> open count
//   compact      (const uint16_t* masks, int oc, int32_t* list) -> count; list has room for oc + 16 and is
//                padded with 8 valid channels past the count (not kDirect)
//   copy         (Word* dst, const Word* src, int n): n words, may store up to 7 more words after them
//   zero_pad_base  as fracconv_detail::zero_pad_base
//   dots         (const Word* win, int k, const Word* wl, const int32_t* list, int n, int32_t* sums): window
//                words past k may hold anything (not kDirect)
//   finish       (const OutputStage&, int oc, const PixelOut&)
//   kDirect      bool: true if direct() exists and replaces compact/dots/finish in the sparse pass
//   direct       (const OutputStage&, int oc, const PixelOut&, const WindowRows&, int k, const Word* wl): the
//                open pairs of one pixel, each dot product reduced on its own and its output rewritten in
//                place (needs kFusedGates: the MSB pass wrote every output as if closed)
template <class Traits>
void run_gated(const FracConv2dArgs& a, int row_begin, int row_end, size_t msb_words) {
  const bool pointwise = bconv2d_detail::is_pointwise(a.g);
  // Pointwise: one row of n * oh * ow pixels (bconv2d's as_pixel_run), so segments span row ends.
  ConvGeometry g = a.g;
  if (pointwise) {
    g.n = 1;
    g.ih = 1;
    g.iw = a.g.n * a.g.ih * a.g.iw;
  }
  const GatedLayout lay(g, msb_words);
  const int oc = g.oc, nv = (oc + 15) / 16, ow = g.ow(), oh = g.oh();
  const int px_bytes = output_pixel_bytes(a.out.kind, oc);
  const Word* wl = a.weights + lay.lsb_offset;
  const auto* popw = reinterpret_cast<const int32_t*>(a.weights + lay.popw_offset);

  BConv2dArgs msb;
  msb.g = g;
  msb.padding = a.padding;
  msb.src = a.src_msb;
  msb.weights = a.weights;
  msb.out.kind = OutputKind::kInt32;
  BConv2dArgs lsb = msb;
  lsb.src = a.src_lsb;

  alignas(64) int32_t dm[kMsbInts];
  alignas(64) int32_t dl[kScratchInts];
  alignas(64) Word wins[kMaxWindowWords];
  alignas(64) int32_t lists[kChunkInts];
  alignas(64) int32_t sums[kChunkInts];
  alignas(64) int32_t bases[kChunkInts];
  uint16_t masks[kMaxMasks];
  const int ls = oc + 16;          // list, sums and bases stride of a chunk pixel
  const int wstride = lay.kz + 8;  // Traits::copy may store up to 7 words past a run
  const int chunk = std::clamp(std::min(kMaxWindowWords / wstride, kChunkInts / ls), 1, kMaxChunk);
  int pending[kMaxSegment];
  int counts[kMaxChunk];
  PixelOut pxs[kMaxChunk];
  const int seg = std::clamp(kScratchInts / oc, 1, kMaxSegment);
  const int full_base = lay.taps * g.ic;
  const ptrdiff_t src_row = static_cast<ptrdiff_t>(g.iw) * lay.icw;
  int64_t open_total = 0;
  bool prefer_dense = false;  // the last segment's choice (two-plane traits: decides the next segment's path)

  // Steps 3-4 for pixels [x0, x1) of row (b, oy), after the MSB pass: their D_msb at dmr, masks at mkr,
  // outputs at dst, `open` gates open among them.
  // (Inlined like segment below, for the same reason.)
  auto lsb_row = [&](int b, int oy, int x0, int x1, const int32_t* dmr, const uint16_t* mkr, char* dst,
                     int open) __attribute__((always_inline)) {
    const int n = x1 - x0;
    const TapRange rows = valid_taps(oy, g.sh, g.ph, g.kh, g.ih);
    const Word* src_image = a.src_lsb + static_cast<ptrdiff_t>(b) * g.ih * src_row;
    int npending = 0, vectors = 0;
    for (int p = 0; p < n; ++p) {
      int nz = 0;
      for (int v = 0; v < nv; ++v) nz += mkr[p * nv + v] != 0;
      vectors += nz;
      if constexpr (Traits::kFusedGates) {
        if (nz == 0) continue;  // written by the MSB kernel
      }
      pending[npending++] = p;
    }
    const LsbWork work{n, npending, vectors, open};
    prefer_dense = prefer_two_plane(work, lay.k, oc, Traits::kDirect);
    if (npending == 0) return;
    const bool dense = use_dense(a.lsb_pass, work, lay.k, oc, Traits::kDirect);
    if (dense) Traits::msb(lsb, b, oy, x0, x1, dl);
    // Field by field into px: building a PixelOut and copying it whole reloaded the fresh field stores as
    // wider vector loads, which cannot be store-forwarded (a stall per pixel; ~10 % of the sparse pass).
    auto set_pixel_out = [&](PixelOut& px, int p) {
      px.dmsb = dmr + static_cast<size_t>(p) * oc;
      px.masks = mkr + p * nv;
      px.dlsb = nullptr;
      px.pcs = nullptr;
      px.base = 0;
      px.base_vec = nullptr;
      px.dst = dst + static_cast<ptrdiff_t>(p) * px_bytes;
      px.skip_closed = Traits::kFusedGates;
    };
    // An edge pixel under Padding::kZero: a padded tap must add 0, while its zero window words make it add
    // ic - 2 * popcount(w), so the pixel gets its own per-channel base (in `base`).
    auto zero_pad_edge = [&](PixelOut& px, int32_t* base, TapRange cols) {
      if (a.padding != Padding::kZero) return;
      px.base_vec = base;
      Traits::zero_pad_base(base, oc, rows.size() * cols.size() * g.ic, popw, g, rows, cols);
    };
    if (dense) {
      for (int i = 0; i < npending; ++i) {
        PixelOut px;
        set_pixel_out(px, pending[i]);
        px.dlsb = dl + static_cast<size_t>(pending[i]) * oc;
        Traits::finish(a.out, oc, px);
      }
      return;
    }
    if constexpr (Traits::kDirect) {
      // Pixel by pixel: the window described by its rows in the input (Traits::direct loads it straight into
      // registers), the zero-pad base of an edge pixel, then each open pair's dot product to its output.
      WindowRows wr;
      for (int i = 0; i < npending; ++i) {
        const int p = pending[i];
        PixelOut px;
        set_pixel_out(px, p);
        px.base = full_base;
        const int ox = x0 + p;
        const TapRange cols = valid_taps(ox, g.sw, g.pw, g.kw, g.iw);
        wr.rows = 0;
        wr.len = cols.size() * lay.icw;
        for (int r = rows.begin; r < rows.end && wr.len > 0; ++r) {
          const int iy = oy * g.sh - g.ph + r, ix = ox * g.sw - g.pw + cols.begin;
          wr.ptr[wr.rows] = src_image + iy * src_row + ix * lay.icw;
          wr.pos[wr.rows++] = (r * g.kw + cols.begin) * lay.icw;
        }
        if (rows.size() != g.kh || cols.size() != g.kw) zero_pad_edge(px, bases, cols);
        Traits::direct(a.out, oc, px, wr, lay.k, wl);
      }
    } else {
      for (int c0 = 0; c0 < npending; c0 += chunk) {
        const int cn = std::min(chunk, npending - c0);
        // Phase 1: open-channel lists and LSB windows (taps in the weights' order, zeros at padded taps).
        for (int i = 0; i < cn; ++i) {
          const int p = pending[c0 + i];
          PixelOut& px = pxs[i];
          set_pixel_out(px, p);
          px.pcs = sums + i * ls;
          px.base = full_base;
          counts[i] = Traits::compact(px.masks, oc, lists + i * ls);
          if (counts[i] == 0) continue;
          Word* win = wins + i * wstride;
          const int ox = x0 + p;
          const TapRange cols = valid_taps(ox, g.sw, g.pw, g.kw, g.iw);
          const bool edge = rows.size() != g.kh || cols.size() != g.kw;
          // Words past k are masked off by dots(); padded taps must read as zeros.
          if (edge) std::fill(win, win + lay.k, Word{0});
          const int run = cols.size() * lay.icw;
          for (int r = rows.begin; r < rows.end && run > 0; ++r) {
            const int iy = oy * g.sh - g.ph + r, ix = ox * g.sw - g.pw + cols.begin;
            Traits::copy(win + (r * g.kw + cols.begin) * lay.icw, src_image + iy * src_row + ix * lay.icw,
                         run);
          }
          if (edge) zero_pad_edge(px, bases + i * ls, cols);
        }
        // Phase 2: the dot products of the open channels.
        for (int i = 0; i < cn; ++i) {
          if (counts[i] > 0)
            Traits::dots(wins + i * wstride, lay.k, wl, lists + i * ls, counts[i], sums + i * ls);
        }
        // Phase 3: 2 * D_msb + D_lsb through the output stage.
        for (int i = 0; i < cn; ++i) Traits::finish(a.out, oc, pxs[i]);
      }
    }
  };

  // Output pixels [x0, x1) of rows [oy, oy + nrows) of image b (nrows > 1: whole rows, fused gates only).
  // Inlined into run_gated on purpose: its frame is large (the scratch buffers above), so the sanitizer build
  // keeps it on the real stack. Out of line, this lambda got a small frame of its own, GCC gave its locals
  // 64-byte alignment for aligned AVX-512 stores, and ASan's fake stack (detect_stack_use_after_return) does
  // not honour that: a VMOVDQA64 to a misaligned slot crashed the ASan build.
  auto segment = [&](int b, int oy, int nrows, int x0, int x1) __attribute__((always_inline)) {
    const int n = x1 - x0;
    char* dst = static_cast<char*>(a.dst) + ((static_cast<ptrdiff_t>(b) * oh + oy) * ow + x0) * px_bytes;
    const ptrdiff_t row_bytes = static_cast<ptrdiff_t>(n) * px_bytes;
    if constexpr (Traits::kTwoPlane) {
      // Both planes in one conv tile, straight to the output, when this segment is expected dense: forced,
      // or (auto) the previous segment of this call chose the dense pass (densities vary slowly along a row).
      if (a.lsb_pass == LsbPass::kDense || (a.lsb_pass == LsbPass::kAuto && prefer_dense)) {
        for (int r = 0; r < nrows; ++r) {
          bconv2d_detail::GateEpilogue ge;
          ge.threshold = a.gate_threshold;
          ge.out = a.out;
          ge.dst = dst + r * row_bytes;
          ge.dst_px = px_bytes;
          int64_t opened = 0;
          Traits::two_plane(msb, a.src_lsb, b, oy + r, x0, x1, ge, &opened);
          open_total += opened;
          // Pixels with an open gate are not counted here: estimate them as if the gates were independent.
          const double d = static_cast<double>(opened) / (static_cast<double>(n) * oc);
          const LsbWork est{n, static_cast<int>(n * (1.0 - ipow(1.0 - d, oc))),
                            static_cast<int>(n * nv * (1.0 - ipow(1.0 - d, std::min(oc, 16)))),
                            static_cast<int>(opened)};
          prefer_dense = prefer_two_plane(est, lay.k, oc, Traits::kDirect);
        }
        return;
      }
    }
    if constexpr (Traits::kFusedGates) {
      // The MSB kernel also compares the gates and finishes the pixels whose gates are all closed.
      bconv2d_detail::GateEpilogue ge;
      ge.threshold = a.gate_threshold;
      ge.out = a.out;
      ge.dst = dst;
      ge.dst_px = px_bytes;
      ge.masks = masks;
      if (nrows == 1) {
        Traits::msb_gated(msb, b, oy, x0, x1, dm, ge);
      } else {
        Traits::msb_gated_rows(msb, b * oh + oy, b * oh + oy + nrows, dm, ge);
      }
      const int open = Traits::count_open(masks, nrows * n * nv);
      open_total += open;
      if (open == 0) {  // the MSB kernel wrote every output
        prefer_dense = false;
        return;
      }
      for (int r = 0; r < nrows; ++r) {
        const uint16_t* mr = masks + static_cast<ptrdiff_t>(r) * n * nv;
        lsb_row(b, oy + r, x0, x1, dm + static_cast<ptrdiff_t>(r) * n * oc, mr, dst + r * row_bytes,
                nrows == 1 ? open : Traits::count_open(mr, n * nv));
      }
    } else {
      Traits::msb(msb, b, oy, x0, x1, dm);
      const int open = Traits::gates(dm, n, oc, a.gate_threshold, masks);
      open_total += open;
      lsb_row(b, oy, x0, x1, dm, masks, dst, open);
    }
  };

  if (pointwise) {
    const int p1 = row_end * a.g.ow();
    for (int x0 = row_begin * a.g.ow(); x0 < p1; x0 += seg) segment(0, 0, 1, x0, std::min(x0 + seg, p1));
  } else if (Traits::kFusedGates && ow <= seg) {
    // Several whole rows (of one image) per MSB pass: one set-up of the conv's channel groups per segment.
    const int per = std::max(1, std::min(kMsbInts / oc, kMaxRowPixels) / ow);
    // The call's first segment is one row: it decides (prefer_dense) how the next ones start, and at high
    // densities a several-row gated pass would cost more than the two-plane pass.
    for (int row = row_begin; row < row_end;) {
      const int b = row / oh, oy = row % oh;
      const int nrows = row == row_begin ? 1 : std::min({per, row_end - row, oh - oy});
      segment(b, oy, nrows, 0, ow);
      row += nrows;
    }
  } else {
    for (int row = row_begin; row < row_end; ++row) {
      for (int x0 = 0; x0 < ow; x0 += seg) segment(row / oh, row % oh, 1, x0, std::min(x0 + seg, ow));
    }
  }
  if (a.open_count != nullptr) *a.open_count += open_total;
}

// Traits with the scalar per-pixel steps above, for a variant whose MSB pass is the bconv2d variant `Segment`
// (its run_segment).
template <void (*Segment)(const BConv2dArgs&, int, int, int, int, int, int, void*)>
struct ScalarTraits {
  static constexpr bool kFusedGates = false;
  static constexpr bool kTwoPlane = false;
  static constexpr bool kDirect = false;
  static void direct(const OutputStage&, int, const PixelOut&, const WindowRows&, int, const Word*) {}
  static void two_plane(const BConv2dArgs&, const Word*, int, int, int, int,
                        const bconv2d_detail::GateEpilogue&, int64_t*) {}
  static void msb_gated(const BConv2dArgs&, int, int, int, int, void*, const bconv2d_detail::GateEpilogue&) {}
  static void msb_gated_rows(const BConv2dArgs&, int, int, void*, const bconv2d_detail::GateEpilogue&) {}
  static int count_open(const uint16_t*, int) { return 0; }
  static void msb(const BConv2dArgs& a, int b, int oy, int x0, int x1, void* block) {
    Segment(a, b, oy, x0, x1, 0, a.g.oc, block);
  }
  static void copy(Word* dst, const Word* src, int n) { copy_words(dst, src, n); }
  static void zero_pad_base(int32_t* base, int oc, int32_t valid_bits, const int32_t* popw,
                            const ConvGeometry& g, TapRange rows, TapRange cols) {
    fracconv_detail::zero_pad_base(base, oc, valid_bits, popw, g, rows, cols);
  }
  static int gates(const int32_t* dm, int n, int oc, const int32_t* thr, uint16_t* masks) {
    return gates_scalar(dm, n, oc, thr, masks);
  }
  static int compact(const uint16_t* masks, int oc, int32_t* list) { return compact_scalar(masks, oc, list); }
  static void dots(const Word* win, int k, const Word* wl, const int32_t* list, int n, int32_t* sums) {
    dots_scalar(win, k, wl, list, n, sums);
  }
  static void finish(const OutputStage& out, int oc, const PixelOut& px) { finish_scalar(out, oc, px); }
};

// The three entry points of a gated variant (variants.h): the bconv2d variant's packed layout (Words, Pack)
// for the MSB pass, and the traits T for the rest.
template <size_t (*Words)(const ConvGeometry&), void (*Pack)(const ConvGeometry&, const Word*, Word*),
          class T>
struct GatedVariant {
  static size_t packed_weight_words(const ConvGeometry& g) { return GatedLayout(g, Words(g)).total_words; }
  static void pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
    gated_pack(g, ref, packed, Words(g), Pack);
  }
  static void run(const FracConv2dArgs& a, int row_begin, int row_end) {
    run_gated<T>(a, row_begin, row_end, Words(a.g));
  }
};

}  // namespace bnnkit::kernels::fracconv_detail
