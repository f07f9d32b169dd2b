#include "train/export/parity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "bnnkit/bnnkit.h"
#include "train/data/dataset.h"
#include "train/recipes/checkpoint.h"
#include "train/recipes/trainer.h"

namespace bnnkit::train {

ParityReport check_parity(const std::string& checkpoint, const std::string& model_path,
                          const std::string& data_dir, int64_t limit, int threads) {
  Checkpoint c = load_checkpoint(checkpoint);
  const Model model = Model::load(model_path);
  const Dataset test = load_split(data_dir, false).head(limit);
  const auto fconvs = c.model->gated_layers();
  const bool float_input = model.inputs().at(0).dtype == DType::kFloat32;
  const int64_t batch = std::min<int64_t>(250, test.size());
  Session s(model, SessionOptions{.threads = threads, .batch = static_cast<int>(batch)});
  ParityReport r;
  int64_t engine_correct = 0, trainer_correct = 0;
  double engine_s = 0.0;
  for (int64_t start = 0; start + batch <= test.size(); start += batch) {
    const auto images = test.images.narrow(0, start, batch);
    const auto labels = test.labels.narrow(0, start, batch);
    const auto logits = predict(*c.model, images, batch);  // one forward: last_density is this batch's
    torch::Tensor x;
    if (float_input) {
      x = normalize_pixels(images, c.model->mean, c.model->std).permute({0, 2, 3, 1}).contiguous();
      s.set_input(0, std::span<const float>(x.data_ptr<float>(), static_cast<size_t>(x.numel())));
    } else {
      x = images.permute({0, 2, 3, 1}).contiguous();
      s.set_input(0, std::span<const uint8_t>(x.data_ptr<uint8_t>(), static_cast<size_t>(x.numel())));
    }
    const auto t0 = std::chrono::steady_clock::now();
    s.run();
    engine_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Per fractional conv: the trainer's open gates of this batch (its gate mean times the outputs, exact:
    // an integer count below 2^24 divided and multiplied back) against the engine's counters.
    const auto prof = s.profile();
    size_t k = 0;
    for (const auto& [name, conv] : fconvs) {
      auto it = std::find_if(prof.begin(), prof.end(), [&](const OpProfile& p) { return p.name == name; });
      if (it == prof.end())
        throw std::runtime_error("parity: the model has no fractional conv '" + name + "'");
      if (r.layers.size() <= k) r.layers.push_back({name});
      auto& l = r.layers[k++];
      const int64_t batch_outputs = it->gate_outputs - l.outputs;
      l.trainer_open += std::llround(*conv * static_cast<double>(batch_outputs));
      l.engine_open = it->gate_open;
      l.outputs = it->gate_outputs;
    }
    const auto out = s.output_f32(0);
    const auto el = torch::from_blob(const_cast<float*>(out.data()), logits.sizes(), torch::kFloat32).clone();
    r.max_logit_diff = std::max(r.max_logit_diff, (el - logits).abs().max().item<double>());
    const auto ep = el.argmax(1), tp = logits.argmax(1);
    r.agree += ep.eq(tp).sum().item<int64_t>();
    engine_correct += ep.eq(labels).sum().item<int64_t>();
    trainer_correct += tp.eq(labels).sum().item<int64_t>();
    r.images += batch;
  }
  int64_t open = 0, outputs = 0;
  for (const auto& p : s.profile()) {
    open += p.gate_open;
    outputs += p.gate_outputs;
  }
  r.gate_density = outputs > 0 ? static_cast<double>(open) / static_cast<double>(outputs) : -1.0;
  const double n = static_cast<double>(std::max<int64_t>(r.images, 1));
  r.engine_accuracy = static_cast<double>(engine_correct) / n;
  r.trainer_accuracy = static_cast<double>(trainer_correct) / n;
  r.engine_images_per_s = engine_s > 0 ? static_cast<double>(r.images) / engine_s : 0.0;
  return r;
}

}  // namespace bnnkit::train
