// Random parameters for zoo architectures, with the scales that keep every layer in a useful range (neither
// all +1 nor all -1). Each architecture file derives its own maker from this and adds what is specific to it
// (gate spread, post-shortcut BN scale, quantised weights). Draws happen in call order from one seeded
// generator, so a given architecture and seed always give the same model.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::zoo {

class RandomParams {
 public:
  RandomParams(GraphBuilder& b, uint64_t seed) : b_(b), rng_(seed) {}

  std::vector<float> pm1(size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = (rng_() & 1) ? -1.0f : 1.0f;
    return v;
  }
  std::vector<float> normal(size_t n, float mean, float stddev) {
    std::normal_distribution<float> d(mean, stddev);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng_);
    return v;
  }
  // A per-channel float32 constant.
  int vec(const std::string& name, std::vector<float> v) {
    const int n = static_cast<int>(v.size());
    return b_.constant_f32(name, {n}, v);
  }
  // BN folded into a binary layer's float output stage, for an accumulator of fan-in k: y ≈ N(0, 1).
  FloatStage float_stage(const std::string& name, int oc, int k) {
    const float s = 1.0f / std::sqrt(static_cast<float>(k));
    return {vec(name + ".scale", normal(oc, s, 0.2f * s)), vec(name + ".bias", normal(oc, 0.0f, 0.2f))};
  }
  // ±1 weights of a k×k binary conv.
  int conv_weights(const std::string& name, int oc, int k, int ic) {
    return b_.constant_bits(name + ".weight", {oc, k, k, ic}, pm1(static_cast<size_t>(oc) * k * k * ic));
  }
  int rprelu(int x, const std::string& name, int c) {
    return b_.rprelu(x, vec(name + ".gamma", normal(c, 0, 0.1f)),
                     vec(name + ".slope", normal(c, 0.25f, 0.05f)), vec(name + ".zeta", normal(c, 0, 0.1f)),
                     name);
  }
  // Float classifier head "fc".
  int head(int x, int ic, int classes) {
    const float s = 1.0f / std::sqrt(static_cast<float>(ic));
    const int w =
        b_.constant_f32("fc.weight", {classes, ic}, normal(static_cast<size_t>(classes) * ic, 0, s));
    const int bias = b_.constant_f32("fc.bias", {classes}, normal(classes, 0, 0.1f));
    return b_.dense(x, w, bias, "fc");
  }

 protected:
  GraphBuilder& b_;
  std::mt19937_64 rng_;
};

}  // namespace bnnkit::zoo
