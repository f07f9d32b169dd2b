#include "train/compare/mobilenet_v2.h"

#include <cmath>

namespace bnnkit::train {
namespace {

// k×k conv (padding (k - 1) / 2, BN folded into its bias), then ReLU6 unless `linear`; tallies its MACs.
void conv_bn(torch::nn::Sequential& seq, int in, int out, int k, int stride, int groups, bool linear, int& h,
             int& w, int64_t& macs) {
  const int pad = (k - 1) / 2;
  auto conv = torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).groups(groups).bias(true));
  torch::NoGradGuard no_grad;
  const double fan_in = static_cast<double>(in / groups) * k * k;
  conv->weight.normal_(0.0, std::sqrt(2.0 / fan_in));
  conv->bias.zero_();
  seq->push_back(conv);
  if (!linear) seq->push_back(torch::nn::ReLU6());
  h = (h + 2 * pad - k) / stride + 1;
  w = (w + 2 * pad - k) / stride + 1;
  macs += static_cast<int64_t>(h) * w * out * k * k * (in / groups);
}

}  // namespace

InvertedResidualImpl::InvertedResidualImpl(int in, int out, int stride, int expand, int& h, int& w,
                                           int64_t& macs)
    : residual_(stride == 1 && in == out) {
  const int hidden = in * expand;
  if (expand != 1) conv_bn(body_, in, hidden, 1, 1, 1, false, h, w, macs);
  conv_bn(body_, hidden, hidden, 3, stride, hidden, false, h, w, macs);
  conv_bn(body_, hidden, out, 1, 1, 1, true, h, w, macs);
  register_module("body", body_);
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = body_->forward(x);
  return residual_ ? x + y : y;
}

MobileNetV2Impl::MobileNetV2Impl(int classes, int image_size) {
  struct Stage {
    int t, c, n, s;
  };
  constexpr Stage kStages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                               {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int h = image_size, w = image_size;
  conv_bn(features_, 3, 32, 3, 2, 1, false, h, w, macs_);
  int c = 32;
  for (const Stage& st : kStages)
    for (int i = 0; i < st.n; ++i) {
      features_->push_back(InvertedResidual(c, st.c, i == 0 ? st.s : 1, st.t, h, w, macs_));
      c = st.c;
    }
  conv_bn(features_, c, 1280, 1, 1, 1, false, h, w, macs_);
  register_module("features", features_);
  classifier_ = register_module("classifier", torch::nn::Linear(1280, classes));
  {
    torch::NoGradGuard no_grad;
    classifier_->weight.normal_(0.0, 0.01);
    classifier_->bias.zero_();
  }
  macs_ += int64_t{1280} * classes;
}

torch::Tensor MobileNetV2Impl::forward(const torch::Tensor& x) {
  return classifier_->forward(features_->forward(x).mean({2, 3}));
}

void set_weight_format(torch::nn::Module& module, torch::MemoryFormat format) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : module.parameters())
    if (p.dim() == 4)
      p.set_data(p.clone(format));  // clone: canonical strides, also for depthwise [C, 1, k, k]
}

}  // namespace bnnkit::train
