// bconv2d for AVX-512 F/BW/VL + VPOPCNTDQ: direct convolution, 6 output pixels x 4 vectors of 16 output
// channels per register tile.
//
// Layout idea from OpenVINO's BinaryConvolution JIT (openvinotoolkit/openvino,
// src/plugins/intel_cpu/src/nodes/bin_conv.cpp: broadcast a 32-bit activation word, XOR it with 16 output
// channels' weight words, VPOPCNTD, VPADDD). Each 32-bit lane of an accumulator is one output channel, so
// there is no horizontal reduction, and the output stage works on 16 channels at once: a VPCMPGTD against a
// per-channel threshold yields the 16 packed output bits in a k-mask.
//
// Activations are read in place as 32-bit words (2 per 64-bit word; little-endian, so dword k of a pixel
// holds channels [32k, 32k + 32)). Tail bits are zero in activations and weights alike, so every channel
// count runs the same code: a partial dword just adds zero bits.
//
// Packed weights (built once by pack_weights), with T = kh * kw taps and K32 = 2 * words_for(ic) dwords per
// tap, except K32 = 1 for ic <= 32 (the high dword of a pixel's word is all padding there: the tile steps
// over it, 8 bytes a step, rather than XOR and count zeros, which halves the work of 16- and 32-channel
// layers):
//   output channels are cut into groups of 64 (one output word); group g holds nv = min(4, vectors left)
//   vectors of 16 channels and starts at dword g * T * K32 * 64. Within a group: [tap][k][nv][16] uint32,
//   i.e. for each (tap, dword) the nv weight vectors of the tile are adjacent. Lanes past oc are zero.
//   After all groups: popcount(w[o][tap]) as int32 [vector][tap][16], for the Padding::kOne edge correction.
//   Then, for ic <= 16 only, the weights again in the same layout with each channel's 16 bits in both
//   halves of its dword: the pixel-pair tile's (pair_tile).
//
// Per k-step a 6x4 tile loads 6 broadcast dwords and 4 weight vectors and issues 24 XOR + 24 VPOPCNTD + 24
// VPADDD: 10 loads against 72 vector ops, so the vector pipes, not the load ports, set the pace. 24
// accumulators
// + 4 weights + a broadcast register + temporaries fit the 32 zmm registers.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
// GCC 12 reports -Wmaybe-uninitialized (and, where a loop inlines them, -Wuninitialized) inside its own
// AVX-512 headers (_mm512_undefined_* is "x = x"; GCC bug 105593, fixed in GCC 13); the warning is about the
// header, not this file.
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning group (and warns about the pragma)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/bconv2d/direct_conv.h"
#include "kernels/bconv2d/variant_impls.h"
#include "kernels/common/cpu_features.h"
#include "kernels/fracconv/variant_impls.h"  // avx512_6x4_run_rows_gated

namespace bnnkit::kernels::bconv2d_detail {
namespace {

constexpr int kLanes = 16;     // output channels per zmm (32-bit lanes)
constexpr int kGroupVecs = 4;  // vectors per group: 64 channels = one output word
constexpr int kGroupChannels = kLanes * kGroupVecs;
constexpr int kMr = 6;  // output pixels per tile

struct Layout {
  int taps, k32, nvec;
  bool pair_block;  // ic <= 16: a second copy of the weights for pixel pairs (pair_tile), at pair_offset()
  explicit Layout(const ConvGeometry& g)
      : taps(g.kh * g.kw),
        k32(g.ic <= 32 ? 1 : 2 * words_for(g.ic)),
        nvec((g.oc + 15) / 16),
        pair_block(g.ic <= 16) {}
  // Activation bytes per dword step: 4, or 8 when K32 = 1 (one dword of each 64-bit word).
  int step_bytes() const { return k32 == 1 ? 8 : 4; }
  size_t group_dwords() const { return static_cast<size_t>(taps) * k32 * kGroupChannels; }
  size_t weight_dwords() const { return static_cast<size_t>(taps) * k32 * nvec * kLanes; }
  size_t pair_offset() const { return weight_dwords() + static_cast<size_t>(nvec) * taps * kLanes; }
  size_t total_dwords() const { return pair_offset() + (pair_block ? weight_dwords() : 0); }
};

inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Output-stage state of one (output row, channel group), on the stack; padded to the whole group so the tile
// epilogue can use full-width aligned loads.
// The gate thresholds and the final output stage of a group's channels, for the fused gate epilogue.
struct GateStage {
  alignas(64) int32_t gthr[64];  // gate thresholds, clamped to +-2^29 (see set_base)
  alignas(64) int32_t fthr[64];
  alignas(64) float fscale[64];
  alignas(64) float fbias[64];
  uint64_t fflip = 0;
  int64_t open = 0;  // kTwoPlane: open gates counted so far
  // kGate, float output: every |2 * D| and 4 * acc is below 2^24, so float(2 * D) = base_f - 4 * float(acc)
  // in one exact FNMADD, as the plain conv's float stage.
  bool exact2 = false;
};

struct GroupStage {
  alignas(64) int32_t base[kGroupChannels];  // D = base - 2 * popcount sum
  alignas(64) int32_t half[kGroupChannels];  // kBits: bit = (acc > half) ^ flip, see set_base(); kGate: the
                                             // gate opens iff acc <= half (INT32_MIN outside the range)
  alignas(64) int32_t thr[kGroupChannels];   // kBits: threshold clamped to +-2^29
  alignas(64) float scale[kGroupChannels];
  alignas(64) float bias[kGroupChannels];
  alignas(64) float base_f[kGroupChannels];  // kFloat: float(base), when exact_float; kGate: float(2 * base)
  __mmask16 lanes[kGroupVecs];               // channels of this call's [oc_begin, oc_end) range
  uint64_t flip = 0;  // kBits: flip bits of the group's 64 channels (0 outside the range)
  OutputKind kind;
  int base_key[4] = {-1, -1, -1, -1};  // (i0, i1, j0, j1) that base[] and half[] were last computed for
  // kFloat: every accumulator and base is below 2^24, so float(base - 2 * acc) = base_f - 2 * float(acc) with
  // one exact FNMADD (all values are integers that float represents exactly).
  bool exact_float;
  // Fused gate epilogue (GateEpilogue), when gate != nullptr: its per-group parameters live in a GateStage of
  // the gated instantiation only (the plain conv keeps its smaller stack frame: measured, the larger one cost
  // the 1x1 layers ~50 %).
  const GateEpilogue* gate = nullptr;
  struct GateStage* gs = nullptr;
  int masks_px = 0;  // gate masks per pixel
};

// Everything a tile needs besides the stage; pointers are at tap (i0, j0) of the tile's first pixel.
struct TileArgs {
  const char* src;       // activation bytes
  const char* src2;      // two-plane mode: the same pixels in the LSB plane
  ptrdiff_t src_px;      // bytes between the windows of consecutive tile pixels (sw pixels)
  ptrdiff_t src_row;     // bytes between consecutive input rows
  int rows;              // kernel rows to run
  int steps;             // dword steps per kernel row: (j1 - j0) * K32
  ptrdiff_t step_bytes;  // activation bytes per step (Layout::step_bytes())
  const uint32_t* w;     // packed weights of the group at (i0, j0)
  ptrdiff_t w_row;       // dwords between kernel rows in the packed group
  char* dst;             // first pixel's output, at the group's first channel
  ptrdiff_t dst_px;      // bytes between output pixels
  char* fdst;            // gated: first pixel's final output at the group's first channel (or word)
  uint16_t* masks;       // gated: first pixel's gate masks of the group's first vector
};

// The fractional conv's final output of the integer accumulators v[] (NR vectors of 16 channels) for one
// pixel, through the GateEpilogue's output stage (a multiply then an add for floats, as output_stage.h).
template <int NR>
[[gnu::always_inline]] inline void write_final(const __m512i (&v)[NR], char* f, const GroupStage& st) {
  switch (st.gate->out.kind) {
    case OutputKind::kFloat:
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n) {
        const __m512 prod =
            _mm512_mul_ps(_mm512_cvtepi32_ps(v[n]), _mm512_load_ps(st.gs->fscale + n * kLanes));
        _mm512_mask_storeu_ps(reinterpret_cast<float*>(f) + n * kLanes, st.lanes[n],
                              _mm512_add_ps(prod, _mm512_load_ps(st.gs->fbias + n * kLanes)));
      }
      break;
    case OutputKind::kInt32:
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n)
        _mm512_mask_storeu_epi32(reinterpret_cast<int32_t*>(f) + n * kLanes, st.lanes[n], v[n]);
      break;
    case OutputKind::kBits: {
      // bit = !((v >= t) != flip); lanes outside the range are 0.
      __mmask16 ge16[kGroupVecs] = {0, 0, 0, 0};
      __mmask16 in[kGroupVecs] = {0, 0, 0, 0};
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n) {
        ge16[n] =
            _mm512_mask_cmpge_epi32_mask(st.lanes[n], v[n], _mm512_load_si512(st.gs->fthr + n * kLanes));
        in[n] = st.lanes[n];
      }
      const __mmask64 gew =
          _mm512_kunpackd(_mm512_kunpackw(ge16[3], ge16[2]), _mm512_kunpackw(ge16[1], ge16[0]));
      const __mmask64 inw = _mm512_kunpackd(_mm512_kunpackw(in[3], in[2]), _mm512_kunpackw(in[1], in[0]));
      const uint64_t word = ~(static_cast<uint64_t>(gew) ^ st.gs->fflip) & static_cast<uint64_t>(inw);
      std::memcpy(f, &word, sizeof word);
      break;
    }
  }
}

// The fused gate epilogue (GateEpilogue): gate masks, D to the int32 block where a gate is open, and the
// final output of 2 * D (the output if every gate is closed; the LSB pass redoes the open ones). The gate is
// compared on the raw popcount sum (acc <= half, one VPCMPD) and, for float output, 2 * D is formed in the
// float domain like the plain float stage: per vector one compare more than the plain conv, and D itself only
// for a pixel with an open gate in the group.
template <int MR, int NR, bool kFloatFast>
[[gnu::always_inline]] inline void gate_epilogue_rows(const __m512i (&acc)[MR][NR], const TileArgs& t,
                                                      const GroupStage& st) {
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m) {
    // Unmasked: half is INT32_MIN outside the range, so those lanes never open (and the k registers stay
    // free for the masks).
    __mmask16 mk[NR];
#pragma GCC unroll 8
    for (int n = 0; n < NR; ++n)
      mk[n] = _mm512_cmple_epi32_mask(acc[m][n], _mm512_load_si512(st.half + n * kLanes));
    char* f = t.fdst + m * st.gate->dst_px;
    if constexpr (kFloatFast) {
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n) {
        const __m512 v = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(acc[m][n]), _mm512_set1_ps(4.0f),
                                          _mm512_load_ps(st.base_f + n * kLanes));
        // Then a multiply and an add (output_stage.h), as write_final.
        const __m512 y = _mm512_add_ps(_mm512_mul_ps(v, _mm512_load_ps(st.gs->fscale + n * kLanes)),
                                       _mm512_load_ps(st.gs->fbias + n * kLanes));
        _mm512_mask_storeu_ps(reinterpret_cast<float*>(f) + n * kLanes, st.lanes[n], y);
      }
    } else {
      __m512i two_d[NR];
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n) {
        const __m512i dv =
            _mm512_sub_epi32(_mm512_load_si512(st.base + n * kLanes), _mm512_slli_epi32(acc[m][n], 1));
        two_d[n] = _mm512_slli_epi32(dv, 1);
      }
      write_final<NR>(two_d, f, st);
    }
    // The group's NR masks as one k-register word: one store, one test (no trips through general registers).
    uint16_t* mp = t.masks + m * st.masks_px;
    bool any;
    if constexpr (NR == 4) {
      const __mmask64 word = _mm512_kunpackd(_mm512_kunpackw(mk[3], mk[2]), _mm512_kunpackw(mk[1], mk[0]));
      // mp is only 2-byte aligned: memcpy, which still compiles to one KMOVQ to memory (no alignment needed).
      std::memcpy(mp, &word, sizeof word);
      any = !_kortestz_mask64_u8(word, word);
    } else {
      __mmask16 o = mk[0];
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n) {
        mp[n] = mk[n];
        o = _kor_mask16(o, mk[n]);
      }
      any = o != 0;
    }
    if (any) {
      int32_t* d = reinterpret_cast<int32_t*>(t.dst + m * t.dst_px);
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n)
        _mm512_mask_storeu_epi32(
            d + n * kLanes, st.lanes[n],
            _mm512_sub_epi32(_mm512_load_si512(st.base + n * kLanes), _mm512_slli_epi32(acc[m][n], 1)));
    }
  }
}

template <int MR, int NR>
[[gnu::always_inline]] inline void gate_epilogue(const __m512i (&acc)[MR][NR], const TileArgs& t,
                                                 const GroupStage& st) {
  // The output kind as a template argument: one test per tile rather than per pixel.
  if (st.gate->out.kind == OutputKind::kFloat && st.gs->exact2) {
    gate_epilogue_rows<MR, NR, true>(acc, t, st);
  } else {
    gate_epilogue_rows<MR, NR, false>(acc, t, st);
  }
}

// The two-plane epilogue: rows [0, MP) of acc are the MSB plane of MP pixels, rows [MP, 2 MP) their LSB
// plane; acc = 2 * D_msb + (D_msb > gate threshold ? D_lsb : 0) straight to the final output, open gates
// counted.
template <int MP, int NR>
[[gnu::always_inline]] inline void frac_epilogue(const __m512i (&acc)[2 * MP][NR], const TileArgs& t,
                                                 const GroupStage& st) {
  int64_t open = 0;
#pragma GCC unroll 16
  for (int m = 0; m < MP; ++m) {
    __m512i tot[NR];
#pragma GCC unroll 8
    for (int n = 0; n < NR; ++n) {
      const __m512i base = _mm512_load_si512(st.base + n * kLanes);
      const __m512i d1 = _mm512_sub_epi32(base, _mm512_slli_epi32(acc[m][n], 1));
      const __m512i d2 = _mm512_sub_epi32(base, _mm512_slli_epi32(acc[MP + m][n], 1));
      const __mmask16 o =
          _mm512_mask_cmpgt_epi32_mask(st.lanes[n], d1, _mm512_load_si512(st.gs->gthr + n * kLanes));
      const __m512i two_d1 = _mm512_slli_epi32(d1, 1);
      tot[n] = _mm512_mask_add_epi32(two_d1, o, two_d1, d2);
      open += std::popcount(static_cast<unsigned>(o));
    }
    write_final<NR>(tot, t.fdst + m * st.gate->dst_px, st);
  }
  st.gs->open += open;
}

// The epilogue modes, each its own instantiation so the plain conv's tiles carry none of the others' code
// (sharing one body cost the plain conv 17-60 %).
enum Mode : int {
  kPlain = 0,     // the output stage
  kGate = 1,      // GateEpilogue: D, gate masks, output as if closed
  kTwoPlane = 2,  // both planes of a fractional conv: rows [0, MR/2) from src, [MR/2, MR) from src2
};

// Row m's first byte: for kTwoPlane, pixel m % (MR/2) of plane m / (MR/2).
template <int MR, int M>
[[gnu::always_inline]] inline const char* row_src(const TileArgs& t, int m) {
  if constexpr (M == kTwoPlane) {
    return (m < MR / 2 ? t.src : t.src2) + (m % (MR / 2)) * t.src_px;
  } else {
    return t.src + m * t.src_px;
  }
}

// The output stage of a tile's accumulators (row m = the tile's pixel m; kTwoPlane: see frac_epilogue).
template <int MR, int NR, int M>
[[gnu::always_inline]] inline void epilogue(const __m512i (&acc)[MR][NR], const TileArgs& t,
                                            const GroupStage& st) {
  if constexpr (M == kGate) {
    gate_epilogue<MR, NR>(acc, t, st);
    return;
  } else if constexpr (M == kTwoPlane) {
    frac_epilogue<MR / 2, NR>(acc, t, st);
    return;
  }
  switch (st.kind) {
    case OutputKind::kFloat:
#pragma GCC unroll 16
      for (int m = 0; m < MR; ++m) {
        float* d = reinterpret_cast<float*>(t.dst + m * t.dst_px);
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) {
          __m512 v;
          if (st.exact_float) {
            v = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(acc[m][n]), _mm512_set1_ps(2.0f),
                                 _mm512_load_ps(st.base_f + n * kLanes));
          } else {
            v = _mm512_cvtepi32_ps(
                _mm512_sub_epi32(_mm512_load_si512(st.base + n * kLanes), _mm512_slli_epi32(acc[m][n], 1)));
          }
          // Then a multiply and an add (output_stage.h), no FMA: this rounds exactly like the reference.
          const __m512 prod = _mm512_mul_ps(v, _mm512_load_ps(st.scale + n * kLanes));
          _mm512_mask_storeu_ps(d + n * kLanes, st.lanes[n],
                                _mm512_add_ps(prod, _mm512_load_ps(st.bias + n * kLanes)));
        }
      }
      break;
    case OutputKind::kInt32:
#pragma GCC unroll 16
      for (int m = 0; m < MR; ++m) {
        int32_t* d = reinterpret_cast<int32_t*>(t.dst + m * t.dst_px);
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) {
          const __m512i v =
              _mm512_sub_epi32(_mm512_load_si512(st.base + n * kLanes), _mm512_slli_epi32(acc[m][n], 1));
          _mm512_mask_storeu_epi32(d + n * kLanes, st.lanes[n], v);
        }
      }
      break;
    case OutputKind::kBits:
      // 4 compares, 3 KUNPCKs to assemble the 64-bit word in a mask register, one KXOR for the flips, one
      // KMOVQ store. Lanes outside the range have half = INT32_MAX and flip 0, so their bits come out 0.
#pragma GCC unroll 16
      for (int m = 0; m < MR; ++m) {
        __mmask16 gt[kGroupVecs] = {0, 0, 0, 0};
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) {
          gt[n] = _mm512_cmpgt_epi32_mask(acc[m][n], _mm512_load_si512(st.half + n * kLanes));
        }
        const __mmask64 word = _mm512_kunpackd(_mm512_kunpackw(gt[3], gt[2]), _mm512_kunpackw(gt[1], gt[0]));
        _store_mask64(reinterpret_cast<__mmask64*>(t.dst + m * t.dst_px), _kxor_mask64(word, st.flip));
      }
      break;
  }
}

// The tile's dot products over kernel rows [0, rows) and t.steps dword steps of each: per step NR weight
// vectors, MR broadcast activation dwords, acc += popcount(x ^ w) in 32-bit lanes (kPairs: 16-bit lanes, two
// pixels per dword). The step stride is a constant of the loop (a run-time stride in the address cost the 3x3
// layers 2-5 %).
template <int MR, int NR, int M, int kStepBytes, bool kPairs>
[[gnu::always_inline]] inline void accumulate(const TileArgs& t, int rows, __m512i (&acc)[MR][NR]) {
  for (int r = 0; r < rows; ++r) {
    const uint32_t* w = t.w + r * t.w_row;
    const char* p[MR];
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) p[m] = row_src<MR, M>(t, m) + r * t.src_row;
    for (int s = 0; s < t.steps; ++s) {
      __m512i wv[NR];
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n) wv[n] = _mm512_loadu_si512(w + (s * NR + n) * kLanes);
#pragma GCC unroll 16
      for (int m = 0; m < MR; ++m) {
        const __m512i x = _mm512_set1_epi32(static_cast<int>(load_u32(p[m] + kStepBytes * s)));
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) {
          const __m512i d = _mm512_xor_si512(x, wv[n]);
          if constexpr (kPairs) {
            acc[m][n] = _mm512_add_epi16(acc[m][n], _mm512_popcnt_epi16(d));
          } else {
            acc[m][n] = _mm512_add_epi32(acc[m][n], _mm512_popcnt_epi32(d));
          }
        }
      }
    }
  }
}

template <int MR, int NR, int M>
[[gnu::always_inline]] inline void tile(const TileArgs& t, const GroupStage& st) {
  __m512i acc[MR][NR];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
    for (int n = 0; n < NR; ++n) acc[m][n] = _mm512_setzero_si512();

  if (t.rows == 1 && t.steps == 2) {
    // A 1x1 layer with 32 < ic <= 64 (one 64-bit word, two dword steps; here for int32 output and the
    // fractional conv's passes, as float and bits output take pointwise_pass) or an edge window of two taps
    // of a layer with ic <= 32 (one dword each, 8 bytes apart): the general loop below would spend a visible
    // share of the tile on loop control, so this common case gets a straight-line body. (Unrolling further,
    // or for more step counts, measured slower: the code outgrows the op cache.)
#pragma GCC unroll 2
    for (int s = 0; s < 2; ++s) {
      __m512i wv[NR];
#pragma GCC unroll 8
      for (int n = 0; n < NR; ++n) wv[n] = _mm512_loadu_si512(t.w + (s * NR + n) * kLanes);
#pragma GCC unroll 16
      for (int m = 0; m < MR; ++m) {
        const __m512i x =
            _mm512_set1_epi32(static_cast<int>(load_u32(row_src<MR, M>(t, m) + t.step_bytes * s)));
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) {
          acc[m][n] = _mm512_add_epi32(acc[m][n], _mm512_popcnt_epi32(_mm512_xor_si512(x, wv[n])));
        }
      }
    }
  }
  const int rows = t.rows == 1 && t.steps == 2 ? 0 : t.rows;  // 0: done above
  if (t.step_bytes == 4) {
    accumulate<MR, NR, M, 4, false>(t, rows, acc);
  } else {
    accumulate<MR, NR, M, 8, false>(t, rows, acc);
  }
  epilogue<MR, NR, M>(acc, t, st);
}

// The PixelPairs tile (ic <= 16, stride 1; see run_group): each row of the tile is a pair of adjacent output
// pixels (kTwoPlane: rows [0, MR/2) the MSB plane's pairs, [MR/2, MR) the LSB plane's), read from 16-bit
// dense copies of the input rows: a broadcast dword holds the 16 channels of two adjacent input pixels, and
// the pair weights hold each channel's 16 weight bits in both halves of its dword, so one XOR + VPOPCNTW +
// VPADDW does the work of two in the one-pixel-per-dword tile (whose dwords are half padding at ic <= 16).
// The 16-bit sums (<= taps * 16) are split into two pixels' int32 accumulators for the usual epilogue. Runs
// only in run_rows_bitalg, which is called only when the CPU has BITALG.
template <int MR, int NR, int M>
[[gnu::always_inline]] inline void pair_tile(const TileArgs& t, const GroupStage& st) {
  __m512i acc[MR][NR];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
    for (int n = 0; n < NR; ++n) acc[m][n] = _mm512_setzero_si512();
  accumulate<MR, NR, M, 2, true>(t, t.rows, acc);  // a pixel's 16 channels are 2 bytes in the dense rows
  // Pair m holds pixels 2m (low halves) and 2m + 1 (high halves); kTwoPlane keeps the MSB pixels first.
  __m512i px[2 * MR][NR];
  const __m512i lo16 = _mm512_set1_epi32(0xFFFF);
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
    for (int n = 0; n < NR; ++n) {
      px[2 * m][n] = _mm512_and_si512(acc[m][n], lo16);
      px[2 * m + 1][n] = _mm512_srli_epi32(acc[m][n], 16);
    }
  epilogue<2 * MR, NR, M>(px, t, st);
}

// Fills base[] (and half[] for kBits) for a window whose kernel rows [i0, i1) and columns [j0, j1) are inside
// the image. kZero: base = valid taps * ic. kOne: base = all taps * ic - 2 * sum of popcount(w) over the
// skipped taps, because a skipped (padded, +1) tap contributes ic - 2 * popcount(w).
//
// kBits: the output bit is 1 (value -1) iff (D >= t) == flip, i.e. (D < t) != flip. With D = base - 2 * acc,
//   D < t  <=>  2 * acc > base - t  <=>  acc > floor((base - t) / 2),
// so the tile compares the raw popcount sum once against half = (base - t) >> 1 (arithmetic shift = floor).
// |base| <= kh * kw * ic < 2^28 and t is clamped to +-2^29 (which cannot change D >= t), so nothing
// overflows.
void set_base(GroupStage& st, const ConvGeometry& g, Padding padding, const int32_t* popw, int nv, int i0,
              int i1, int j0, int j1) {
  // Rows and columns repeat the same few windows (interior, left edge, right edge): skip the recomputation.
  if (st.base_key[0] == i0 && st.base_key[1] == i1 && st.base_key[2] == j0 && st.base_key[3] == j1) return;
  st.base_key[0] = i0;
  st.base_key[1] = i1;
  st.base_key[2] = j0;
  st.base_key[3] = j1;
  const int taps = g.kh * g.kw;
  const int valid = (i1 - i0) * (j1 - j0);
  for (int n = 0; n < nv; ++n) {
    __m512i base;
    if (padding == Padding::kZero || valid == taps) {
      base = _mm512_set1_epi32(padding == Padding::kZero ? valid * g.ic : taps * g.ic);
    } else {
      __m512i skipped = _mm512_setzero_si512();
      for (int i = 0; i < g.kh; ++i) {
        for (int j = 0; j < g.kw; ++j) {
          if (i >= i0 && i < i1 && j >= j0 && j < j1) continue;
          skipped = _mm512_add_epi32(
              skipped, _mm512_loadu_si512(popw + (static_cast<size_t>(n) * taps + i * g.kw + j) * kLanes));
        }
      }
      base = _mm512_sub_epi32(_mm512_set1_epi32(taps * g.ic), _mm512_slli_epi32(skipped, 1));
    }
    _mm512_store_si512(st.base + n * kLanes, base);
    if (st.gs != nullptr) {
      // open <=> D > t <=> base - 2 acc >= t + 1 <=> acc <= floor((base - t - 1) / 2); t is clamped to
      // +-2^29 (|D| <= base < 2^28, so the gate is unchanged) and nothing overflows.
      const __m512i gd = _mm512_sub_epi32(_mm512_sub_epi32(base, _mm512_load_si512(st.gs->gthr + n * kLanes)),
                                          _mm512_set1_epi32(1));
      _mm512_store_si512(
          st.half + n * kLanes,
          _mm512_mask_blend_epi32(st.lanes[n], _mm512_set1_epi32(INT32_MIN), _mm512_srai_epi32(gd, 1)));
      _mm512_store_ps(st.base_f + n * kLanes, _mm512_cvtepi32_ps(_mm512_slli_epi32(base, 1)));
    }
    if (st.kind == OutputKind::kFloat) _mm512_store_ps(st.base_f + n * kLanes, _mm512_cvtepi32_ps(base));
    if (st.kind == OutputKind::kBits) {
      const __m512i diff = _mm512_sub_epi32(base, _mm512_load_si512(st.thr + n * kLanes));
      // Lanes outside the range: INT32_MAX, so acc > half never holds there.
      _mm512_store_si512(
          st.half + n * kLanes,
          _mm512_mask_blend_epi32(st.lanes[n], _mm512_set1_epi32(INT32_MAX), _mm512_srai_epi32(diff, 1)));
    }
  }
}

// Loads the per-channel output parameters of channels [c0, c0 + 16 * nv) restricted to [oc_begin, oc_end).
// Masked loads: nothing at or past oc (or outside the range) is read.
void set_group(GroupStage& st, const OutputStage& out, const ConvGeometry& g, int nv, int c0, int oc_begin,
               int oc_end) {
  st.kind = out.kind;
  st.flip = 0;
  if (st.gs != nullptr) {
    st.gs->fflip = 0;
    st.gs->exact2 = static_cast<long long>(g.kh) * g.kw * g.ic < (1LL << 22);
  }
  st.base_key[0] = -1;  // a new group: base[] must be recomputed
  st.exact_float = static_cast<long long>(g.kh) * g.kw * g.ic < (1LL << 24);
  for (int n = 0; n < nv; ++n) {
    const int lo = std::max(oc_begin - (c0 + n * kLanes), 0);
    const int hi = std::min(oc_end - (c0 + n * kLanes), kLanes);
    const __mmask16 lanes = hi <= lo ? 0 : static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
    st.lanes[n] = lanes;
    const int c = c0 + n * kLanes;
    if (out.kind == OutputKind::kFloat) {
      _mm512_store_ps(st.scale + n * kLanes, _mm512_maskz_loadu_ps(lanes, out.scale + c));
      _mm512_store_ps(st.bias + n * kLanes, _mm512_maskz_loadu_ps(lanes, out.bias + c));
    } else if (out.kind == OutputKind::kBits) {
      const __m512i t = _mm512_maskz_loadu_epi32(lanes, out.threshold + c);
      const __m512i lim = _mm512_set1_epi32(1 << 29);
      _mm512_store_si512(
          st.thr + n * kLanes,
          _mm512_max_epi32(_mm512_min_epi32(t, lim), _mm512_sub_epi32(_mm512_setzero_si512(), lim)));
      const __m128i f = _mm_maskz_loadu_epi8(lanes, out.flip + c);
      st.flip |= static_cast<uint64_t>(_mm_test_epi8_mask(f, f)) << (16 * n);
    }
    if (st.gate != nullptr) {
      const OutputStage& fo = st.gate->out;
      const __m512i gt = _mm512_maskz_loadu_epi32(lanes, st.gate->threshold + c);
      const __m512i glim = _mm512_set1_epi32(1 << 29);
      _mm512_store_si512(
          st.gs->gthr + n * kLanes,
          _mm512_max_epi32(_mm512_min_epi32(gt, glim), _mm512_sub_epi32(_mm512_setzero_si512(), glim)));
      if (fo.kind == OutputKind::kFloat) {
        _mm512_store_ps(st.gs->fscale + n * kLanes, _mm512_maskz_loadu_ps(lanes, fo.scale + c));
        _mm512_store_ps(st.gs->fbias + n * kLanes, _mm512_maskz_loadu_ps(lanes, fo.bias + c));
      } else if (fo.kind == OutputKind::kBits) {
        _mm512_store_si512(st.gs->fthr + n * kLanes, _mm512_maskz_loadu_epi32(lanes, fo.threshold + c));
        const __m128i f = _mm_maskz_loadu_epi8(lanes, fo.flip + c);
        st.gs->fflip |= static_cast<uint64_t>(_mm_test_epi8_mask(f, f)) << (16 * n);
      }
    }
  }
}

struct RowContext {
  const BConv2dArgs* a;
  const Layout* lay;
  const uint32_t* packed;
  const int32_t* popw;  // popcount table of the group's first vector
  int b, oy, i0, i1;
  const char* src_image;   // image b, as bytes
  const char* src2_image;  // kTwoPlane: image b of the LSB plane
  char* dst_row;           // output of pixel ox_begin of row (b, oy)
  int ox_origin;           // ox_begin: pixel ox is at dst_row + (ox - ox_origin) * dst_px
  ptrdiff_t row_px = 0;    // M != kPlain: pixels of the call before this row (the gate outputs and masks)
  ptrdiff_t src_pixel_bytes, src_row_bytes, dst_px;
  // Pixel pairs (ic <= 16, stride 1, the CPU has BITALG): the input rows i0..i1 of the window as 16 bits per
  // pixel (build_pair_rows), kTwoPlane's LSB plane in pair_rows2; nullptr: off.
  const char* pair_rows = nullptr;
  const char* pair_rows2 = nullptr;
  ptrdiff_t pair_row_bytes = 0;
};

// Copies `rows` input rows starting at row iy0 of `image` (one word per pixel: ic <= 16) as 16 bits per
// pixel, `stride` bytes apart (VPMOVQW: 8 pixels per op).
void build_pair_rows(const char* image, ptrdiff_t row_bytes, int iy0, int rows, int iw, char* out,
                     ptrdiff_t stride) {
  for (int r = 0; r < rows; ++r) {
    const auto* in = reinterpret_cast<const Word*>(image + (iy0 + r) * row_bytes);
    auto* o = reinterpret_cast<uint16_t*>(out + r * stride);
    for (int x = 0; x < iw; x += 8) {
      const __mmask8 k = iw - x >= 8 ? 0xFF : static_cast<__mmask8>((1u << (iw - x)) - 1);
      _mm512_mask_cvtepi64_storeu_epi16(o + x, k, _mm512_maskz_loadu_epi64(k, in + x));
    }
  }
}

std::atomic<bool> g_pixel_pairs{true};

// A tile of MR rows: pixels, or pixel pairs (pair_tile).
template <int MR, int NR, int M, bool kPairs>
[[gnu::always_inline]] inline void any_tile(const TileArgs& t, const GroupStage& st) {
  if constexpr (kPairs) {
    pair_tile<MR, NR, M>(t, st);
  } else {
    tile<MR, NR, M>(t, st);
  }
}

// A tile of a run-time number of rows (a row's last pixels).
template <int NR, int M, bool kPairs = false>
[[gnu::always_inline]] inline void run_tile(int mr, const TileArgs& t, const GroupStage& st) {
  if constexpr (M == kTwoPlane) {  // two rows per pixel (or pair): even sizes only
    switch (mr) {
      case 2:
        any_tile<2, NR, M, kPairs>(t, st);
        break;
      case 4:
        any_tile<4, NR, M, kPairs>(t, st);
        break;
      default:
        any_tile<6, NR, M, kPairs>(t, st);
        break;
    }
  } else {
    switch (mr) {
      case 1:
        any_tile<1, NR, M, kPairs>(t, st);
        break;
      case 2:
        any_tile<2, NR, M, kPairs>(t, st);
        break;
      case 3:
        any_tile<3, NR, M, kPairs>(t, st);
        break;
      case 4:
        any_tile<4, NR, M, kPairs>(t, st);
        break;
      case 5:
        any_tile<5, NR, M, kPairs>(t, st);
        break;
      default:
        any_tile<6, NR, M, kPairs>(t, st);
        break;
    }
  }
}

// One channel group of one output row, pixels [ox_begin, ox_end).
template <int NR, int M, bool kPairs>
// Inlined into run_rows_impl, where the stage is a local the compiler can see no output store alias (out of
// line, it re-read the stage after every store: measured 1.6x slower on 1x1 layers).
[[gnu::always_inline]] inline void run_group(const RowContext& rc, GroupStage& st, const uint32_t* wg,
                                             const int32_t* popw, int ox_begin, int ox_end,
                                             int word_offset_bytes) {
  const ConvGeometry& g = rc.a->g;
  const int k32 = rc.lay->k32;
  // kTwoPlane: each pixel takes two tile rows (its MSB and LSB plane), so a tile holds 3 pixels.
  constexpr int kRowsPerPx = M == kTwoPlane ? 2 : 1;
  constexpr int kPx = kMr / kRowsPerPx;
  const ptrdiff_t w_row = static_cast<ptrdiff_t>(g.kw) * k32 * NR * kLanes;
  const ptrdiff_t w_tap = static_cast<ptrdiff_t>(k32) * NR * kLanes;
  const int iy0 = rc.oy * g.sh - g.ph + rc.i0;

  TileArgs t;
  t.src_px = g.sw * rc.src_pixel_bytes;
  t.src_row = rc.src_row_bytes;
  t.step_bytes = rc.lay->step_bytes();
  t.rows = rc.i1 - rc.i0;
  t.dst_px = rc.dst_px;

  // Points t at pixel ox with kernel columns [j0, j1).
  auto aim = [&](int ox, int j0, int j1) {
    t.steps = (j1 - j0) * k32;
    const bool empty = t.rows <= 0 || t.steps <= 0;
    const ptrdiff_t at = empty ? 0
                               : static_cast<ptrdiff_t>(iy0) * rc.src_row_bytes +
                                     static_cast<ptrdiff_t>(ox * g.sw - g.pw + j0) * rc.src_pixel_bytes;
    t.src = rc.src_image + at;
    if constexpr (M == kTwoPlane) t.src2 = rc.src2_image + at;
    t.w = wg + rc.i0 * w_row + j0 * w_tap;
    t.w_row = w_row;
    t.dst = rc.dst_row + (ox - rc.ox_origin) * rc.dst_px + word_offset_bytes;
    if constexpr (M != kPlain) {
      const int grp = word_offset_bytes / (kGroupChannels * 4);  // the block is int32: c0 * 4 bytes
      const ptrdiff_t px = rc.row_px + (ox - rc.ox_origin);
      t.fdst = st.gate->dst + px * st.gate->dst_px +
               (st.gate->out.kind == OutputKind::kBits ? grp * static_cast<ptrdiff_t>(sizeof(Word))
                                                       : static_cast<ptrdiff_t>(grp) * kGroupChannels * 4);
      if constexpr (M == kGate) t.masks = st.gate->masks + px * st.masks_px + grp * kGroupVecs;
    }
  };

  const TapRange inner = interior_cols(g, ox_begin, ox_end);
  if (inner.size() > 0) {
    set_base(st, g, rc.a->padding, popw, NR, rc.i0, rc.i1, 0, g.kw);
    int ox = inner.begin;
    if constexpr (kPairs && NR <= 2) {  // more vectors: 2 * 6 pixels x NR accumulators would not fit
      if (rc.pair_rows != nullptr) {
        // Pixel pairs: 2 * kPx pixels a tile; an odd last pixel goes to the one-pixel tile below.
        auto aim_pair = [&](int x) {
          aim(x, 0, g.kw);
          TileArgs tp = t;
          tp.src = rc.pair_rows + static_cast<ptrdiff_t>(x - g.pw) * 2;
          if constexpr (M == kTwoPlane) tp.src2 = rc.pair_rows2 + static_cast<ptrdiff_t>(x - g.pw) * 2;
          tp.src_px = 4;
          tp.src_row = rc.pair_row_bytes;
          tp.steps = g.kw;
          tp.w = wg + rc.lay->pair_offset() + rc.i0 * w_row;
          return tp;
        };
        for (; ox + 2 * kPx <= inner.end; ox += 2 * kPx) pair_tile<kPx * kRowsPerPx, NR, M>(aim_pair(ox), st);
        if (const int pairs = (inner.end - ox) / 2; pairs > 0) {
          run_tile<NR, M, true>(pairs * kRowsPerPx, aim_pair(ox), st);
          ox += 2 * pairs;
        }
      }
    }
    for (; ox + kPx <= inner.end; ox += kPx) {
      aim(ox, 0, g.kw);
      tile<kPx * kRowsPerPx, NR, M>(t, st);
    }
    if (ox < inner.end) {
      aim(ox, 0, g.kw);
      run_tile<NR, M>((inner.end - ox) * kRowsPerPx, t, st);
    }
  }
  // Edge columns: each pixel has its own kernel-column range.
  for (int ox = ox_begin; ox < ox_end; ++ox) {
    if (ox >= inner.begin && ox < inner.end) {
      ox = inner.end - 1;
      continue;
    }
    const TapRange cols = valid_taps(ox, g.sw, g.pw, g.kw, g.iw);
    set_base(st, g, rc.a->padding, popw, NR, rc.i0, rc.i1, cols.begin, cols.end);
    aim(ox, cols.begin, cols.end);
    tile<kRowsPerPx, NR, M>(t, st);
  }
}

}  // namespace

size_t avx512_6x4_packed_weight_words(const ConvGeometry& g) {
  return (Layout(g).total_dwords() + 1) / 2;
}

void avx512_6x4_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  const Layout lay(g);
  const int icw = words_for(g.ic);
  const size_t words = avx512_6x4_packed_weight_words(g);
  std::memset(packed, 0, words * sizeof(Word));
  auto* out = reinterpret_cast<uint32_t*>(packed);
  int32_t* popw = reinterpret_cast<int32_t*>(out + lay.weight_dwords());
  for (int o = 0; o < g.oc; ++o) {
    const int grp = o / kGroupChannels;
    const int nv = std::min(kGroupVecs, lay.nvec - grp * kGroupVecs);
    const int v = (o % kGroupChannels) / kLanes, lane = o % kLanes;
    uint32_t* wg = out + grp * lay.group_dwords();
    for (int tap = 0; tap < lay.taps; ++tap) {
      const Word* w = ref + (static_cast<size_t>(o) * lay.taps + tap) * icw;
      int pc = 0;
      for (int k = 0; k < lay.k32; ++k) {
        const auto dword = static_cast<uint32_t>(w[k / 2] >> (32 * (k % 2)));
        wg[((static_cast<size_t>(tap) * lay.k32 + k) * nv + v) * kLanes + lane] = dword;
        pc += std::popcount(dword);
      }
      popw[(static_cast<size_t>(o / kLanes) * lay.taps + tap) * kLanes + lane] = pc;
    }
  }
  if (lay.pair_block) {
    uint32_t* pair = out + lay.pair_offset();
    for (size_t i = 0; i < lay.weight_dwords(); ++i) pair[i] = (out[i] & 0xFFFFu) * 0x10001u;
  }
}

namespace {

// Output rows [row_begin, row_end) (of n * oh), pixels [ox_begin, ox_end) of each, channels [oc_begin,
// oc_end). Channel groups are the outer loop: a group's output parameters are loaded once, and its weights
// stay in L1 while the rows stream past.
// `block`: see run_segment (variant_impls.h); several rows (kGate only) follow each other in it, as in the
// gate's outputs and masks. M != kPlain: gate !=
// nullptr; kTwoPlane: src2 is the LSB plane, and the open gates are added to *open.
template <int M, bool kPairs>
[[gnu::always_inline]] inline void run_rows_body(const BConv2dArgs& a, int row_begin, int row_end,
                                                 int ox_begin, int ox_end, int oc_begin, int oc_end,
                                                 void* block, const GateEpilogue* gate, const Word* src2,
                                                 int64_t* open) {
  const ConvGeometry& g = a.g;
  const Layout lay(g);
  const int icw = words_for(g.ic);
  const auto* packed = reinterpret_cast<const uint32_t*>(a.weights);
  const int32_t* popw = reinterpret_cast<const int32_t*>(packed + lay.weight_dwords());
  const int px_bytes = output_pixel_bytes(a.out.kind, g.oc);
  const int oh = g.oh();

  RowContext rc;
  rc.a = &a;
  rc.lay = &lay;
  rc.packed = packed;
  rc.src_pixel_bytes = static_cast<ptrdiff_t>(icw) * sizeof(Word);
  rc.src_row_bytes = rc.src_pixel_bytes * g.iw;
  rc.dst_px = px_bytes;
  rc.ox_origin = ox_begin;

  // Pixel pairs need the window's rows (both planes for kTwoPlane) in the buffer.
  constexpr int kPairBufBytes = 16384;
  char pair_buf[kPairBufBytes];  // not over-aligned: ASan's fake stack does not honour alignas(64)
  const ptrdiff_t pair_row_bytes = static_cast<ptrdiff_t>(g.iw) * 2;
  const ptrdiff_t pair_plane_bytes = pair_row_bytes * g.kh;
  const bool pairs =
      kPairs && lay.pair_block && g.sw == 1 && g.iw >= 2 && 2 * pair_plane_bytes <= kPairBufBytes;
  rc.pair_row_bytes = pair_row_bytes;

  GroupStage st;
  st.gate = gate;
  st.masks_px = (g.oc + kLanes - 1) / kLanes;
  [[maybe_unused]] std::conditional_t<M != kPlain, GateStage, char> gate_stage;
  if constexpr (M != kPlain) st.gs = &gate_stage;
  for (int grp = oc_begin / kGroupChannels; grp * kGroupChannels < oc_end; ++grp) {
    const int c0 = grp * kGroupChannels;
    const int nv = std::min(kGroupVecs, lay.nvec - grp * kGroupVecs);
    set_group(st, a.out, g, nv, c0, oc_begin, oc_end);
    const uint32_t* wg = packed + grp * lay.group_dwords();
    const int32_t* pg = popw + static_cast<size_t>(grp) * kGroupVecs * lay.taps * kLanes;
    const int off = a.out.kind == OutputKind::kBits ? grp * static_cast<int>(sizeof(Word)) : c0 * 4;
    for (int row = row_begin; row < row_end; ++row) {
      rc.b = row / oh;
      rc.oy = row % oh;
      const TapRange rows = valid_taps(rc.oy, g.sh, g.ph, g.kh, g.ih);
      rc.i0 = rows.begin;
      rc.i1 = rows.end;
      rc.src_image =
          reinterpret_cast<const char*>(a.src) + static_cast<ptrdiff_t>(rc.b) * g.ih * rc.src_row_bytes;
      if constexpr (M == kTwoPlane)
        rc.src2_image =
            reinterpret_cast<const char*>(src2) + static_cast<ptrdiff_t>(rc.b) * g.ih * rc.src_row_bytes;
      rc.row_px = static_cast<ptrdiff_t>(row - row_begin) * (ox_end - ox_begin);
      if (pairs) {
        const int iy0 = rc.oy * g.sh - g.ph + rc.i0;
        build_pair_rows(rc.src_image, rc.src_row_bytes, iy0, rc.i1 - rc.i0, g.iw, pair_buf, pair_row_bytes);
        rc.pair_rows = pair_buf;
        if constexpr (M == kTwoPlane) {
          build_pair_rows(rc.src2_image, rc.src_row_bytes, iy0, rc.i1 - rc.i0, g.iw,
                          pair_buf + pair_plane_bytes, pair_row_bytes);
          rc.pair_rows2 = pair_buf + pair_plane_bytes;
        }
      }
      rc.dst_row = block != nullptr ? static_cast<char*>(block) + rc.row_px * px_bytes
                                    : static_cast<char*>(a.dst) +
                                          (static_cast<ptrdiff_t>(row) * g.ow() + ox_begin) * px_bytes;
      switch (nv) {
        case 1:
          run_group<1, M, kPairs>(rc, st, wg, pg, ox_begin, ox_end, off);
          break;
        case 2:
          run_group<2, M, kPairs>(rc, st, wg, pg, ox_begin, ox_end, off);
          break;
        case 3:
          run_group<3, M, kPairs>(rc, st, wg, pg, ox_begin, ox_end, off);
          break;
        default:
          run_group<4, M, kPairs>(rc, st, wg, pg, ox_begin, ox_end, off);
          break;
      }
    }
  }
  if constexpr (M == kTwoPlane) *open += gate_stage.open;
}

// Two instances of the row driver: one with pixel pairs (ic <= 16), the only code with BITALG instructions,
// taken only when the CPU has BITALG, and one without. (The file is built with -mavx512bitalg for the
// intrinsics; GCC emits BITALG instructions only for them: objdump shows VPOPCNTW in run_rows_bitalg's
// instances and nowhere else.)
template <int M>
void run_rows_bitalg(const BConv2dArgs& a, int row_begin, int row_end, int ox_begin, int ox_end, int oc_begin,
                     int oc_end, void* block, const GateEpilogue* gate, const Word* src2, int64_t* open) {
  run_rows_body<M, true>(a, row_begin, row_end, ox_begin, ox_end, oc_begin, oc_end, block, gate, src2, open);
}

template <int M>
void run_rows_impl(const BConv2dArgs& a, int row_begin, int row_end, int ox_begin, int ox_end, int oc_begin,
                   int oc_end, void* block, const GateEpilogue* gate, const Word* src2, int64_t* open) {
  if (a.g.ic <= 16 && cpu_has_avx512_bitalg() && g_pixel_pairs.load(std::memory_order_relaxed)) {
    run_rows_bitalg<M>(a, row_begin, row_end, ox_begin, ox_end, oc_begin, oc_end, block, gate, src2, open);
  } else {
    run_rows_body<M, false>(a, row_begin, row_end, ox_begin, ox_end, oc_begin, oc_end, block, gate, src2,
                            open);
  }
}

void run_rows(const BConv2dArgs& a, int row_begin, int row_end, int ox_begin, int ox_end, int oc_begin,
              int oc_end, void* block = nullptr, const GateEpilogue* gate = nullptr) {
  if (gate != nullptr) {
    run_rows_impl<kGate>(a, row_begin, row_end, ox_begin, ox_end, oc_begin, oc_end, block, gate, nullptr,
                         nullptr);
  } else {
    run_rows_impl<kPlain>(a, row_begin, row_end, ox_begin, ox_end, oc_begin, oc_end, block, nullptr, nullptr,
                          nullptr);
  }
}

}  // namespace

void avx512_6x4_run_segment(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, int oc_begin,
                            int oc_end, void* block) {
  const int row = b * a.g.oh() + oy;
  run_rows(a, row, row + 1, ox_begin, ox_end, oc_begin, oc_end, block);
}

void avx512_6x4_run_segment_gated(const BConv2dArgs& a, int b, int oy, int ox_begin, int ox_end, void* block,
                                  const GateEpilogue& gate) {
  const int row = b * a.g.oh() + oy;
  run_rows(a, row, row + 1, ox_begin, ox_end, 0, a.g.oc, block, &gate);
}

void avx512_6x4_run_rows_gated(const BConv2dArgs& a, int row_begin, int row_end, void* block,
                               const GateEpilogue& gate) {
  run_rows(a, row_begin, row_end, 0, a.g.ow(), 0, a.g.oc, block, &gate);
}

void avx512_6x4_run_segment_two_plane(const BConv2dArgs& a, const Word* src_lsb, int b, int oy, int ox_begin,
                                      int ox_end, const GateEpilogue& gate, int64_t* open_count) {
  const int row = b * a.g.oh() + oy;
  run_rows_impl<kTwoPlane>(a, row, row + 1, ox_begin, ox_end, 0, a.g.oc, nullptr, &gate, src_lsb, open_count);
}

namespace {

// 1x1 unpadded layers with ic <= 128 (K32 <= 4 dword steps per pixel), float or packed-bit output. The
// general tile reloads its weights every 6 pixels and its output parameters every pixel (base, scale and
// bias: 3 loads per vector for float output), which with so few steps per pixel keeps the load ports as busy
// as the vector pipes. Here a pass over NR vectors of channels keeps its weights and output parameters in
// registers for a whole list of pixel runs; per pixel only K32 broadcast loads and the stores remain
// (measured on 1x1 56x56x64 and 28x28x128, s1 and s2: float output 12-28 %, bits 20-37 % faster). The
// arithmetic is the general tile's, so the results are identical.
constexpr int kPwMr = 8;  // pixels per unrolled step of a run

// Calls f.template operator()<N>() with N = n, for 1 <= n <= kMax: a run-time count as a compile-time one.
template <int kMax, class F>
[[gnu::always_inline]] inline void with_count(int n, F&& f) {
  if constexpr (kMax > 1) {
    if (n < kMax) return with_count<kMax - 1>(n, f);
  }
  f.template operator()<kMax>();
}

struct PwRun {
  const char* src;   // first pixel's activation bytes
  ptrdiff_t src_px;  // bytes between consecutive pixels of the run
  char* dst;         // first pixel's output (the layer's first channel)
  ptrdiff_t dst_px;  // bytes between output pixels
  int count;         // pixels
};

// One pass: output channels [c0, c0 + 16 * NR) of every pixel of the runs.
struct PwPass {
  int c0;
  const uint32_t* w;  // weights of the pass's first vector (packed group layout, see pack_weights)
  int group_nv;       // vectors of its group: the stride between dword steps is group_nv * 16
  ptrdiff_t step_bytes;
  __mmask16 lanes[4];  // channels < oc
  int ic;
  bool store8;  // kBits: the pass ends its output word (write all 64 bits, padding zero) or not (32 bits)
};

// kHalf (float output, ic = 32 * K32 with K32 even): the first K32 / 2 dword steps add the popcount of the
// XNOR (32 - popcount of the XOR), the others subtract that of the XOR, so acc = ic / 2 - popcount sum and
// D = 2 * acc: float(D) * scale = float(acc) * (2 * scale) exactly (both products of exact values, one
// rounding), which drops the FNMADD that forms D: 3 vector ops per output vector instead of 4. Needs
// 2 * scale finite: the caller checks |scale| < 2^126.
template <int K32, int NR, OutputKind kKind, bool kHalf = false>
void pointwise_pass(const BConv2dArgs& a, const PwRun* runs, int nruns, const PwPass& p) {
  static_assert(kKind == OutputKind::kFloat || kKind == OutputKind::kBits);
  static_assert(!kHalf || (kKind == OutputKind::kFloat && K32 % 2 == 0));
  __m512i wv[K32][NR];
#pragma GCC unroll 8
  for (int n = 0; n < NR; ++n)
#pragma GCC unroll 8
    for (int k = 0; k < K32; ++k) wv[k][n] = _mm512_loadu_si512(p.w + (k * p.group_nv + n) * kLanes);
  __mmask16 lk[NR];
  [[maybe_unused]] __m512 sc[NR], bi[NR];
  [[maybe_unused]] __m512i half[NR];
  [[maybe_unused]] uint64_t flip = 0;
  const __m512 basev = _mm512_set1_ps(static_cast<float>(p.ic));  // 1x1: every tap exists, base = ic
  const __m512 two = _mm512_set1_ps(2.0f);
#pragma GCC unroll 8
  for (int n = 0; n < NR; ++n) {
    lk[n] = p.lanes[n];
    const int c = p.c0 + n * kLanes;
    if constexpr (kKind == OutputKind::kFloat) {
      sc[n] = _mm512_maskz_loadu_ps(lk[n], a.out.scale + c);
      if constexpr (kHalf) sc[n] = _mm512_add_ps(sc[n], sc[n]);
      bi[n] = _mm512_maskz_loadu_ps(lk[n], a.out.bias + c);
    } else {
      // As set_base: bit = (acc > half) ^ flip with half = (base - t) >> 1, t clamped to +-2^29; channels
      // past oc get INT32_MAX (bit 0).
      const __m512i lim = _mm512_set1_epi32(1 << 29);
      const __m512i t =
          _mm512_max_epi32(_mm512_min_epi32(_mm512_maskz_loadu_epi32(lk[n], a.out.threshold + c), lim),
                           _mm512_sub_epi32(_mm512_setzero_si512(), lim));
      half[n] = _mm512_mask_blend_epi32(lk[n], _mm512_set1_epi32(INT32_MAX),
                                        _mm512_srai_epi32(_mm512_sub_epi32(_mm512_set1_epi32(p.ic), t), 1));
      const __m128i f = _mm_maskz_loadu_epi8(lk[n], a.out.flip + c);
      flip |= static_cast<uint64_t>(_mm_test_epi8_mask(f, f)) << (16 * n);
    }
  }
  // Copies: the output stores may alias anything the pass reads through p.
  const bool store8 = p.store8;
  const ptrdiff_t step_bytes = p.step_bytes;
  // Pixel by pixel: only the NR accumulators of one pixel are live between pixels, so the weights and
  // parameters stay in registers; the out-of-order core overlaps consecutive pixels.
  auto pixels = [&]<int MR>(const char* s, ptrdiff_t src_px, char* d, ptrdiff_t dst_px) {
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) {
      __m512i acc[NR];
#pragma GCC unroll 8
      for (int k = 0; k < K32; ++k) {
        const __m512i x = _mm512_set1_epi32(static_cast<int>(load_u32(s + m * src_px + k * step_bytes)));
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) {
          if (kHalf && k < K32 / 2) {
            // XNOR: the ternary-logic truth table 0xC3 is 1 where the first two inputs agree.
            const __m512i pc = _mm512_popcnt_epi32(_mm512_ternarylogic_epi32(x, wv[k][n], wv[k][n], 0xC3));
            acc[n] = k == 0 ? pc : _mm512_add_epi32(acc[n], pc);
          } else if (kHalf) {
            acc[n] = _mm512_sub_epi32(acc[n], _mm512_popcnt_epi32(_mm512_xor_si512(x, wv[k][n])));
          } else {
            const __m512i pc = _mm512_popcnt_epi32(_mm512_xor_si512(x, wv[k][n]));
            acc[n] = k == 0 ? pc : _mm512_add_epi32(acc[n], pc);
          }
        }
      }
      char* o = d + m * dst_px;
      if constexpr (kKind == OutputKind::kFloat) {
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) {
          const __m512 v = kHalf ? _mm512_cvtepi32_ps(acc[n])  // times 2 * scale
                                 : _mm512_fnmadd_ps(_mm512_cvtepi32_ps(acc[n]), two, basev);
          _mm512_mask_storeu_ps(reinterpret_cast<float*>(o) + n * kLanes, lk[n],
                                _mm512_add_ps(_mm512_mul_ps(v, sc[n]), bi[n]));
        }
      } else {
        __mmask16 gt[4] = {0, 0, 0, 0};
#pragma GCC unroll 8
        for (int n = 0; n < NR; ++n) gt[n] = _mm512_cmpgt_epi32_mask(acc[n], half[n]);
        if constexpr (NR > 2) {
          const __mmask64 word =
              _mm512_kunpackd(_mm512_kunpackw(gt[3], gt[2]), _mm512_kunpackw(gt[1], gt[0]));
          _store_mask64(reinterpret_cast<__mmask64*>(o), _kxor_mask64(word, flip));
        } else {
          const uint32_t bits = (static_cast<uint32_t>(gt[1]) << 16 | gt[0]) ^ static_cast<uint32_t>(flip);
          if (store8) {
            const uint64_t word = bits;
            std::memcpy(o, &word, sizeof word);
          } else {
            std::memcpy(o, &bits, sizeof bits);
          }
        }
      }
    }
  };
  const ptrdiff_t off = kKind == OutputKind::kBits ? p.c0 / 8 : static_cast<ptrdiff_t>(p.c0) * 4;
  for (int r = 0; r < nruns; ++r) {
    const PwRun& run = runs[r];
    const char* s = run.src;
    char* d = run.dst + off;
    int left = run.count;
    for (; left >= kPwMr; left -= kPwMr, s += kPwMr * run.src_px, d += kPwMr * run.dst_px)
      pixels.template operator()<kPwMr>(s, run.src_px, d, run.dst_px);
    // The rest unrolled too (one pixel at a time measured 20 % slower on 1x1 56x56x64 s2 bits: 28-pixel
    // rows).
    if (left > 0)
      with_count<kPwMr - 1>(left,
                            [&]<int MR>() { pixels.template operator()<MR>(s, run.src_px, d, run.dst_px); });
  }
}

template <int K32, OutputKind kKind>
void pointwise_passes(const BConv2dArgs& a, const Layout& lay, const PwRun* runs, int nruns) {
  // A pass holds K32 * NR weight vectors and ~2 * NR + 2 parameters; what is left must hold the pixel's
  // accumulators and temporaries (measured: 4 vectors at K32 = 4 spill, 40 % slower than two passes of 2).
  constexpr int kNr = K32 <= 2 ? 4 : 2;
  const int oc = a.g.oc;
  // pointwise_pass's kHalf: every dword step full (ic = 32 * K32) and 2 * scale finite.
  bool half_ok = false;
  if constexpr (kKind == OutputKind::kFloat && K32 % 2 == 0) {
    half_ok = a.g.ic == 32 * K32 &&
              std::all_of(a.out.scale, a.out.scale + oc, [](float s) { return std::fabs(s) < 0x1p126f; });
  }
  const auto* packed = reinterpret_cast<const uint32_t*>(a.weights);
  for (int c0 = 0; c0 < oc; c0 += kNr * kLanes) {
    PwPass p;
    p.c0 = c0;
    const int grp = c0 / kGroupChannels;
    p.group_nv = std::min(kGroupVecs, lay.nvec - grp * kGroupVecs);
    p.w = packed + grp * lay.group_dwords() + (c0 % kGroupChannels);
    p.step_bytes = lay.step_bytes();
    p.ic = a.g.ic;
    for (int n = 0; n < 4; ++n) {
      const int left = oc - (c0 + n * kLanes);
      p.lanes[n] = left >= kLanes ? 0xFFFF : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
    }
    // kBits with 32-channel passes: the low half of a word is followed by the high half's pass unless the
    // layer ends within it; then this pass writes the whole word, its padding bits zero.
    p.store8 = c0 % kGroupChannels == 0 && c0 + 2 * kLanes >= oc;
    auto pass = [&]<bool kHalf>() {
      switch (std::min(kNr, (oc - c0 + kLanes - 1) / kLanes)) {
        case 1:
          pointwise_pass<K32, 1, kKind, kHalf>(a, runs, nruns, p);
          break;
        case 2:
          pointwise_pass<K32, 2, kKind, kHalf>(a, runs, nruns, p);
          break;
        case 3:
          pointwise_pass<K32, 3, kKind, kHalf>(a, runs, nruns, p);
          break;
        default:
          pointwise_pass<K32, kNr, kKind, kHalf>(a, runs, nruns, p);
          break;
      }
    };
    if constexpr (kKind == OutputKind::kFloat && K32 % 2 == 0) {
      if (half_ok) {
        pass.template operator()<true>();
        continue;
      }
    }
    pass.template operator()<false>();
  }
}

template <OutputKind kKind>
void pointwise_k(const BConv2dArgs& a, const Layout& lay, const PwRun* runs, int nruns) {
  switch (lay.k32) {
    case 1:
      pointwise_passes<1, kKind>(a, lay, runs, nruns);
      break;
    case 2:
      pointwise_passes<2, kKind>(a, lay, runs, nruns);
      break;
    case 3:
      pointwise_passes<3, kKind>(a, lay, runs, nruns);
      break;
    default:
      pointwise_passes<4, kKind>(a, lay, runs, nruns);
      break;
  }
}

// True (and done) if output rows [row_begin, row_end) are a 1x1 unpadded layer with ic <= 128 and float or
// bit output: see pointwise_pass. Stride 1: one run of pixels across rows (is_pointwise); otherwise one run
// per output row.
bool pointwise_small(const BConv2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  const Layout lay(g);
  if (a.out.kind == OutputKind::kInt32 || g.kh != 1 || g.kw != 1 || g.ph != 0 || g.pw != 0 || lay.k32 > 4)
    return false;
  auto run = [&](const PwRun* runs, int nruns) {
    if (a.out.kind == OutputKind::kFloat) {
      pointwise_k<OutputKind::kFloat>(a, lay, runs, nruns);
    } else {
      pointwise_k<OutputKind::kBits>(a, lay, runs, nruns);
    }
  };
  const ptrdiff_t px = static_cast<ptrdiff_t>(words_for(g.ic)) * sizeof(Word);
  const ptrdiff_t opx = output_pixel_bytes(a.out.kind, g.oc);
  const int ow = g.ow(), oh = g.oh();
  const char* src = reinterpret_cast<const char*>(a.src);
  char* dst = static_cast<char*>(a.dst);
  if (is_pointwise(g)) {
    const PwRun one{src + row_begin * ow * px, px, dst + row_begin * ow * opx, opx,
                    (row_end - row_begin) * ow};
    run(&one, 1);
    return true;
  }
  constexpr int kChunk = 64;  // rows per list of runs (each pass loads its weights once per list)
  PwRun runs[kChunk];
  for (int r0 = row_begin; r0 < row_end; r0 += kChunk) {
    const int nr = std::min(kChunk, row_end - r0);
    for (int i = 0; i < nr; ++i) {
      const int row = r0 + i, b = row / oh, oy = row % oh;
      runs[i] = PwRun{src + ((static_cast<ptrdiff_t>(b) * g.ih + oy * g.sh) * g.iw) * px, g.sw * px,
                      dst + static_cast<ptrdiff_t>(row) * ow * opx, opx, ow};
    }
    run(runs, nr);
  }
  return true;
}

}  // namespace

void avx512_6x4_set_pixel_pairs(bool on) {
  g_pixel_pairs.store(on, std::memory_order_relaxed);
}

void avx512_6x4_run(const BConv2dArgs& a, int row_begin, int row_end) {
  const ConvGeometry& g = a.g;
  if (pointwise_small(a, row_begin, row_end)) return;
  if (is_pointwise(g)) {
    // Output pixel p reads input pixel p: the rows form one run of pixels, tiled across row ends.
    run_rows(as_pixel_run(a), 0, 1, row_begin * g.ow(), row_end * g.ow(), 0, g.oc);
    return;
  }
  if (g.kh == 1 && g.kw == 1 && g.ph == 0 && g.pw == 0 && g.ow() < 2 * kMr) {
    // A strided 1x1 layer with short output rows: its input pixels, gathered into a contiguous buffer, are a
    // pointwise layer over the output pixels, tiled across row ends like the stride-1 case. Row by row, a row
    // of 7 pixels runs a tile of 6 and one of 1, a row of 4 one partial tile (measured: 14x14x256 and 7x7x512
    // stride 2 12 % and 5 % faster gathered; at 14 or 28 pixels a row the gather cost what it saved).
    constexpr int kBufWords = 2048;
    Word
        buf[kBufWords];  // not over-aligned: ASan's fake stack does not honour alignas(64) (fracconv/gated.h)
    const int icw = words_for(g.ic), ow = g.ow(), oh = g.oh();
    const int chunk = std::max(1, kBufWords / icw);
    const int px_bytes = output_pixel_bytes(a.out.kind, g.oc);
    const ptrdiff_t step = static_cast<ptrdiff_t>(g.sw) * icw;
    int row = row_begin, ox = 0;  // the next pixel to gather
    for (int p0 = row_begin * ow, end = row_end * ow; p0 < end; p0 += chunk) {
      const int cnt = std::min(chunk, end - p0);
      Word* out = buf;
      for (int left = cnt; left > 0;) {
        const int b = row / oh, oy = row % oh, run = std::min(left, ow - ox);
        const Word* in = a.src + ((static_cast<ptrdiff_t>(b) * g.ih + oy * g.sh) * g.iw + ox * g.sw) * icw;
        if (icw == 1) {
          for (int i = 0; i < run; ++i) out[i] = in[i * step];
        } else {
          for (int i = 0; i < run; ++i) std::copy(in + i * step, in + i * step + icw, out + i * icw);
        }
        out += static_cast<ptrdiff_t>(run) * icw;
        left -= run;
        ox += run;
        if (ox == ow) {
          ox = 0;
          ++row;
        }
      }
      BConv2dArgs r = a;
      r.g = ConvGeometry{1, 1, cnt, g.ic, g.oc, 1, 1, 1, 1, 0, 0};
      r.src = buf;
      r.dst = static_cast<char*>(a.dst) + static_cast<ptrdiff_t>(p0) * px_bytes;
      run_rows(r, 0, 1, 0, cnt, 0, g.oc);
    }
    return;
  }
  run_rows(a, row_begin, row_end, 0, g.ow(), 0, g.oc);
}

}  // namespace bnnkit::kernels::bconv2d_detail

#endif  // defined(__x86_64__)
