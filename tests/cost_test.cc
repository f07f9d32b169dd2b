// The cost model (ACE) and what PokeBNN needs from the engine:
//  - the PokeBNN zoo graphs cost exactly what google/aqt's pokebnn_test.py regression and
//    shared/reference/ace_pokebnn.py say (conv ACE 4,091,469,824 and dense ACE 131,072,000 for 1.0x), checked
//    against the literal numbers and against an independent port of the script's formula;
//  - declared bit-widths of float Conv2d/Dense and measured gate densities enter ACE;
//  - the new attributes (weight_bits, act_bits, pool ph_end/pw_end) survive the model file, files written
//    without them read as before, and bad values are refused with a message naming the op;
//  - the PokeBNN graphs run in the engine (the ImageNet one once, batch 1) on non-degenerate activations.
//
// How our layers map onto aqt's count: aqt's size_stats sums ACE over its ConvAqt layers (PokeInit's two
// 8-bit convs, the 48 binary convs and the 96 4-bit SE FCs, which aqt runs as 1×1 convs on the pooled 1×1
// map) into conv_ace and over DenseAqt (the 8-bit head) into dense_ace. The zoo graph has the same layers:
// 2 + 96 Conv2d (declaring 8 or 4 bits), 48 BConv2d and one Dense, so ModelCost's conv/dense split is aqt's.
// BN, DPReLU, shortcuts, pools and SE scaling are aqt's separate "sops"; they have no MACs here either.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <set>

#include "bnnkit/bnnkit.h"
#include "bnnkit/cost.h"
#include "bnnkit_generated.h"
#include "model/model_file.h"
#include "zoo/zoo.h"

namespace bnnkit {
namespace {

// google/aqt aqt/jax_legacy/jax/imagenet/pokebnn_test.py, PokeBNN-1.0x.
constexpr int64_t kAqtConvAce = 4'091'469'824;
constexpr int64_t kAqtDenseAce = 131'072'000;

struct Ace {
  int64_t conv, dense;
};

// A port of shared/reference/ace_pokebnn.py (independent of the graph: plain arithmetic on the layer list).
Ace ace_reference(double mult) {
  int64_t h = 224 / 4, tot = 0;
  tot += h * h * (4 * 4 * 3) * 32 * 8 * 8;  // PokeInit 4x4/4, 3 -> 32, 8b x 8b
  tot += h * h * (3 * 3 * 1) * 64 * 8 * 8;  // grouped 3x3, 32 -> 64, groups 32
  int64_t c = 64;
  const int stages[][3] = {{3, 1, 64}, {4, 2, 128}, {6, 2, 256}, {3, 2, 512}};  // blocks, stride, width
  for (const auto& st : stages)
    for (int b = 0; b < st[0]; ++b) {
      const int64_t f = static_cast<int64_t>(st[2] * mult);
      const int64_t convs[3][3] = {{1, 1, f}, {3, b == 0 ? st[1] : 1, f}, {1, 1, 4 * f}};  // k, stride, cout
      for (const auto& cv : convs) {
        const int64_t cin = c, k = cv[0], cout = cv[2];
        if (cv[1] == 2) h = (h + 1) / 2;            // SAME, stride 2
        tot += h * h * k * k * cin * cout;          // binary
        const int64_t p = cin / 8;                  // SE on the conv's input
        tot += cin * p * 4 * 4 + p * cout * 4 * 4;  // 4b x 4b
        c = cout;
      }
    }
  return {tot, c * 1000 * 8 * 8};
}

std::string ace_str(const Ace& a) {
  return std::to_string(a.conv) + " + " + std::to_string(a.dense);
}

TEST(PokeBnnAce, OneXEqualsAqtRegressionValues) {
  const Graph g = zoo::build("pokebnn-1.0x-imagenet");
  const ModelCost c = model_cost(g);
  EXPECT_EQ(static_cast<int64_t>(c.conv_ace), kAqtConvAce);
  EXPECT_EQ(static_cast<int64_t>(c.dense_ace), kAqtDenseAce);
  EXPECT_EQ(c.ace, c.conv_ace + c.dense_ace);
  const Ace ref = ace_reference(1.0);
  EXPECT_EQ(ref.conv, kAqtConvAce);
  EXPECT_EQ(ref.dense, kAqtDenseAce);

  // The layers aqt counts, with their precisions.
  int binary = 0, stem = 0, se = 0, dense = 0;
  for (const LayerCost& l : c.layers) {
    if (l.macs == 0) continue;
    if (l.op == "BConv2d" && l.w_bits == 1 && l.a_bits == 1) ++binary;
    if (l.op == "Conv2d" && l.w_bits == 8 && l.a_bits == 8) ++stem;
    if (l.op == "Conv2d" && l.w_bits == 4 && l.a_bits == 4) ++se;
    if (l.op == "Dense" && l.w_bits == 8 && l.a_bits == 8) ++dense;
    EXPECT_EQ(l.ace, static_cast<double>(l.macs) * l.w_bits * l.a_bits) << l.name;
  }
  EXPECT_EQ(binary, 48);
  EXPECT_EQ(stem, 2);
  EXPECT_EQ(se, 96);
  EXPECT_EQ(dense, 1);

  // A few layers by hand: out_H * out_W * (kh * kw * C_in / groups) * C_out * bits.
  const auto ace_of = [&](const std::string& name) {
    for (const LayerCost& l : c.layers)
      if (l.name == name) return l.ace;
    ADD_FAILURE() << "no layer " << name;
    return 0.0;
  };
  EXPECT_EQ(ace_of("init.conv"), 56.0 * 56 * (4 * 4 * 3) * 32 * 64);
  EXPECT_EQ(ace_of("init.group.conv"), 56.0 * 56 * (3 * 3 * 1) * 64 * 64);
  EXPECT_EQ(ace_of("res0-2.conv"), 56.0 * 56 * 9 * 64 * 64);
  EXPECT_EQ(ace_of("res3-2.conv"), 28.0 * 28 * 9 * 128 * 128);  // the stride-2 conv: 56 -> 28
  EXPECT_EQ(ace_of("res0-1.se.fc1"), 64.0 * 8 * 16);
  EXPECT_EQ(ace_of("res15-3.se.fc2"), 64.0 * 2048 * 16);
  EXPECT_EQ(ace_of("fc"), 2048.0 * 1000 * 64);
}

// ace_pokebnn.py's output for the other multipliers (python3 shared/reference/ace_pokebnn.py; 1.25 from its
// ace(1.25)), for the zoo's archs and two more built from the config.
TEST(PokeBnnAce, MultipliersEqualTheReferenceScript) {
  struct Case {
    double mult;
    Ace want;
  };
  const Case cases[] = {{0.5, {1'344'002'048, 65'536'000}},
                        {0.75, {2'489'315'840, 98'304'000}},
                        {1.25, {6'150'464'000, 163'840'000}},
                        {1.5, {8'666'298'368, 196'608'000}},
                        {2.0, {15'068'487'680, 262'144'000}}};
  for (const Case& k : cases) {
    SCOPED_TRACE(k.mult);
    EXPECT_EQ(ace_str(ace_reference(k.mult)), ace_str(k.want));
    const bool in_zoo = k.mult == 0.5 || k.mult == 0.75 || k.mult == 2.0;
    const Graph g = in_zoo ? zoo::build(zoo::pokebnn_imagenet_config(k.mult).name)
                           : zoo::pokebnn(zoo::pokebnn_imagenet_config(k.mult), 1);
    const ModelCost c = model_cost(g);
    EXPECT_EQ(ace_str({static_cast<int64_t>(c.conv_ace), static_cast<int64_t>(c.dense_ace)}),
              ace_str(k.want));
  }
  EXPECT_EQ(zoo::pokebnn_imagenet_config(0.75).name, "pokebnn-0.75x-imagenet");
  EXPECT_EQ(zoo::pokebnn_imagenet_config(1.0).name, "pokebnn-1.0x-imagenet");
}

// The shortcut pools are Flax's avg_pool 3x3/2 SAME: on the even maps (56, 28, 14) no padding before, one
// after, every window divided by 9. Three strided blocks, each with a local (2nd conv) and a long (3rd conv)
// shortcut pool.
TEST(PokeBnnGraph, ShortcutPoolsAreFlaxSame) {
  const Graph g = zoo::build("pokebnn-1.0x-imagenet");
  int pools = 0, se_means = 0;
  for (const OpDef& op : g.ops) {
    const auto* p = std::get_if<AvgPoolOp>(&op.attrs);
    if (p == nullptr) continue;
    const std::vector<int>& in = g.tensors[op.inputs[0]].shape;
    if (op.name.ends_with(".mean")) {  // the SE's global mean, kept NHWC for the 1x1 convs
      EXPECT_EQ(p->window.kh, in[1]) << op.name;
      EXPECT_EQ(p->window.kw, in[2]) << op.name;
      ++se_means;
      continue;
    }
    ++pools;
    SCOPED_TRACE(op.name);
    EXPECT_TRUE(op.name.ends_with(".local.pool") || op.name.ends_with(".long.pool"));
    EXPECT_EQ(in[1] % 2, 0);
    EXPECT_EQ(p->window.kh, 3);
    EXPECT_EQ(p->window.sh, 2);
    EXPECT_EQ(p->window.ph, 0);
    EXPECT_EQ(p->window.pw, 0);
    EXPECT_EQ(p->ph_end, 1);
    EXPECT_EQ(p->pw_end, 1);
    EXPECT_TRUE(p->count_include_pad);
    EXPECT_EQ(g.tensors[op.outputs[0]].shape[1], in[1] / 2);
  }
  EXPECT_EQ(pools, 6);
  EXPECT_EQ(se_means, 48);
}

// One engine run of the ImageNet graph (billions of binary MACs: once, batch 1).
TEST(PokeBnnEngine, OneXImageNetRunsOnce) {
  const Model m = Model::from_graph(zoo::build("pokebnn-1.0x-imagenet"));
  Session s(m, {.threads = 2, .batch = 1});
  std::mt19937_64 rng(5);
  std::normal_distribution<float> d;
  std::vector<float> x(224 * 224 * 3);
  for (auto& v : x) v = d(rng);
  s.set_input(0, std::span<const float>(x));
  s.run();
  const auto logits = s.output_f32(0);
  ASSERT_EQ(logits.size(), 1000u);
  std::set<float> distinct;
  for (float v : logits) {
    ASSERT_TRUE(std::isfinite(v));
    distinct.insert(v);
  }
  EXPECT_GT(distinct.size(), 900u);
}

// The random-weight Fashion-MNIST PokeBNN is not degenerate: every binary conv's input takes both signs.
TEST(PokeBnnEngine, MnistSignInputsAreBalanced) {
  const Model m = Model::from_graph(zoo::build("pokebnn-mnist", 3));
  constexpr int kBatch = 8;
  Session s(m, {.threads = 2, .batch = kBatch, .keep_intermediates = true});
  std::mt19937_64 rng(9);
  std::normal_distribution<float> d;
  std::vector<float> x(kBatch * 28 * 28);
  for (auto& v : x) v = d(rng);
  s.set_input(0, std::span<const float>(x));
  s.run();
  int signs = 0;
  for (const OpDef& op : m.graph().ops) {
    if (!std::holds_alternative<SignQuantOp>(op.attrs)) continue;
    ++signs;
    const TensorView t = s.tensor(m.graph().tensors[op.outputs[0]].name);
    const int c = t.shape.back();
    const int64_t values = static_cast<int64_t>(t.bytes / (8 * ((c + 63) / 64))) * c;
    int64_t minus = 0;
    const auto* w = static_cast<const uint64_t*>(t.data);
    for (size_t i = 0; i < t.bytes / 8; ++i) minus += std::popcount(w[i]);
    EXPECT_GT(minus, values / 10) << op.name;
    EXPECT_LT(minus, values * 9 / 10) << op.name;
  }
  EXPECT_EQ(signs, 9);
}

// ---- the cost model's rules ----------------------------------------------------------------------------
Graph quantised_layers(int conv_w, int conv_a, int dense_w, int dense_a) {
  GraphBuilder b("bits");
  const int x = b.input("x", DType::kFloat32, {1, 6, 6, 4});
  const int w = b.constant_f32("w", {8, 3, 3, 2}, std::vector<float>(8 * 9 * 2, 0.5f));
  const int y = b.conv2d(x, w, -1, ConvAttrs{3, 3, 1, 1, 1, 1}, 2, "conv", conv_w, conv_a);
  const int p = b.global_avg_pool(y, "pool");
  const int dw = b.constant_f32("dw", {3, 8}, std::vector<float>(24, 0.25f));
  b.output(b.dense(p, dw, -1, "fc", dense_w, dense_a));
  return b.finish();
}

TEST(CostModel, DeclaredBitWidthsAreCounted) {
  const int64_t conv_macs = 6 * 6 * 8 * (3 * 3 * 2), dense_macs = 8 * 3;
  ModelCost c = model_cost(quantised_layers(8, 4, 2, 3));
  ASSERT_EQ(c.layers.size(), 2u);
  EXPECT_EQ(c.layers[0].macs, conv_macs);
  EXPECT_EQ(c.layers[0].w_bits, 8);
  EXPECT_EQ(c.layers[0].a_bits, 4);
  EXPECT_EQ(c.conv_ace, conv_macs * 32.0);
  EXPECT_EQ(c.dense_ace, dense_macs * 6.0);
  EXPECT_EQ(c.ace, c.conv_ace + c.dense_ace);
  // The defaults: a float layer is 32 x 32.
  GraphBuilder b("defaults");
  const int x = b.input("x", DType::kFloat32, {1, 5});
  b.output(b.dense(x, b.constant_f32("w", {2, 5}, std::vector<float>(10, 1.0f)), -1, "fc"));
  c = model_cost(b.finish());
  EXPECT_EQ(c.dense_ace, 10 * 32.0 * 32.0);
  EXPECT_EQ(c.conv_ace, 0.0);
}

TEST(CostModel, GateDensityGivesEffectiveActivationBits) {
  const Graph g = zoo::build("fracbnn-tiny");
  const ModelCost assumed = model_cost(g);
  const ModelCost measured = model_cost(g, {{"block1.conv", 0.25}});
  int gated = 0;
  for (size_t i = 0; i < measured.layers.size(); ++i) {
    const LayerCost& l = measured.layers[i];
    EXPECT_EQ(l.gated, l.op == "FracConv2d") << l.name;
    if (!l.gated) continue;
    ++gated;
    EXPECT_EQ(assumed.layers[i].a_bits, 2.0);
    EXPECT_EQ(assumed.layers[i].gate_density, -1.0);
    if (l.name == "block1.conv") {
      EXPECT_EQ(l.a_bits, 1.25);
      EXPECT_EQ(l.gate_density, 0.25);
      EXPECT_EQ(l.ace, l.macs * 1.25);
    } else {
      EXPECT_EQ(l.a_bits, 2.0);
    }
  }
  EXPECT_EQ(gated, 2);
  EXPECT_LT(measured.ace, assumed.ace);
}

// ---- the new attributes in the model file and the validator --------------------------------------------
Graph pool_graph(int ph_end, int pw_end, bool max) {
  GraphBuilder b("pools");
  const int x = b.input("x", DType::kFloat32, {1, 4, 4, 1});
  const ConvAttrs win{3, 3, 2, 2, 0, 0};
  b.output(max ? b.max_pool(x, win, "pool", ph_end, pw_end)
               : b.avg_pool(x, win, true, "pool", ph_end, pw_end));
  return b.finish();
}

TEST(ModelFileAttrs, BitsAndPoolPaddingRoundTrip) {
  Graph g = quantised_layers(8, 4, 2, 3);
  Graph back = model_file::parse(serialize_model(g), "mem");
  const auto& conv = std::get<Conv2dOp>(back.ops[0].attrs);
  EXPECT_EQ(conv.weight_bits, 8);
  EXPECT_EQ(conv.act_bits, 4);
  EXPECT_EQ(conv.groups, 2);
  const auto& dense = std::get<DenseOp>(back.ops[2].attrs);
  EXPECT_EQ(dense.weight_bits, 2);
  EXPECT_EQ(dense.act_bits, 3);
  for (bool max : {false, true}) {
    back = model_file::parse(serialize_model(pool_graph(1, 2, max)), "mem");
    const int ph_end =
        max ? std::get<MaxPoolOp>(back.ops[0].attrs).ph_end : std::get<AvgPoolOp>(back.ops[0].attrs).ph_end;
    const int pw_end =
        max ? std::get<MaxPoolOp>(back.ops[0].attrs).pw_end : std::get<AvgPoolOp>(back.ops[0].attrs).pw_end;
    EXPECT_EQ(ph_end, 1);
    EXPECT_EQ(pw_end, 2);
    EXPECT_EQ(back.tensors[back.outputs[0]].shape, (std::vector<int>{1, 2, 2, 1}));
  }
}

// A file written before weight_bits/act_bits/ph_end/pw_end existed (the tables without those fields, as the
// generated builders make them when the fields are not added) loads as 32-bit layers and symmetric pools.
TEST(ModelFileAttrs, FileWithoutTheNewFieldsReadsTheDefaults) {
  namespace fb = bnnkit::fb;
  flatbuffers::FlatBufferBuilder b;
  // x [1,4,4,3] -> Conv2d 1x1 (w [2,1,1,3]) -> AvgPool 3x3/1 pad 1 -> Flatten -> Dense (dw [2,32]) -> o.
  const auto ones = [](size_t floats) {
    std::vector<uint8_t> v(floats * 4);
    const float one = 1.0f;
    for (size_t i = 0; i < v.size(); i += 4) std::memcpy(&v[i], &one, 4);
    return v;
  };
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers{fb::CreateBuffer(b, b.CreateVector(ones(2 * 3))),
                                                       fb::CreateBuffer(b, b.CreateVector(ones(2 * 32)))};
  const std::vector<int> s_x{1, 4, 4, 3}, s_w{2, 1, 1, 3}, s_y{1, 4, 4, 2}, s_f{1, 32}, s_dw{2, 32},
      s_o{1, 2};
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors{
      fb::CreateTensorDirect(b, "x", fb::DType::Float32, &s_x),
      fb::CreateTensorDirect(b, "w", fb::DType::Float32, &s_w, 0),
      fb::CreateTensorDirect(b, "y", fb::DType::Float32, &s_y),
      fb::CreateTensorDirect(b, "p", fb::DType::Float32, &s_y),
      fb::CreateTensorDirect(b, "f", fb::DType::Float32, &s_f),
      fb::CreateTensorDirect(b, "dw", fb::DType::Float32, &s_dw, 1),
      fb::CreateTensorDirect(b, "o", fb::DType::Float32, &s_o)};
  const fb::Conv conv(1, 1, 1, 1, 0, 0), win(3, 3, 1, 1, 1, 1);
  fb::Conv2dBuilder cb(b);  // conv and groups only: no weight_bits / act_bits
  cb.add_conv(&conv);
  cb.add_groups(1);
  const auto conv_opts = cb.Finish();
  fb::AvgPoolBuilder pb(b);  // no ph_end / pw_end
  pb.add_window(&win);
  pb.add_count_include_pad(true);
  const auto pool_opts = pb.Finish();
  fb::DenseBuilder db(b);  // an empty table, as Dense was
  const auto dense_opts = db.Finish();
  const std::vector<int> i0{0, 1, -1}, o0{2}, i1{2}, o1{3}, i2{3}, o2{4}, i3{4, 5, -1}, o3{6};
  std::vector<flatbuffers::Offset<fb::Operator>> ops{
      fb::CreateOperatorDirect(b, "conv", fb::OpOptions::Conv2d, conv_opts.Union(), &i0, &o0),
      fb::CreateOperatorDirect(b, "pool", fb::OpOptions::AvgPool, pool_opts.Union(), &i1, &o1),
      fb::CreateOperatorDirect(b, "flat", fb::OpOptions::Flatten, fb::CreateFlatten(b).Union(), &i2, &o2),
      fb::CreateOperatorDirect(b, "fc", fb::OpOptions::Dense, dense_opts.Union(), &i3, &o3)};
  const std::vector<int> ins{0}, outs{6};
  fb::FinishModelBuffer(b, fb::CreateModelDirect(b, 1, 0, &tensors, &buffers, &ops, &ins, &outs));
  const std::vector<uint8_t> bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());

  const Graph g = model_file::parse(bytes, "old");
  const auto& c = std::get<Conv2dOp>(g.ops[0].attrs);
  EXPECT_EQ(c.weight_bits, 32);
  EXPECT_EQ(c.act_bits, 32);
  const auto& p = std::get<AvgPoolOp>(g.ops[1].attrs);
  EXPECT_EQ(p.ph_end, -1);
  EXPECT_EQ(p.pw_end, -1);
  const auto& d = std::get<DenseOp>(g.ops[3].attrs);
  EXPECT_EQ(d.weight_bits, 32);
  EXPECT_EQ(d.act_bits, 32);
  EXPECT_EQ(model_cost(g).ace, (4 * 4 * 2 * 3 + 2 * 32) * 32.0 * 32.0);
  // Default-valued fields are not written, so bnnkit writes such a graph as an old writer did. (A C-style
  // cast reaches the generated table's private flatbuffers::Table base, which has the field lookup.)
  const auto field_written = [](const Graph& graph, int op, flatbuffers::voffset_t field) {
    const std::vector<uint8_t> out = serialize_model(graph);
    const fb::Operator* o = fb::GetModel(out.data())->operators()->Get(op);
    return ((const flatbuffers::Table*)o->options())->GetOptionalFieldOffset(field) != 0;
  };
  EXPECT_FALSE(field_written(g, 0, fb::Conv2d::VT_WEIGHT_BITS));
  EXPECT_FALSE(field_written(g, 0, fb::Conv2d::VT_ACT_BITS));
  EXPECT_FALSE(field_written(g, 1, fb::AvgPool::VT_PH_END));
  EXPECT_FALSE(field_written(g, 3, fb::Dense::VT_WEIGHT_BITS));
  Graph g8 = g;
  std::get<Conv2dOp>(g8.ops[0].attrs).weight_bits = 8;
  std::get<AvgPoolOp>(g8.ops[1].attrs).ph_end = 1;
  EXPECT_TRUE(field_written(g8, 0, fb::Conv2d::VT_WEIGHT_BITS));
  EXPECT_TRUE(field_written(g8, 1, fb::AvgPool::VT_PH_END));
}

std::string build_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ValidationAttrs, BadBitsAndPoolPaddingAreRefused) {
  EXPECT_EQ(build_error([] { quantised_layers(0, 8, 8, 8); }),
            "op 'conv' (Conv2d): weight_bits must be in 1..32, got 0");
  EXPECT_EQ(build_error([] { quantised_layers(8, 33, 8, 8); }),
            "op 'conv' (Conv2d): act_bits must be in 1..32, got 33");
  EXPECT_EQ(build_error([] { quantised_layers(8, 8, 8, -1); }),
            "op 'fc' (Dense): act_bits must be in 1..32, got -1");
  EXPECT_EQ(build_error([] { pool_graph(3, 0, false); }),
            "op 'pool' (AvgPool): padding after the input must be smaller than the window");
  EXPECT_EQ(build_error([] { pool_graph(0, -2, true); }),
            "op 'pool' (MaxPool): padding after the input must be >= 0 (or -1 for symmetric)");
  EXPECT_EQ(build_error([] {
              GraphBuilder b("small");
              const int x = b.input("x", DType::kFloat32, {1, 1, 1, 1});
              b.avg_pool(x, ConvAttrs{3, 3, 1, 1, 0, 0}, true, "pool", 1, 1);
            }),
            "op 'pool' (AvgPool): window 3x3 is larger than the padded input 2x2");
}

// The engine runs the asymmetric pools: Flax's avg_pool 3x3/2 SAME on a 4x4 map of ones (divisor 9 at the
// edge) and the max pool over the same windows (padding never wins).
TEST(RuntimeAttrs, AsymmetricPoolsInTheEngine) {
  std::vector<float> ones(16, 1.0f), ramp(16);
  for (int i = 0; i < 16; ++i) ramp[i] = -static_cast<float>(i);
  {
    Session s(Model::from_graph(pool_graph(1, 1, false)));
    s.set_input(0, std::span<const float>(ones));
    s.run();
    const auto y = s.output_f32(0);
    EXPECT_EQ(std::vector<float>(y.begin(), y.end()),
              (std::vector<float>{1.0f, 6.0f / 9.0f, 6.0f / 9.0f, 4.0f / 9.0f}));
  }
  {
    const Model m = Model::from_graph(pool_graph(1, 1, true));
    Session s(m);
    s.set_input(0, std::span<const float>(ramp));
    s.run();
    const auto y = s.output_f32(0);
    // Windows start at rows/columns 0 and 2; the largest (least negative) value is the top-left tap.
    EXPECT_EQ(std::vector<float>(y.begin(), y.end()), (std::vector<float>{-0.0f, -2.0f, -8.0f, -10.0f}));
  }
}

}  // namespace
}  // namespace bnnkit
