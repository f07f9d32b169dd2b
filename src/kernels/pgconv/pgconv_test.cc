// Tests of the PG quantizer and convolution (pgconv.h).
//
//   PGQuant.*              the quantizer against hand-computed codes, the tie rule, per-image scales, an
//   all-zero
//                          image and non-finite images.
//   PGConv2dReference.*    pgconv2d_reference against math written independently here: the codes re-derived
//                          from x in float, the high/low parts and the convolution summed in double over an
//                          explicitly zero-padded copy (exact for these integers), the gate and the output in
//                          the float order of pgconv.h; plus the trainer's float formulation (x_hb = sgn * s
//                          * q_hb / top, w * s_w) to a relative tolerance. Every case also runs in row
//                          slices.
//   PGConv2dVariants.*     every variant the CPU runs against the reference, byte for byte, with the
//                          open-gate counts, in 3 row slices on a sentinel-filled buffer.
// Shapes: ic 1..130 (word tails), 1x1 / 3x3 / 2x3, strides 1 and 2, padding 0 and 1, odd sizes; bits (B, hb,
// wb) from W8 A3 hb2 and A4 hb2 to W2 and binary weights; gates mixed (thresholds at observed values, so ties
// occur), all open (-inf), all closed (+inf), NaN (closed), and mostly open (7 or 8 of every 8 channels: the
// AVX-512 variant's dense low-part blocks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/pgconv/pgconv.h"
#include "kernels/pgconv/variants.h"
#include "test_util.h"

namespace bnnkit::kernels {
namespace {

using ::bnnkit::testing::make_rng;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr unsigned char kSentinel = 0x5A;

// The code of channel c of pixel p (value +-q) read back from planes.
int plane_code(const std::vector<Word>& planes, int bits, int channels, int64_t p, int c) {
  const int cw = words_for(channels);
  const Word* px = planes.data() + p * pg_pixel_words(bits, channels);
  int pos = 0, neg = 0;
  for (int i = 0; i < bits; ++i) {
    pos += get_bit(px + i * cw, c) ? 1 << i : 0;
    neg += get_bit(px + (bits + i) * cw, c) ? 1 << i : 0;
  }
  EXPECT_TRUE(pos == 0 || neg == 0) << "channel " << c << " is both positive and negative";
  return pos - neg;
}

std::vector<Word> quantize(const std::vector<float>& x, int n, int64_t pixels, int channels, int bits,
                           std::vector<float>& scale) {
  std::vector<Word> planes(static_cast<size_t>(n * pixels * pg_pixel_words(bits, channels)), ~Word{0});
  scale.assign(n, -1.0f);
  PGQuantArgs q{n, pixels, channels, bits, x.data(), planes.data(), scale.data()};
  pgquant_reference(q, 0, n);
  return planes;
}

TEST(PGQuant, HandComputedCodes) {
  // Image 0: max |x| = 7, and 7 + 1e-7f rounds to 7 in float32 (spacing 4.8e-7), so s = 7 and with B = 3
  // (top = 7) q = floor(|x| + 0.5): 2.5 -> 3 (ties go up), 0.5 -> 1, 1.49 -> 1, -3.6 -> -4, -7 -> -7.
  // Image 1: max 2 -> s = 2, q = floor(|x| * 3.5 + 0.5): 1 -> 4, -0.3 -> -1 (1.55), -0.0 -> 0.
  const std::vector<float> x = {2.5f, 0.5f,  1.49f, -3.6f, -7.0f, 0.0f,  //
                                1.0f, -0.3f, -0.0f, 2.0f,  0.1f,  -2.0f};
  std::vector<float> s;
  const auto planes = quantize(x, 2, 2, 3, 3, s);
  EXPECT_EQ(s[0], 7.0f);
  EXPECT_EQ(s[1], 2.0f);
  const int want[] = {3, 1, 1, -4, -7, 0, 4, -1, 0, 7, 0, -7};
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(plane_code(planes, 3, 3, i / 3, i % 3), want[i]) << "element " << i << " x " << x[i];
  // Tail bits zero: only channels 0..2 of each plane may be set.
  for (const Word w : planes) EXPECT_EQ(w & ~Word{7}, 0u);
}

TEST(PGQuant, SmallScaleAndZeroImage) {
  // s = max + 1e-7f matters for small images: max 1e-7 gives s = 2e-7 and q(1e-7) = floor(0.5 * 15 + 0.5)
  // = 8.
  const std::vector<float> x = {1e-7f, 0.0f, 0.0f, 0.0f};
  std::vector<float> s;
  const auto planes = quantize(x, 2, 1, 2, 4, s);
  EXPECT_EQ(s[0], 1e-7f + 1e-7f);
  EXPECT_EQ(s[1], 1e-7f);
  EXPECT_EQ(plane_code(planes, 4, 2, 0, 0), 8);
  EXPECT_EQ(plane_code(planes, 4, 2, 0, 1), 0);
  EXPECT_EQ(plane_code(planes, 4, 2, 1, 0), 0);
}

TEST(PGQuant, NonFiniteImageGetsNaNScaleAndZeroPlanes) {
  for (const float bad : {kNaN, kInf, -kInf}) {
    std::vector<float> x = {1.0f, -2.0f, 0.5f, 0.25f, bad, 3.0f, 1.0f, -1.0f};
    std::vector<float> s;
    const auto planes = quantize(x, 2, 2, 2, 3, s);
    EXPECT_EQ(s[0], 2.0f);
    EXPECT_TRUE(std::isnan(s[1])) << bad;
    EXPECT_EQ(plane_code(planes, 3, 2, 0, 1), -7);
    for (int64_t p = 2; p < 4; ++p)
      for (int c = 0; c < 2; ++c) EXPECT_EQ(plane_code(planes, 3, 2, p, c), 0) << bad;
  }
}

// ---- convolution cases ----------------------------------------------------------------------------------
struct Spatial {
  const char* name;
  int n, ih, iw, kh, kw, sh, sw, ph, pw;
};
constexpr Spatial kSpatial[] = {
    {"n2_5x7_k3s1p1", 2, 5, 7, 3, 3, 1, 1, 1, 1},   {"n1_6x5_k3s2p1", 1, 6, 5, 3, 3, 2, 2, 1, 1},
    {"n2_4x5_k1s1p0", 2, 4, 5, 1, 1, 1, 1, 0, 0},   {"n1_7x6_k3s2p0", 1, 7, 6, 3, 3, 2, 2, 0, 0},
    {"n1_5x5_k1s2p0", 1, 5, 5, 1, 1, 2, 2, 0, 0},   {"n2_1x1_k3s1p1", 2, 1, 1, 3, 3, 1, 1, 1, 1},
    {"n1_4x6_k2x3s1p1", 1, 4, 6, 2, 3, 1, 1, 1, 1},
};
struct Chan {
  int ic, oc;
};
constexpr Chan kChan[] = {{1, 3}, {3, 9}, {63, 8}, {64, 17}, {65, 5}, {127, 9}, {130, 12}};
struct Bits {
  int b, hb, wb;
};
constexpr Bits kBits[] = {{3, 2, 8}, {4, 2, 8}, {2, 1, 2}, {4, 2, 2}, {3, 1, 1},
                          {5, 3, 4}, {8, 4, 8}, {8, 7, 3}, {6, 3, 5}};
// kMostlyOpen: one channel in 8 at an observed value, the rest -inf (blocks of 8 with 7 or 8 open gates).
enum class Gates { kMixed, kOpen, kClosed, kNaN, kMostlyOpen };
const char* gates_name(Gates g) {
  return g == Gates::kMixed    ? "mixed"
         : g == Gates::kOpen   ? "open"
         : g == Gates::kClosed ? "closed"
         : g == Gates::kNaN    ? "nan"
                               : "mostlyopen";
}

struct Case {
  Spatial sp;
  Chan ch;
  Bits bits;
  Gates gates;
  OutputKind kind;
  std::string name() const {
    return std::string(sp.name) + "_ic" + std::to_string(ch.ic) + "_oc" + std::to_string(ch.oc) + "_A" +
           std::to_string(bits.b) + "hb" + std::to_string(bits.hb) + "W" + std::to_string(bits.wb) + "_" +
           gates_name(gates) + (kind == OutputKind::kInt32 ? "_int32" : "_float");
  }
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name();
}

// A spread of cases: every spatial shape, channel pair and bit combination appears, each with several gate
// modes and both output kinds (a full cross product would be ~800 reference runs).
std::vector<Case> cases() {
  std::vector<Case> v;
  const int ns = std::size(kSpatial), nc = std::size(kChan), nb = std::size(kBits);
  for (int i = 0; i < 28; ++i) {
    for (int gm = 0; gm < 5; ++gm) {
      const Gates gates = static_cast<Gates>(gm);
      if (gates == Gates::kNaN && i % 4 != 0) continue;
      v.push_back({kSpatial[i % ns], kChan[(i / 2 + i) % nc], kBits[(i * 3 + gm) % nb], gates,
                   (i + gm) % 2 == 0 ? OutputKind::kFloat : OutputKind::kInt32});
    }
  }
  return v;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (const char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

// One problem: data, quantized planes, codes, per-channel parameters, and the independently computed
// expectations.
struct Problem {
  ConvGeometry g;
  int b = 3, hb = 2, wb = 8;
  float weight_step = 0.01f;
  OutputKind kind = OutputKind::kFloat;
  std::vector<float> x, s, delta, scale, bias;
  std::vector<Word> planes;
  std::vector<int32_t> codes;
  // Expected: acc per output, float output, open flags.
  std::vector<int32_t> acc;
  std::vector<float> out;
  std::vector<char> open;
  std::vector<double> trainer;  // the trainer's float formulation of O = O_hb + gate * O_lb

  PGConv2dArgs args(void* dst, const Word* packed = nullptr) const {
    PGConv2dArgs a;
    a.g = g;
    a.act_bits = b, a.high_bits = hb, a.weight_bits = wb;
    a.src = planes.data();
    a.src_scale = s.data();
    a.codes = codes.data();
    a.packed = packed;
    a.weight_step = weight_step;
    a.delta = delta.data();
    a.kind = kind;
    a.scale = scale.data();
    a.bias = bias.data();
    a.dst = dst;
    return a;
  }
  size_t out_count() const { return static_cast<size_t>(g.n) * g.oh() * g.ow() * g.oc; }
};

Problem make_problem(const Case& c) {
  auto rng = make_rng(fnv1a(c.name()));
  Problem p;
  ConvGeometry& g = p.g;
  g.n = c.sp.n, g.ih = c.sp.ih, g.iw = c.sp.iw, g.ic = c.ch.ic, g.oc = c.ch.oc;
  g.kh = c.sp.kh, g.kw = c.sp.kw, g.sh = c.sp.sh, g.sw = c.sp.sw, g.ph = c.sp.ph, g.pw = c.sp.pw;
  p.b = c.bits.b, p.hb = c.bits.hb, p.wb = c.bits.wb, p.kind = c.kind;
  const int64_t pixels = static_cast<int64_t>(g.ih) * g.iw;
  // Inputs: a different scale per image, some exact zeros and negative zeros.
  std::normal_distribution<float> normal(0.0f, 1.0f);
  p.x.resize(static_cast<size_t>(g.n * pixels * g.ic));
  for (size_t i = 0; i < p.x.size(); ++i) {
    const int img = static_cast<int>(i / (pixels * g.ic));
    const int r = static_cast<int>(rng() % 16);
    p.x[i] = r == 0 ? 0.0f : r == 1 ? -0.0f : normal(rng) * (1.0f + 3.0f * img);
  }
  p.planes = quantize(p.x, g.n, pixels, g.ic, p.b, p.s);
  const int wmax = p.wb == 1 ? 1 : (1 << (p.wb - 1)) - 1;
  p.codes.resize(static_cast<size_t>(g.oc) * g.kh * g.kw * g.ic);
  for (auto& w : p.codes) {
    w = static_cast<int32_t>(rng() % (2 * wmax + 1)) - wmax;
    if (p.wb == 1) w = (rng() & 1) ? 1 : -1;
  }
  p.weight_step = 0.5f / static_cast<float>(wmax);
  std::uniform_real_distribution<float> scale(-2.0f, 2.0f), bias(-1.0f, 1.0f);
  for (int o = 0; o < g.oc; ++o) p.scale.push_back(scale(rng)), p.bias.push_back(bias(rng));

  // Independent math: codes from x, a padded copy, double sums.
  const float top = static_cast<float>((1 << p.b) - 1);
  const int lb = p.b - p.hb;
  const int hp = g.ih + 2 * g.ph, wp = g.iw + 2 * g.pw;
  std::vector<double> a_hb(static_cast<size_t>(g.n) * hp * wp * g.ic, 0.0), a_lb(a_hb.size(), 0.0);
  std::vector<double> x_hb(a_hb.size(), 0.0), x_lb(a_hb.size(), 0.0);  // the trainer's values
  for (int bi = 0; bi < g.n; ++bi) {
    float m = 0.0f;
    for (int64_t i = 0; i < pixels * g.ic; ++i) m = std::max(m, std::fabs(p.x[bi * pixels * g.ic + i]));
    const float s = m + 1e-7f;
    for (int y = 0; y < g.ih; ++y)
      for (int xx = 0; xx < g.iw; ++xx)
        for (int ch = 0; ch < g.ic; ++ch) {
          const float v = p.x[((static_cast<size_t>(bi) * g.ih + y) * g.iw + xx) * g.ic + ch];
          const float r = std::min(std::fabs(v) / s, 1.0f);
          const int q = static_cast<int>(std::floor(r * top + 0.5f));
          const int sign = v < 0.0f ? -1 : 1;
          const int qh = q / (1 << lb) * (1 << lb);
          const size_t at = ((static_cast<size_t>(bi) * hp + y + g.ph) * wp + xx + g.pw) * g.ic + ch;
          a_hb[at] = sign * qh;
          a_lb[at] = sign * (q - qh);
          x_hb[at] = sign * static_cast<double>(s) * qh / top;
          x_lb[at] = sign * static_cast<double>(s) * q / top - x_hb[at];
        }
  }
  const int oh = g.oh(), ow = g.ow();
  const size_t outs = p.out_count();
  std::vector<double> d_hb(outs), d_lb(outs), t_hb(outs), t_lb(outs);
  for (int bi = 0; bi < g.n; ++bi)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < g.oc; ++o) {
          double sh = 0, sl = 0, th = 0, tl = 0;
          for (int i = 0; i < g.kh; ++i)
            for (int j = 0; j < g.kw; ++j)
              for (int ch = 0; ch < g.ic; ++ch) {
                const size_t at =
                    ((static_cast<size_t>(bi) * hp + oy * g.sh + i) * wp + ox * g.sw + j) * g.ic + ch;
                const double w = p.codes[((static_cast<size_t>(o) * g.kh + i) * g.kw + j) * g.ic + ch];
                sh += a_hb[at] * w, sl += a_lb[at] * w;
                th += x_hb[at] * w * p.weight_step, tl += x_lb[at] * w * p.weight_step;
              }
          const size_t idx = ((static_cast<size_t>(bi) * oh + oy) * ow + ox) * g.oc + o;
          d_hb[idx] = sh, d_lb[idx] = sl, t_hb[idx] = th, t_lb[idx] = tl;
        }

  // Thresholds: mixed ones at an observed high-part output (exact ties: "> delta" keeps them closed).
  for (int o = 0; o < g.oc; ++o) {
    switch (c.gates) {
      case Gates::kMixed:
      case Gates::kMostlyOpen: {
        const size_t px = rng() % (outs / g.oc);
        const int bi = static_cast<int>(px / (static_cast<size_t>(oh) * ow));
        const float k = (p.s[bi] / top) * p.weight_step;
        const bool open = c.gates == Gates::kMixed ? o % 3 == 1 : o % 8 != 5;
        p.delta.push_back(open ? -kInf : static_cast<float>(d_hb[px * g.oc + o]) * k);
        break;
      }
      case Gates::kOpen:
        p.delta.push_back(-kInf);
        break;
      case Gates::kClosed:
        p.delta.push_back(kInf);
        break;
      case Gates::kNaN:
        p.delta.push_back(kNaN);
        break;
    }
  }
  p.acc.resize(outs), p.out.resize(outs), p.open.resize(outs), p.trainer.resize(outs);
  for (size_t idx = 0; idx < outs; ++idx) {
    const int o = static_cast<int>(idx % g.oc);
    const int bi = static_cast<int>(idx / (static_cast<size_t>(oh) * ow * g.oc));
    const float k = (p.s[bi] / top) * p.weight_step;
    const bool open = static_cast<float>(d_hb[idx]) * k > p.delta[o];
    const double acc = d_hb[idx] + (open ? d_lb[idx] : 0.0);
    p.open[idx] = open;
    p.acc[idx] = static_cast<int32_t>(acc);
    const float y = static_cast<float>(p.acc[idx]) * k;
    const float z = y * p.scale[o];
    p.out[idx] = z + p.bias[o];
    p.trainer[idx] = t_hb[idx] + (open ? t_lb[idx] : 0.0);
    EXPECT_NEAR(p.trainer[idx], acc * static_cast<double>(k), 1e-4 * (1.0 + std::fabs(p.trainer[idx])))
        << "the integer form disagrees with the trainer's float form at output " << idx;
  }
  return p;
}

// Compares dst with the expectations; returns the number of mismatches.
size_t count_mismatches(const Problem& p, const std::vector<unsigned char>& dst) {
  size_t bad = 0;
  for (size_t i = 0; i < p.out_count(); ++i) {
    if (p.kind == OutputKind::kInt32) {
      int32_t got;
      std::memcpy(&got, dst.data() + i * 4, 4);
      if (got != p.acc[i] && bad++ < 5)
        ADD_FAILURE() << "int32 output " << i << ": " << got << " != " << p.acc[i];
    } else {
      float got;
      std::memcpy(&got, dst.data() + i * 4, 4);
      if (std::memcmp(&got, &p.out[i], 4) != 0 && bad++ < 5)
        ADD_FAILURE() << "float output " << i << ": " << got << " != " << p.out[i] << " (acc " << p.acc[i]
                      << ")";
    }
  }
  return bad;
}

int64_t expected_open(const Problem& p) {
  int64_t n = 0;
  for (const char o : p.open) n += o;
  return n;
}

class PGConv2dReference : public ::testing::TestWithParam<Case> {};

TEST_P(PGConv2dReference, MatchesIndependentMath) {
  const Problem p = make_problem(GetParam());
  const int64_t opens = expected_open(p);
  const auto outs = static_cast<int64_t>(p.out_count());
  switch (GetParam().gates) {
    case Gates::kMostlyOpen:
      if (p.g.oc <= 5) break;  // no thresholded channel
      [[fallthrough]];
    case Gates::kMixed:
      EXPECT_GT(opens, 0) << "MISTRUSTED: no gate opens";
      EXPECT_LT(opens, outs) << "MISTRUSTED: every gate opens";
      break;
    case Gates::kOpen:
      EXPECT_EQ(opens, outs);
      break;
    case Gates::kClosed:
    case Gates::kNaN:
      EXPECT_EQ(opens, 0);
      break;
  }
  const int rows = p.g.n * p.g.oh();
  std::vector<unsigned char> dst(p.out_count() * 4, kSentinel);
  int64_t count = 5;  // the kernel adds to it
  PGConv2dArgs a = p.args(dst.data());
  a.open_count = &count;
  pgconv2d_reference(a, 0, rows);
  EXPECT_EQ(count_mismatches(p, dst), 0u);
  EXPECT_EQ(count, 5 + opens);
  // Row slices, each with its own counter, give the same bytes and total.
  std::vector<unsigned char> sliced(dst.size(), kSentinel);
  int64_t total = 0;
  for (int r = 0; r < rows; r += 2) {
    int64_t c = 0;
    a.dst = sliced.data();
    a.open_count = &c;
    pgconv2d_reference(a, r, std::min(rows, r + 2));
    total += c;
  }
  EXPECT_EQ(sliced, dst);
  EXPECT_EQ(total, opens);
}

INSTANTIATE_TEST_SUITE_P(Cases, PGConv2dReference, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name(); });

class PGConv2dVariants : public ::testing::TestWithParam<Case> {};

TEST_P(PGConv2dVariants, EveryVariantMatchesReference) {
  const Problem p = make_problem(GetParam());
  const int rows = p.g.n * p.g.oh();
  std::vector<unsigned char> want(p.out_count() * 4, kSentinel);
  int64_t want_open = 0;
  PGConv2dArgs ra = p.args(want.data());
  ra.open_count = &want_open;
  pgconv2d_reference(ra, 0, rows);
  int ran = 0;
  for (const PGConv2dVariant& v : pgconv2d_variants()) {
    if (!cpu_supports(v.isa)) {
      std::printf("[ SKIPPED  ] pgconv variant %s: this CPU lacks %s\n", v.name,
                  std::string(isa_name(v.isa)).c_str());
      continue;
    }
    ASSERT_EQ(v.rejects(p.g, p.b, p.hb, p.wb), nullptr) << v.name;
    std::vector<Word> packed(v.packed_weight_words(p.g, p.wb) + 1, 0);
    v.pack_weights(p.g, p.wb, p.codes.data(), packed.data());
    std::vector<unsigned char> got(want.size(), kSentinel);
    int64_t total = 0;
    const int cut1 = rows / 3, cut2 = 2 * rows / 3;
    for (const auto& [b, e] : {std::pair{0, cut1}, std::pair{cut1, cut2}, std::pair{cut2, rows}}) {
      int64_t c = 0;
      PGConv2dArgs a = p.args(got.data(), packed.data());
      a.open_count = &c;
      v.run(a, b, e);
      total += c;
    }
    EXPECT_EQ(got, want) << v.name;
    EXPECT_EQ(total, want_open) << v.name;
    ++ran;
  }
  EXPECT_GE(ran, 2);
}

INSTANTIATE_TEST_SUITE_P(Cases, PGConv2dVariants, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name(); });

// A non-finite image: its outputs are NaN (float) or 0 (int32) with every gate closed, in every variant; the
// other image of the batch is unaffected.
TEST(PGConv2dNonFinite, ImageOutputsNaNOthersUnaffected) {
  Case c{kSpatial[0], {65, 9}, {3, 2, 8}, Gates::kOpen, OutputKind::kFloat};
  Problem p = make_problem(c);
  Problem clean = p;
  p.x[p.x.size() - 3] = kNaN;  // in image 1
  p.planes = quantize(p.x, p.g.n, static_cast<int64_t>(p.g.ih) * p.g.iw, p.g.ic, p.b, p.s);
  const size_t half = p.out_count() / 2;
  for (const PGConv2dVariant& v : pgconv2d_variants()) {
    if (!cpu_supports(v.isa)) continue;
    std::vector<Word> packed(v.packed_weight_words(p.g, p.wb) + 1, 0);
    v.pack_weights(p.g, p.wb, p.codes.data(), packed.data());
    for (const OutputKind kind : {OutputKind::kFloat, OutputKind::kInt32}) {
      p.kind = kind;
      std::vector<unsigned char> got(p.out_count() * 4, kSentinel);
      int64_t opens = 0;
      PGConv2dArgs a = p.args(got.data(), packed.data());
      a.open_count = &opens;
      v.run(a, 0, p.g.n * p.g.oh());
      EXPECT_EQ(opens, static_cast<int64_t>(half)) << v.name << ": only image 0's gates open";
      for (size_t i = 0; i < p.out_count(); ++i) {
        float f;
        int32_t n;
        std::memcpy(&f, got.data() + i * 4, 4);
        std::memcpy(&n, got.data() + i * 4, 4);
        if (i < half) {
          if (kind == OutputKind::kFloat) {
            ASSERT_EQ(f, clean.out[i]) << v.name << " output " << i;
          } else {
            ASSERT_EQ(n, clean.acc[i]) << v.name << " output " << i;
          }
        } else if (kind == OutputKind::kFloat) {
          ASSERT_TRUE(std::isnan(f)) << v.name << " output " << i << " = " << f;
        } else {
          ASSERT_EQ(n, 0) << v.name << " output " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace bnnkit::kernels
