// The gated fractional convolution (gated.h) for AVX2: MSB pass by bconv2d avx2_4x2; the gate compare and the
// dense pass's epilogue 8 channels per instruction (VPCMPGTD, VMOVMSKPS; 2 * D_msb + D_lsb blended where a
// gate is open, then the output stage: a multiply then an add for floats, as output_stage.h); the per-pair
// LSB dot products and the sparse pass's epilogue are the scalar steps of gated.h, compiled here with
// -mpopcnt (hardware POPCNT on 64-bit words), which at the densities where the sparse path runs is cheaper
// than gathering channels into AVX2 lanes.
#if defined(__x86_64__)  // x86-64 only; variants.cc lists this variant under the same condition
#include <immintrin.h>

#include <bit>

#include "kernels/bconv2d/variant_impls.h"
#include "kernels/elementwise/simd.h"  // Avx2::tail
#include "kernels/fracconv/gated.h"
#include "kernels/fracconv/variant_impls.h"

namespace bnnkit::kernels::fracconv_detail {
namespace {

constexpr int kLanes = 8;

// Bits [0, 8) of m as all-ones/zero lanes.
inline __m256i lanes_of_bits(unsigned m) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(m)), bit), bit);
}

struct Avx2Traits : ScalarTraits<bconv2d_detail::avx2_4x2_run_segment> {
  // gates_scalar, 8 channels per compare.
  static int gates(const int32_t* dm, int npix, int oc, const int32_t* thr, uint16_t* masks) {
    const int nv = (oc + 15) / 16;
    int open = 0;
    for (int p = 0; p < npix; ++p) {
      const int32_t* d = dm + static_cast<size_t>(p) * oc;
      for (int v = 0; v < nv; ++v) {
        unsigned m = 0;
        for (int h = 0; h < 2; ++h) {
          const int c = 16 * v + kLanes * h, count = oc - c;
          if (count <= 0) break;
          const __m256i in = Avx2::tail(count);
          const __m256i gt =
              _mm256_cmpgt_epi32(_mm256_maskload_epi32(d + c, in), _mm256_maskload_epi32(thr + c, in));
          m |= static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_and_si256(gt, in))))
               << (8 * h);
        }
        masks[p * nv + v] = static_cast<uint16_t>(m);
        open += std::popcount(m);
      }
    }
    return open;
  }

  // The dense pass's epilogue (D_lsb of every channel in px.dlsb) 8 channels at a time; the sparse pass's
  // (open-channel sums in px.pcs) stays scalar.
  static void finish(const OutputStage& out, int oc, const PixelOut& px) {
    if (px.dlsb == nullptr) return finish_scalar(out, oc, px);
    uint64_t word = 0;
    for (int c = 0; c < oc; c += kLanes) {
      const int count = oc - c;
      const __m256i in = Avx2::tail(count);
      const unsigned open = (px.masks[c / 16] >> (c % 16)) & 0xFFu;
      const __m256i two_msb = _mm256_slli_epi32(_mm256_maskload_epi32(px.dmsb + c, in), 1);
      const __m256i lsb = _mm256_and_si256(_mm256_maskload_epi32(px.dlsb + c, in), lanes_of_bits(open));
      const __m256i acc = _mm256_add_epi32(two_msb, lsb);
      switch (out.kind) {
        case OutputKind::kInt32:
          _mm256_maskstore_epi32(static_cast<int32_t*>(px.dst) + c, in, acc);
          break;
        case OutputKind::kFloat: {
          const __m256 prod = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_maskload_ps(out.scale + c, in));
          _mm256_maskstore_ps(static_cast<float*>(px.dst) + c, in,
                              _mm256_add_ps(prod, _mm256_maskload_ps(out.bias + c, in)));
          break;
        }
        case OutputKind::kBits: {
          // bit 1 (value -1) iff (acc >= threshold) == flip (output_stage.h).
          const __m256i lt = _mm256_cmpgt_epi32(_mm256_maskload_epi32(out.threshold + c, in), acc);
          unsigned flip = 0;
          for (int i = 0; i < std::min(count, kLanes); ++i) flip |= (out.flip[c + i] != 0 ? 1u : 0u) << i;
          const auto ge = static_cast<unsigned>(~_mm256_movemask_ps(_mm256_castsi256_ps(lt))) & 0xFFu;
          const unsigned valid = count >= kLanes ? 0xFFu : (1u << count) - 1;
          word |= static_cast<uint64_t>(~(ge ^ flip) & valid) << (c % kWordBits);
          if ((c + kLanes) % kWordBits == 0 || c + kLanes >= oc) {
            static_cast<Word*>(px.dst)[c / kWordBits] = word;
            word = 0;
          }
          break;
        }
      }
    }
  }
};

using Variant = GatedVariant<bconv2d_detail::avx2_4x2_packed_weight_words,
                             bconv2d_detail::avx2_4x2_pack_weights, Avx2Traits>;

}  // namespace

size_t avx2_gated_packed_weight_words(const ConvGeometry& g) {
  return Variant::packed_weight_words(g);
}

void avx2_gated_pack_weights(const ConvGeometry& g, const Word* ref, Word* packed) {
  Variant::pack_weights(g, ref, packed);
}

void avx2_gated_run(const FracConv2dArgs& a, int row_begin, int row_end) {
  Variant::run(a, row_begin, row_end);
}

}  // namespace bnnkit::kernels::fracconv_detail

#endif  // defined(__x86_64__)
