// bconv2d for AVX2 (x86-64-v3, no VPOPCNT): direct convolution, 4 output pixels x 2 vectors of 4 output
// channels per register tile.
//
// Same walk as avx512_6x4.cc (see direct_conv.h), but with 64-bit lanes: each ymm lane is one output channel
// and holds that channel's weight word, a broadcast 64-bit activation word is XORed against 4 channels at
// once, and the popcount is the nibble lookup of Mula, Kurz and Lemire ("Faster population counts using AVX2
// instructions", 2018): VPSHUFB on the low and the high nibbles of each byte. The byte counts (<= 8 per step)
// accumulate in byte lanes for up to 31 steps (31 * 8 = 248 < 256) and are then widened with VPSADBW, which
// sums the 8 bytes of each 64-bit lane, i.e. exactly one output channel. (OpenVINO's bin_conv.cpp uses the
// same VPSHUFB lookup on AVX2, with 32-bit lanes and VPDPBUSD/VPMADDUBSW widening.)
//
// Narrow layers (ic <= 32) use 32-bit lanes instead: a pixel's low dword (the high one is padding) is
// broadcast against one ymm of 8 channels' weight dwords, and the byte counts are widened per dword with
// VPMADDUBSW + VPMADDWD (OpenVINO's AVX2 widening): half the vector work of the 64-bit lanes, which counted
// 32 padding bits of every word.
//
// Packed weights: output channels in chunks of 8 (two ymm); chunk c holds [tap][word][8] uint64 (narrow:
// [tap][8] uint32) with lanes past oc zero. After all chunks: popcount(w[o][tap]) as int32 [chunk][tap][8]
// for the Padding::kOne correction. Register budget (16 ymm): 8 byte accumulators + 2 weights + broadcast +
// LUT + nibble mask + 2 temporaries.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/bconv2d/direct_conv.h"
#include "kernels/bconv2d/variant_impls.h"

namespace bnnkit::kernels::bconv2d_detail {
namespace {

constexpr int kLanes = 4;             // output channels per ymm (64-bit lanes)
constexpr int kNr = 2;                // ymm per chunk
constexpr int kChunk = kLanes * kNr;  // 8 output channels per chunk
constexpr int kMr = 4;                // output pixels per tile
constexpr int kMaxByteSteps = 31;     // byte counters overflow after 32 steps of up to 8

struct Layout {
  int taps, icw, nchunk;
  bool narrow;  // ic <= 32: 32-bit lanes, one step per tap
  explicit Layout(const ConvGeometry& g)
      : taps(g.kh * g.kw), icw(words_for(g.ic)), nchunk((g.oc + kChunk - 1) / kChunk), narrow(g.ic <= 32) {}
  // 64-bit words of one tap of one chunk.
  int tap_words() const { return narrow ? kChunk / 2 : icw * kChunk; }
  size_t chunk_words() const { return static_cast<size_t>(taps) * tap_words(); }
  size_t weight_words() const { return chunk_words() * nchunk; }
  size_t total_words() const {
    return weight_words() + (static_cast<size_t>(nchunk) * taps * kChunk + 1) / 2;
  }
};

inline uint64_t load_u64(const void* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Output-stage state of one (output row, 64-channel block), padded to the whole block.
struct BlockStage {
  alignas(32) int32_t base[kWordBits];
  alignas(32) int32_t half[kWordBits];  // kBits: bit = (acc > half) ^ flip (derivation in avx512_6x4.cc)
  alignas(32) int32_t thr[kWordBits];
  alignas(32) int32_t lanes[kWordBits];  // -1 for channels of this call's range, else 0 (maskstore mask)
  alignas(32) float scale[kWordBits];
  alignas(32) float bias[kWordBits];
  uint8_t flip_bits[kWordBits / kChunk];  // per chunk, bit l = flip of channel 8 * chunk + l
  uint8_t lane_bits[kWordBits / kChunk];
  OutputKind kind;
};

struct TileArgs {
  const char* src;
  ptrdiff_t src_px, src_row;
  int rows, steps;    // steps: 64-bit words per kernel row (narrow: taps per kernel row)
  const uint64_t* w;  // chunk weights at (i0, j0)
  ptrdiff_t w_row;    // words between kernel rows
  char* dst;          // first pixel's output at the block's first channel (or word)
  ptrdiff_t dst_px;
};

// acc lanes (64-bit, one channel each) of two vectors -> 8 int32 in channel order.
[[gnu::always_inline]] inline __m256i narrow(__m256i lo, __m256i hi) {
  const __m256 s =
      _mm256_shuffle_ps(_mm256_castsi256_ps(lo), _mm256_castsi256_ps(hi), _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_permute4x64_epi64(_mm256_castps_si256(s), _MM_SHUFFLE(3, 1, 2, 0));
}

// popcount of each byte of v (nibble lookup).
[[gnu::always_inline]] inline __m256i byte_counts(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3,
                                       1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nib = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, nib));
  const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
  return _mm256_add_epi8(lo, hi);
}

// Narrow layers: the popcount sums of the chunk's 8 channels for MR pixels, one dword lane per channel.
template <int MR>
[[gnu::always_inline]] inline void accumulate_narrow(const TileArgs& t, __m256i (&acc)[MR]) {
  __m256i bytes[MR];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) bytes[m] = acc[m] = _mm256_setzero_si256();
  auto flush = [&] {
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      acc[m] = _mm256_add_epi32(acc[m], _mm256_madd_epi16(_mm256_maddubs_epi16(bytes[m], ones8), ones16));
      bytes[m] = _mm256_setzero_si256();
    }
  };
  int pending = 0;
  for (int r = 0; r < t.rows; ++r) {
    const char* a = t.src + r * t.src_row;
    const uint64_t* w = t.w + r * t.w_row;
    for (int s = 0; s < t.steps; ++s) {
      const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + s * (kChunk / 2)));
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m) {
        const __m256i x = _mm256_set1_epi32(static_cast<int>(load_u32(a + m * t.src_px + 8 * s)));
        bytes[m] = _mm256_add_epi8(bytes[m], byte_counts(_mm256_xor_si256(x, wv)));
      }
      if (++pending == kMaxByteSteps) {
        flush();
        pending = 0;
      }
    }
  }
  flush();
}

// Wide layers: the popcount sums of the chunk's 8 channels for MR pixels (64-bit lanes, narrowed to dwords).
template <int MR>
[[gnu::always_inline]] inline void accumulate_wide(const TileArgs& t, __m256i (&sums)[MR]) {
  __m256i bytes[MR][kNr], total[MR][kNr];
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 8
    for (int n = 0; n < kNr; ++n) {
      bytes[m][n] = _mm256_setzero_si256();
      total[m][n] = _mm256_setzero_si256();
    }
  }
  auto flush = [&] {
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 8
      for (int n = 0; n < kNr; ++n) {
        total[m][n] = _mm256_add_epi64(total[m][n], _mm256_sad_epu8(bytes[m][n], _mm256_setzero_si256()));
        bytes[m][n] = _mm256_setzero_si256();
      }
    }
  };
  int pending = 0;
  for (int r = 0; r < t.rows; ++r) {
    const char* a = t.src + r * t.src_row;
    const uint64_t* w = t.w + r * t.w_row;
    for (int s = 0; s < t.steps; ++s) {
      __m256i wv[kNr];
#pragma GCC unroll 8
      for (int n = 0; n < kNr; ++n)
        wv[n] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + (s * kNr + n) * kLanes));
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m) {
        const __m256i x = _mm256_set1_epi64x(static_cast<long long>(load_u64(a + m * t.src_px + 8 * s)));
#pragma GCC unroll 8
        for (int n = 0; n < kNr; ++n) {
          bytes[m][n] = _mm256_add_epi8(bytes[m][n], byte_counts(_mm256_xor_si256(x, wv[n])));
        }
      }
      if (++pending == kMaxByteSteps) {
        flush();
        pending = 0;
      }
    }
  }
  flush();

#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) sums[m] = narrow(total[m][0], total[m][1]);
}

// The output stage of MR pixels' sums (8 channels each) of chunk `ch`.
template <int MR>
[[gnu::always_inline]] inline void epilogue(const TileArgs& t, const BlockStage& st, int ch, uint64_t* words,
                                            const __m256i (&sums)[MR]) {
  const int c = ch * kChunk;
  const __m256i base = _mm256_load_si256(reinterpret_cast<const __m256i*>(st.base + c));
  for (int m = 0; m < MR; ++m) {
    const __m256i acc = sums[m];
    char* d = t.dst + m * t.dst_px;
    switch (st.kind) {
      case OutputKind::kFloat: {
        const __m256i v = _mm256_sub_epi32(base, _mm256_slli_epi32(acc, 1));
        // A multiply, then an add (output_stage.h): no FMA, so this rounds exactly like the reference.
        const __m256 prod = _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_load_ps(st.scale + c));
        const __m256 y = _mm256_add_ps(prod, _mm256_load_ps(st.bias + c));
        if (st.lane_bits[ch] == 0xff) {
          _mm256_storeu_ps(reinterpret_cast<float*>(d) + c, y);
        } else {
          _mm256_maskstore_ps(reinterpret_cast<float*>(d) + c,
                              _mm256_load_si256(reinterpret_cast<const __m256i*>(st.lanes + c)), y);
        }
        break;
      }
      case OutputKind::kInt32: {
        const __m256i v = _mm256_sub_epi32(base, _mm256_slli_epi32(acc, 1));
        if (st.lane_bits[ch] == 0xff) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(reinterpret_cast<int32_t*>(d) + c), v);
        } else {
          _mm256_maskstore_epi32(reinterpret_cast<int*>(d) + c,
                                 _mm256_load_si256(reinterpret_cast<const __m256i*>(st.lanes + c)), v);
        }
        break;
      }
      case OutputKind::kBits: {
        const __m256i gt =
            _mm256_cmpgt_epi32(acc, _mm256_load_si256(reinterpret_cast<const __m256i*>(st.half + c)));
        const unsigned bits = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(gt)));
        words[m] |= static_cast<uint64_t>((bits ^ st.flip_bits[ch]) & st.lane_bits[ch]) << c;
        break;
      }
    }
  }
}

// Computes chunk `ch` of the block for MR pixels and writes it through the stage. For kBits the 8 bits of
// the chunk are ORed into words[m].
template <int MR, bool kNarrow>
[[gnu::always_inline]] inline void tile(const TileArgs& t, const BlockStage& st, int ch, uint64_t* words) {
  __m256i sums[MR];  // the popcount sums, 8 channels in order
  if constexpr (kNarrow) {
    accumulate_narrow<MR>(t, sums);
  } else {
    accumulate_wide<MR>(t, sums);
  }
  epilogue<MR>(t, st, ch, words, sums);
}
// base[] and half[] of the block's channels [0, nch) for kernel rows [i0, i1) x columns [j0, j1); see
// set_base() in avx512_6x4.cc for the derivation.
void set_base(BlockStage& st, const ConvGeometry& g, Padding padding, const int32_t* popw, int nch, int i0,
              int i1, int j0, int j1) {
  const int taps = g.kh * g.kw;
  const int valid = (i1 - i0) * (j1 - j0);
  for (int ch = 0; ch * kChunk < nch; ++ch) {
    __m256i base;
    if (padding == Padding::kZero || valid == taps) {
      base = _mm256_set1_epi32(padding == Padding::kZero ? valid * g.ic : taps * g.ic);
    } else {
      __m256i skipped = _mm256_setzero_si256();
      for (int i = 0; i < g.kh; ++i) {
        for (int j = 0; j < g.kw; ++j) {
          if (i >= i0 && i < i1 && j >= j0 && j < j1) continue;
          skipped = _mm256_add_epi32(skipped,
                                     _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                                         popw + (static_cast<size_t>(ch) * taps + i * g.kw + j) * kChunk)));
        }
      }
      base = _mm256_sub_epi32(_mm256_set1_epi32(taps * g.ic), _mm256_slli_epi32(skipped, 1));
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(st.base + ch * kChunk), base);
    if (st.kind == OutputKind::kBits) {
      const __m256i diff =
          _mm256_sub_epi32(base, _mm256_load_si256(reinterpret_cast<const __m256i*>(st.thr + ch * kChunk)));
      _mm256_store_si256(reinterpret_cast<__m256i*>(st.half + ch * kChunk), _mm256_srai_epi32(diff, 1));
    }
  }
}

// Per-channel output parameters of block channels [0, nch), restricted to [oc_begin, oc_end). Scalar: once
// per (row, block), against hundreds of vector operations per pixel.
void set_block(BlockStage& st, const OutputStage& out, int c0, int nch, int oc_begin, int oc_end) {
  st.kind = out.kind;
  for (int i = 0; i < kWordBits / kChunk; ++i) st.flip_bits[i] = st.lane_bits[i] = 0;
  for (int i = 0; i < kWordBits; ++i) {
    const int c = c0 + i;
    const bool in = i < nch && c >= oc_begin && c < oc_end;
    st.lanes[i] = in ? -1 : 0;
    st.scale[i] = st.bias[i] = 0.0f;
    st.thr[i] = 0;
    if (!in) continue;
    st.lane_bits[i / kChunk] |= static_cast<uint8_t>(1u << (i % kChunk));
    if (out.kind == OutputKind::kFloat) {
      st.scale[i] = out.scale[c];
      st.bias[i] = out.bias[c];
    } else if (out.kind == OutputKind::kBits) {
      constexpr int32_t kLim = 1 << 29;
      st.thr[i] = std::clamp(out.threshold[c], -kLim, kLim);
      if (out.flip[c] != 0) st.flip_bits[i / kChunk] |= static_cast<uint8_t>(1u << (i % kChunk));
    }
  }
}

// MR pixels x all chunks of one 64-channel block.
template <int MR, bool kNarrow>
void run_pixels(const TileArgs& t0, const BlockStage& st, int nch, size_t chunk_words, bool bits) {
  uint64_t words[MR] = {};
  for (int ch = 0; ch * kChunk < nch; ++ch) {
    TileArgs t = t0;
    t.w = t0.w + ch * chunk_words;
    tile<MR, kNarrow>(t, st, ch, words);
  }
  if (bits) {
    for (int m = 0; m < MR; ++m) std::memcpy(t0.dst + m * t0.dst_px, &words[m], sizeof(uint64_t));
  }
}

template <bool kNarrow>
void run_pixels_mr(int mr, const TileArgs& t, const BlockStage& st, int nch, size_t chunk_words, bool bits) {
  switch (mr) {
    case 1:
      run_pixels<1, kNarrow>(t, st, nch, chunk_words, bits);
      break;
    case 2:
      run_pixels<2, kNarrow>(t, st, nch, chunk_words, bits);
      break;
    case 3:
      run_pixels<3, kNarrow>(t, st, nch, chunk_words, bits);
      break;
    default:
      run_pixels<kMr, kNarrow>(t, st, nch, chunk_words, bits);
      break;
  }
}

// mr (1 .. kMr) pixels of the narrow or the wide kind.
void run_pixels_n(bool narrow, int mr, const TileArgs& t, const BlockStage& st, int nch, size_t chunk_words,
                  bool bits) {
  if (narrow) {
    run_pixels_mr<true>(mr, t, st, nch, chunk_words, bits);
  } else {
    run_pixels_mr<false>(mr, t, st, nch, chunk_words, bits);
  }
}

}  // namespace

size_t avx2_4x2_packed_weight_words(const ConvGeometry& g) {
  return Layout(g).total_words();
}

void avx2_4x2_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  const Layout lay(g);
  std::memset(packed, 0, lay.total_words() * sizeof(Word));
  auto* popw = reinterpret_cast<int32_t*>(packed + lay.weight_words());
  for (int o = 0; o < g.oc; ++o) {
    Word* wc = packed + (o / kChunk) * lay.chunk_words();
    const int lane = o % kChunk;
    for (int tap = 0; tap < lay.taps; ++tap) {
      const Word* w = ref + (static_cast<size_t>(o) * lay.taps + tap) * lay.icw;
      int pc = 0;
      if (lay.narrow) {  // the low dword: the rest of the word is padding
        const auto dword = static_cast<uint32_t>(w[0]);
        std::memcpy(reinterpret_cast<char*>(wc + static_cast<size_t>(tap) * lay.tap_words()) + 4 * lane,
                    &dword, sizeof dword);
        pc = std::popcount(dword);
      }
      for (int k = 0; k < lay.icw && !lay.narrow; ++k) {
        wc[(static_cast<size_t>(tap) * lay.icw + k) * kChunk + lane] = w[k];
        pc += std::popcount(w[k]);
      }
      popw[(static_cast<size_t>(o / kChunk) * lay.taps + tap) * kChunk + lane] = pc;
    }
  }
}

void avx2_4x2_run_segment(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, int oc_begin,
                          int oc_end, void* block) {
  const ConvGeometry& g = a.g;
  const Layout lay(g);
  const auto* popw = reinterpret_cast<const int32_t*>(a.weights + lay.weight_words());
  const TapRange rows = valid_taps(oy, g.sh, g.ph, g.kh, g.ih);
  const int px_bytes = output_pixel_bytes(a.out.kind, g.oc);
  const ptrdiff_t src_pixel = static_cast<ptrdiff_t>(lay.icw) * sizeof(Word);
  const ptrdiff_t src_row = src_pixel * g.iw;
  const char* src_image = reinterpret_cast<const char*>(a.src) + static_cast<ptrdiff_t>(b) * g.ih * src_row;
  // Output of pixel ox_begin; pixel ox is (ox - ox_begin) pixels further.
  char* dst0 = block != nullptr
                   ? static_cast<char*>(block)
                   : static_cast<char*>(a.dst) +
                         ((static_cast<ptrdiff_t>(b) * g.oh() + oy) * g.ow() + ox_begin) * px_bytes;
  const ptrdiff_t w_tap = lay.tap_words();
  const ptrdiff_t w_row = static_cast<ptrdiff_t>(g.kw) * w_tap;
  const int tap_steps = lay.narrow ? 1 : lay.icw;  // steps per tap
  const int iy0 = oy * g.sh - g.ph + rows.begin;
  const bool bits = a.out.kind == OutputKind::kBits;
  const TapRange inner = interior_cols(g, ox_begin, ox_end);

  BlockStage st;
  for (int blk = oc_begin / kWordBits; blk * kWordBits < oc_end; ++blk) {
    const int c0 = blk * kWordBits;
    const int nch = std::min(kWordBits, g.oc - c0);
    set_block(st, a.out, c0, nch, oc_begin, oc_end);
    const uint64_t* wb = a.weights + static_cast<size_t>(c0 / kChunk) * lay.chunk_words();
    const int32_t* pb = popw + static_cast<size_t>(c0 / kChunk) * lay.taps * kChunk;

    TileArgs t;
    t.src_px = g.sw * src_pixel;
    t.src_row = src_row;
    t.rows = rows.size();
    t.w_row = w_row;
    t.dst_px = px_bytes;
    auto aim = [&](int ox, int j0, int j1) {
      t.steps = (j1 - j0) * tap_steps;
      const bool empty = t.rows <= 0 || t.steps <= 0;
      t.src = empty ? src_image
                    : src_image + iy0 * src_row + static_cast<ptrdiff_t>(ox * g.sw - g.pw + j0) * src_pixel;
      t.w = wb + rows.begin * w_row + j0 * w_tap;
      t.dst =
          dst0 + (ox - ox_begin) * px_bytes + (bits ? blk * static_cast<ptrdiff_t>(sizeof(Word)) : c0 * 4);
    };

    if (inner.size() > 0) {
      set_base(st, g, a.padding, pb, nch, rows.begin, rows.end, 0, g.kw);
      int ox = inner.begin;
      for (; ox + kMr <= inner.end; ox += kMr) {
        aim(ox, 0, g.kw);
        run_pixels_n(lay.narrow, kMr, t, st, nch, lay.chunk_words(), bits);
      }
      if (ox < inner.end) {
        aim(ox, 0, g.kw);
        run_pixels_n(lay.narrow, inner.end - ox, t, st, nch, lay.chunk_words(), bits);
      }
    }
    for (int ox = ox_begin; ox < ox_end; ++ox) {
      if (ox >= inner.begin && ox < inner.end) {
        ox = inner.end - 1;
        continue;
      }
      const TapRange cols = valid_taps(ox, g.sw, g.pw, g.kw, g.iw);
      set_base(st, g, a.padding, pb, nch, rows.begin, rows.end, cols.begin, cols.end);
      aim(ox, cols.begin, cols.end);
      run_pixels_n(lay.narrow, 1, t, st, nch, lay.chunk_words(), bits);
    }
  }
}

void avx2_4x2_run(const BConv2dArgs& a, int row_begin, int row_end) {
  if (is_pointwise(a.g)) {
    // Output pixel p reads input pixel p: the rows form one run of pixels, tiled across row ends.
    avx2_4x2_run_segment(as_pixel_run(a), 0, 0, row_begin * a.g.ow(), row_end * a.g.ow(), 0, a.g.oc);
    return;
  }
  const int oh = a.g.oh();
  for (int row = row_begin; row < row_end; ++row)
    avx2_4x2_run_segment(a, row / oh, row % oh, 0, a.g.ow(), 0, a.g.oc);
}

}  // namespace bnnkit::kernels::bconv2d_detail

#endif  // defined(__x86_64__)
