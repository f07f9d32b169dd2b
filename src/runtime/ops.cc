#include "runtime/ops.h"

#include <cstring>
#include <memory>

#include "kernels/bconv2d/bconv2d.h"
#include "kernels/bconv2d/variants.h"
#include "kernels/bdense/bdense.h"
#include "kernels/bdense/variants.h"
#include "kernels/bitpack/bitpack.h"
#include "kernels/bitpack/variants.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/conv2d/variants.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/fracconv/fracconv.h"
#include "kernels/fracconv/variants.h"
#include "kernels/pgconv/pgconv.h"
#include "kernels/pgconv/variants.h"
#include "kernels/pool/pool.h"
#include "kernels/shape/shape.h"
#include "kernels/shape/variants.h"
#include "kernels/softmax/softmax.h"
#include "kernels/thermometer/thermometer.h"
#include "kernels/thermometer/variants.h"

namespace bnnkit::runtime {
namespace {

namespace k = bnnkit::kernels;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang before 17 has no class template argument deduction for aggregates (the fuzz build uses clang 14).
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Typed access to the tensors of one op.
struct Io {
  const OpDef& op;
  std::vector<TensorSlot>& slots;

  const TensorSlot& in(int i) const { return slots[op.inputs[i]]; }
  TensorSlot& out(int i) const { return slots[op.outputs[i]]; }
  bool has(int i) const { return i < static_cast<int>(op.inputs.size()) && op.inputs[i] >= 0; }
  const float* f32(int i) const { return has(i) ? reinterpret_cast<const float*>(in(i).data) : nullptr; }
  const int32_t* i32(int i) const { return reinterpret_cast<const int32_t*>(in(i).data); }
  const uint8_t* u8(int i) const { return in(i).data; }
  const k::Word* bits(int i) const { return reinterpret_cast<const k::Word*>(in(i).data); }
  float* out_f32(int i = 0) const { return reinterpret_cast<float*>(out(i).data); }
  const std::vector<int>& shape(int i) const { return in(i).spec.shape; }
  int channels(int i) const { return shape(i).back(); }
  int64_t rows(int i) const { return num_elements(shape(i)) / channels(i); }
};

k::OutputStage stage_of(const Io& io, OutputKind kind, int first) {
  k::OutputStage s;
  s.kind = static_cast<k::OutputKind>(kind);
  if (kind == OutputKind::kFloat) {
    s.scale = io.f32(first);
    s.bias = io.f32(first + 1);
  } else if (kind == OutputKind::kBits) {
    s.threshold = io.i32(first);
    s.flip = io.u8(first + 1);
  }
  return s;
}

k::ConvGeometry geometry(const std::vector<int>& x, const std::vector<int>& w, const ConvAttrs& c) {
  k::ConvGeometry g;
  g.n = x[0], g.ih = x[1], g.iw = x[2], g.ic = x[3];
  g.oc = w[0], g.kh = c.kh, g.kw = c.kw, g.sh = c.sh, g.sw = c.sw, g.ph = c.ph, g.pw = c.pw;
  return g;
}

k::ConvGeometry window_geometry(const std::vector<int>& x, const ConvAttrs& c) {
  k::ConvGeometry g;
  g.n = x[0], g.ih = x[1], g.iw = x[2], g.ic = g.oc = x[3];
  g.kh = c.kh, g.kw = c.kw, g.sh = c.sh, g.sw = c.sw, g.ph = c.ph, g.pw = c.pw;
  return g;
}

// Records the variants a selection skipped, best first, for describe().
template <class V, class Reject>
std::string rejections(std::span<const V> all, const V& chosen, k::Isa isa, Reject&& reason) {
  std::string s;
  for (const V& v : all) {
    if (&v == &chosen) break;
    const char* why = nullptr;
    if (static_cast<int>(v.isa) > static_cast<int>(isa))
      why = k::cpu_supports(v.isa) ? "ISA capped" : "CPU lacks ISA";
    else
      why = reason(v);
    if (why) s += (s.empty() ? "" : "; ") + std::string(v.name) + ": " + why;
  }
  return s;
}

// A per-channel elementwise op over [rows][channels].
template <class Args, class Fn>
void rowwise(Node& n, int64_t rows, int64_t channels, Args args, Fn kernel) {
  n.rows = rows;
  n.work = rows * channels;
  n.fn = [args, kernel](int64_t b, int64_t e, int64_t*) { kernel(args, b, e); };
}

}  // namespace

void pack_signs(const float* src, const std::vector<int>& shape, k::Word* dst) {
  const int c = shape.back();
  k::BitpackArgs a{num_elements(shape) / c, c, src, nullptr, dst};
  k::bitpack_reference(a, 0, a.rows);
}

Node make_node(const OpDef& op, std::vector<TensorSlot>& slots, k::Isa isa) {
  Node n;
  n.kernel = "reference";
  const Io io{op, slots};
  // A float conv (Conv2d; Dense as a 1x1 conv) over inputs 0 (x), 1 (weights in the reference layout) and 2
  // (bias, optional) with the best variant, its weights packed into the node.
  const auto float_conv = [&](const k::ConvGeometry& g, int groups) {
    k::Conv2dArgs args;
    args.g = g;
    args.groups = groups;
    const k::Conv2dVariant& v = k::conv2d_select(g, groups, isa);
    n.kernel = v.name;
    // Packed floats in the node's word buffer (2 per word).
    n.packed.assign((v.packed_floats(g, groups) + 1) / 2, 0);
    v.pack(g, groups, io.f32(1), reinterpret_cast<float*>(n.packed.data()));
    args.src = io.f32(0);
    args.weights = reinterpret_cast<const float*>(n.packed.data());
    args.bias = io.f32(2);
    args.dst = io.out_f32();
    n.rows = g.out_rows();
    n.work = static_cast<int64_t>(n.rows) * g.ow() * g.oc * g.kh * g.kw * (g.ic / groups);
    n.fn = [args, run = v.run](int64_t b, int64_t e, int64_t*) {
      run(args, static_cast<int>(b), static_cast<int>(e));
    };
  };
  std::visit(
      Overloaded{
          [&](const ThermometerOp& a) {
            k::ThermometerArgs args{io.rows(0), io.channels(0), a.levels, io.u8(0),
                                    reinterpret_cast<k::Word*>(io.out(0).data)};
            const k::ThermometerVariant& v = k::thermometer_select(args.channels, a.levels, isa);
            n.kernel = v.name;
            n.rows = args.pixels;
            n.work = args.pixels * args.channels * a.levels;
            n.fn = [args, run = v.run](int64_t b, int64_t e, int64_t*) { run(args, b, e); };
          },
          [&](const SignQuantOp&) {
            k::BitpackArgs args{io.rows(0), io.channels(0), io.f32(0), io.f32(1),
                                reinterpret_cast<k::Word*>(io.out(0).data)};
            const k::BitpackVariant& v = k::bitpack_select(isa);
            n.kernel = v.name;
            rowwise(n, args.rows, args.channels, args, v.run);
          },
          [&](const Quant2BitOp&) {
            k::Quant2BitArgs args{io.rows(0), io.channels(0), io.f32(0),
                                  reinterpret_cast<k::Word*>(io.out(0).data),
                                  reinterpret_cast<k::Word*>(io.out(1).data)};
            const k::Quant2BitVariant& v = k::quant2bit_select(isa);
            n.kernel = v.name;
            rowwise(n, args.rows, args.channels, args, v.run);
          },
          [&](const QuantUniformOp& a) {
            k::QuantUniformArgs args{a.bits, a.lo, a.hi, io.channels(0), io.f32(0), io.out_f32(), a.codes};
            const k::ElementwiseVariant& v =
                k::elementwise_select(&k::ElementwiseVariant::quant_uniform, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.channels, args, v.quant_uniform);
          },
          [&](const BConv2dOp& a) {
            const k::ConvGeometry g = geometry(io.shape(0), io.shape(1), a.conv);
            const auto pad = static_cast<k::Padding>(a.padding);
            const auto kind = static_cast<k::OutputKind>(a.output);
            const k::BConv2dVariant& v = k::bconv2d_select(g, pad, kind, isa);
            n.kernel = v.name;
            n.rejected = rejections(k::bconv2d_variants(), v, isa,
                                    [&](const k::BConv2dVariant& o) { return o.rejects(g, pad, kind); });
            n.packed.assign(v.packed_weight_words(g), 0);
            v.pack_weights(g, io.bits(1), n.packed.data());
            k::BConv2dArgs args;
            args.g = g;
            args.padding = pad;
            args.src = io.bits(0);
            args.weights = n.packed.data();
            args.out = stage_of(io, a.output, 2);
            args.dst = io.out(0).data;
            n.rows = g.out_rows();
            n.work = static_cast<int64_t>(g.out_rows()) * g.ow() * g.oc * g.kh * g.kw * k::words_for(g.ic);
            n.fn = [args, run = v.run](int64_t b, int64_t e, int64_t*) {
              run(args, static_cast<int>(b), static_cast<int>(e));
            };
          },
          [&](const BDenseOp& a) {
            const int batch = io.shape(0)[0], ic = io.shape(0)[1], oc = io.shape(1)[0];
            const auto kind = static_cast<k::OutputKind>(a.output);
            const k::BDenseVariant& v = k::bdense_select(ic, oc, kind, isa);
            n.kernel = v.name;
            n.rejected = rejections(k::bdense_variants(), v, isa,
                                    [&](const k::BDenseVariant& o) { return o.rejects(ic, oc, kind); });
            n.packed.assign(v.packed_weight_words(ic, oc), 0);
            v.pack_weights(ic, oc, io.bits(1), n.packed.data());
            k::BDenseArgs args;
            args.n = batch, args.ic = ic, args.oc = oc;
            args.src = io.bits(0);
            args.weights = n.packed.data();
            args.out = stage_of(io, a.output, 2);
            args.dst = io.out(0).data;
            n.work = static_cast<int64_t>(batch) * oc * k::words_for(ic);
            if (batch >= 4) {
              // Split over images.
              n.rows = batch;
              n.fn = [args, run = v.run](int64_t b, int64_t e, int64_t*) {
                run(args, static_cast<int>(b), static_cast<int>(e), 0, args.oc);
              };
            } else {
              // Few images: split over blocks of 64 output channels (word-aligned for bit output).
              n.rows = k::words_for(oc);
              n.fn = [args, run = v.run](int64_t b, int64_t e, int64_t*) {
                run(args, 0, args.n, static_cast<int>(b) * k::kWordBits,
                    std::min(args.oc, static_cast<int>(e) * k::kWordBits));
              };
            }
          },
          [&](const FracConv2dOp& a) {
            const k::ConvGeometry g = geometry(io.shape(0), io.shape(2), a.conv);
            const auto pad = static_cast<k::Padding>(a.padding);
            const auto kind = static_cast<k::OutputKind>(a.output);
            const k::FracConv2dVariant& v = k::fracconv2d_select(g, pad, kind, isa);
            n.kernel = v.name;
            n.rejected = rejections(k::fracconv2d_variants(), v, isa,
                                    [&](const k::FracConv2dVariant& o) { return o.rejects(g, pad, kind); });
            n.packed.assign(v.packed_weight_words(g), 0);
            v.pack_weights(g, io.bits(2), n.packed.data());
            k::FracConv2dArgs args;
            args.g = g;
            args.padding = pad;
            args.src_msb = io.bits(0);
            args.src_lsb = io.bits(1);
            args.weights = n.packed.data();
            args.gate_threshold = io.i32(3);
            args.out = stage_of(io, a.output, 4);
            args.dst = io.out(0).data;
            n.rows = args.g.out_rows();
            n.work = static_cast<int64_t>(n.rows) * args.g.ow() * args.g.oc * args.g.kh * args.g.kw *
                     k::words_for(args.g.ic) * 2;
            n.gated = true;
            n.gate_outputs = static_cast<int64_t>(n.rows) * args.g.ow() * args.g.oc;
            // Threads run slices concurrently: each call counts into its own copy of the arguments.
            n.fn = [args, run = v.run](int64_t b, int64_t e, int64_t* gate_count) {
              k::FracConv2dArgs call = args;
              call.open_count = gate_count;
              run(call, static_cast<int>(b), static_cast<int>(e));
            };
          },
          [&](const Conv2dOp& a) { float_conv(geometry(io.shape(0), io.shape(1), a.conv), a.groups); },
          [&](const DenseOp&) {
            // A dense layer is a 1x1 conv over n images of 1 x 1 pixel: the same products summed in the same
            // order, bias last (dense.h, conv2d.h), so it runs the float conv's kernels and their weight
            // packing (the reference loop took 0.94 ms for PokeBNN's 2048 -> 1000 head).
            float_conv(
                k::ConvGeometry{io.shape(0)[0], 1, 1, io.shape(0)[1], io.shape(1)[0], 1, 1, 1, 1, 0, 0}, 1);
          },
          [&](const AffineOp&) {
            k::AffineArgs args{io.channels(0), io.f32(0), io.f32(1), io.f32(2), io.out_f32()};
            const k::ElementwiseVariant& v = k::elementwise_select(&k::ElementwiseVariant::affine, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.channels, args, v.affine);
          },
          [&](const PReLUOp&) {
            k::PReluArgs args{io.channels(0), io.f32(0), io.f32(1), io.out_f32()};
            const k::ElementwiseVariant& v = k::elementwise_select(&k::ElementwiseVariant::prelu, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.channels, args, v.prelu);
          },
          [&](const RPReLUOp&) {
            k::RPReluArgs args{io.channels(0), io.f32(0), io.f32(1), io.f32(2), io.f32(3), io.out_f32()};
            const k::ElementwiseVariant& v = k::elementwise_select(&k::ElementwiseVariant::rprelu, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.channels, args, v.rprelu);
          },
          [&](const DPReLUOp&) {
            k::DPReluArgs args{io.channels(0), io.f32(0), io.f32(1),   io.f32(2),
                               io.f32(3),      io.f32(4), io.out_f32()};
            const k::ElementwiseVariant& v = k::elementwise_select(&k::ElementwiseVariant::dprelu, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.channels, args, v.dprelu);
          },
          [&](const ActivationOp& a) {
            k::ActivationArgs args{static_cast<k::Activation>(a.kind), io.channels(0), io.f32(0),
                                   io.out_f32()};
            const k::ElementwiseVariant& v = k::elementwise_select(&k::ElementwiseVariant::activation, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.channels, args, v.activation);
          },
          [&](const AddOp&) {
            k::AddArgs args{io.f32(0), io.f32(1), io.out_f32()};
            const k::ElementwiseVariant& v = k::elementwise_select(&k::ElementwiseVariant::add, isa);
            n.kernel = v.name;
            rowwise(n, num_elements(io.shape(0)), 1, args, v.add);
          },
          [&](const ScaleChannelsOp&) {
            const auto& s = io.shape(0);
            k::ScaleChannelsArgs args{static_cast<int64_t>(s[1]) * s[2], s[3], io.f32(0), io.f32(1),
                                      io.out_f32()};
            const k::ElementwiseVariant& v =
                k::elementwise_select(&k::ElementwiseVariant::scale_channels, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.channels, args, v.scale_channels);
          },
          [&](const ConcatOp&) {
            k::ConcatChannelsArgs args{io.channels(0), io.channels(1), io.f32(0), io.f32(1), io.out_f32()};
            rowwise(n, io.rows(0), args.c0 + args.c1, args, k::concat_channels_reference);
          },
          [&](const ChannelDupOp& a) {
            k::ChannelDuplicateArgs args{io.channels(0), a.times, io.f32(0), io.out_f32()};
            const k::ShapeVariant& v = k::shape_select(&k::ShapeVariant::channel_duplicate, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.ic * a.times, args, v.channel_duplicate);
          },
          [&](const ChannelPadOp& a) {
            k::ChannelMapArgs args{io.channels(0), a.channels, io.f32(0), io.out_f32()};
            const k::ShapeVariant& v = k::shape_select(&k::ShapeVariant::channel_zero_pad, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), a.channels, args, v.channel_zero_pad);
          },
          [&](const ChannelAvgOp& a) {
            k::ChannelMapArgs args{io.channels(0), a.channels, io.f32(0), io.out_f32()};
            const k::ShapeVariant& v = k::shape_select(&k::ShapeVariant::channel_group_avg, isa);
            n.kernel = v.name;
            rowwise(n, io.rows(0), args.ic, args, v.channel_group_avg);
          },
          [&](const AvgPoolOp& a) {
            k::AvgPool2dArgs args{window_geometry(io.shape(0), a.window), a.count_include_pad, io.f32(0),
                                  io.out_f32()};
            args.ph_end = a.ph_end, args.pw_end = a.pw_end;
            n.rows = args.out_rows();
            n.work = static_cast<int64_t>(n.rows) * args.ow() * args.g.ic * a.window.kh * a.window.kw;
            const k::PoolVariant& v = k::pool_select(&k::PoolVariant::avg_pool2d, isa);
            n.kernel = v.name;
            n.fn = [args, run = v.avg_pool2d](int64_t b, int64_t e, int64_t*) {
              run(args, static_cast<int>(b), static_cast<int>(e));
            };
          },
          [&](const MaxPoolOp& a) {
            k::MaxPool2dArgs args{window_geometry(io.shape(0), a.window), io.f32(0), io.out_f32(), a.ph_end,
                                  a.pw_end};
            n.rows = args.out_rows();
            n.work = static_cast<int64_t>(n.rows) * args.ow() * args.g.ic * a.window.kh * a.window.kw;
            n.fn = [args](int64_t b, int64_t e, int64_t*) {
              k::max_pool2d_reference(args, static_cast<int>(b), static_cast<int>(e));
            };
          },
          [&](const GlobalAvgPoolOp&) {
            const auto& s = io.shape(0);
            k::GlobalAvgPoolArgs args{s[0], s[1], s[2], s[3], io.f32(0), io.out_f32()};
            n.rows = s[0];
            n.work = num_elements(s);
            const k::PoolVariant& v = k::pool_select(&k::PoolVariant::global_avg_pool, isa);
            n.kernel = v.name;
            n.fn = [args, run = v.global_avg_pool](int64_t b, int64_t e, int64_t*) {
              run(args, static_cast<int>(b), static_cast<int>(e));
            };
          },
          [&](const FlattenOp&) {
            // NHWC is already [N, H*W*C] in memory.
            const float* src = io.f32(0);
            float* dst = io.out_f32();
            const int64_t per_row = num_elements(io.shape(0)) / io.shape(0)[0];
            n.kernel = "copy";
            n.rows = io.shape(0)[0];
            n.work = num_elements(io.shape(0));
            n.fn = [src, dst, per_row](int64_t b, int64_t e, int64_t*) {
              std::memcpy(dst + b * per_row, src + b * per_row, static_cast<size_t>((e - b) * per_row) * 4);
            };
          },
          [&](const SoftmaxOp&) {
            k::SoftmaxArgs args{io.channels(0), io.f32(0), io.out_f32()};
            rowwise(n, io.rows(0), args.cols * 8, args, k::softmax_reference);
          },
          [&](const ArgMaxOp&) {
            k::ArgmaxArgs args{io.channels(0), io.f32(0), reinterpret_cast<int32_t*>(io.out(0).data)};
            rowwise(n, io.rows(0), args.cols, args, k::argmax_reference);
          },
          [&](const PGConv2dOp& a) {
            const k::ConvGeometry g = geometry(io.shape(0), io.shape(1), a.conv);
            const int ab = a.act_bits, hb = a.high_bits, wb = a.weight_bits;
            const k::PGConv2dVariant& v = k::pgconv2d_select(g, ab, hb, wb, isa);
            n.kernel = v.name;
            n.rejected = rejections(k::pgconv2d_variants(), v, isa,
                                    [&](const k::PGConv2dVariant& o) { return o.rejects(g, ab, hb, wb); });
            n.packed.assign(v.packed_weight_words(g, wb), 0);
            v.pack_weights(g, wb, io.i32(1), n.packed.data());
            // The quantized planes and image scales live between the two phases; both closures share them.
            struct Planes {
              std::vector<k::Word> words;
              std::vector<float> scale;
            };
            auto planes = std::make_shared<Planes>();
            const int64_t pixels = static_cast<int64_t>(g.ih) * g.iw;
            planes->words.assign(static_cast<size_t>(g.n * pixels * k::pg_pixel_words(ab, g.ic)), 0);
            planes->scale.assign(g.n, 0.0f);
            const k::PGQuantArgs q{
                g.n, pixels, g.ic, ab, io.f32(0), planes->words.data(), planes->scale.data()};
            n.prepare = [q, planes](int64_t b, int64_t e) {
              k::pgquant_reference(q, static_cast<int>(b), static_cast<int>(e));
            };
            n.prepare_rows = g.n;
            n.prepare_work = g.n * pixels * g.ic * ab;
            k::PGConv2dArgs args;
            args.g = g;
            args.act_bits = ab, args.high_bits = hb, args.weight_bits = wb;
            args.src = planes->words.data();
            args.src_scale = planes->scale.data();
            args.codes = io.i32(1);
            args.packed = n.packed.data();
            args.weight_step = a.weight_step;
            args.delta = io.f32(2);
            args.kind = static_cast<k::OutputKind>(a.output);
            if (a.output == OutputKind::kFloat) args.scale = io.f32(3), args.bias = io.f32(4);
            args.dst = io.out(0).data;
            n.rows = g.out_rows();
            n.work =
                static_cast<int64_t>(n.rows) * g.ow() * g.oc * g.kh * g.kw * k::words_for(g.ic) * ab * wb;
            n.gated = true;
            n.gate_outputs = static_cast<int64_t>(n.rows) * g.ow() * g.oc;
            // A copy of args per call: threads run this closure concurrently, each with its own counter.
            n.fn = [args, run = v.run, planes](int64_t b, int64_t e, int64_t* gate_count) {
              k::PGConv2dArgs slice = args;
              slice.open_count = gate_count;
              run(slice, static_cast<int>(b), static_cast<int>(e));
            };
          },
      },
      op.attrs);
  return n;
}

}  // namespace bnnkit::runtime
