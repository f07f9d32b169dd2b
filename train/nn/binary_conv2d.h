// Binary 2-D convolution: sign(W) (latent real weights, SignSte) over a +-1 (or integer-unit 2-bit) input.
//
//   D[n,o,y,x] = sum over taps of x * sign(W)      exact integers (float32 sums of small integers)
//   out        = D                                  scale == kNone
//              = D * alpha[o], alpha = mean|W[o]|   scale == kMeanAbs (XNOR-Net); forward_acc() returns D and
//                                                    the caller folds alpha into the following BatchNorm
// Padding (DESIGN.md): kZero pads the +-1 input with 0 (PyTorch's conv), kOne pads it with +1 (`one_value`,
// which a 2-bit integer-unit input sets to +3). binary_weights(false) uses the latent weights as they are
// (step 1 of the FracBNN recipe). latent_clip > 0 clamps the latent weights after each optimizer step
// (clip_latent()).
#pragma once

#include <torch/torch.h>

namespace bnnkit::train {

enum class PadMode { kZero, kOne };
enum class WeightScale { kNone, kMeanAbs };

struct BinaryConv2dOptions {
  BinaryConv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  /// Square kernel side.
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  /// Spatial padding on each side.
  TORCH_ARG(int64_t, padding) = 0;
  /// What the padded taps hold: 0 (kZero) or +1 (kOne).
  TORCH_ARG(PadMode, padding_mode) = PadMode::kZero;
  /// false: real-valued latent weights are used directly (no sign).
  TORCH_ARG(bool, binary_weights) = true;
  /// SignSte clip for the weights (FracBNN's FastSign: 1.3).
  TORCH_ARG(double, weight_clip) = 1.3;
  TORCH_ARG(WeightScale, scale) = WeightScale::kNone;
  /// Clamp latent weights to [-latent_clip, latent_clip] after each step; 0 disables.
  TORCH_ARG(double, latent_clip) = 0.0;
};

class BinaryConv2dImpl : public torch::nn::Module {
 public:
  explicit BinaryConv2dImpl(const BinaryConv2dOptions& options);
  // D (times alpha when scale == kMeanAbs).
  torch::Tensor forward(const torch::Tensor& x, double one_value = 1.0);
  // D only (alpha not applied).
  torch::Tensor forward_acc(const torch::Tensor& x, double one_value = 1.0);
  // Per-output-channel alpha [oc], or an undefined tensor when scale == kNone.
  torch::Tensor alpha() const;
  // The weights the forward uses: sign(W) (+-1) or W.
  torch::Tensor effective_weight() const;
  void clip_latent();

  BinaryConv2dOptions options;
  torch::Tensor weight;
};
TORCH_MODULE(BinaryConv2d);

// conv2d with explicit zero/one padding of the input (one_value = the value of a padded tap).
torch::Tensor padded_conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride, int64_t padding,
                            PadMode mode, double one_value);

}  // namespace bnnkit::train
