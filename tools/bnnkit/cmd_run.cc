// bnnkit run MODEL --images FILE: classify images from an IDX file or a PNG and print the top-k classes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "bnnkit/bnnkit.h"
#include "commands.h"
#include "common.h"
#include "io/idx.h"
#include "io/image.h"

namespace bnnkit::cli {
int run_run(const RunArgs& a) {
  const Model model = Model::load(a.model);
  const ImageInput in = image_input(model);
  int count = 0;
  const std::vector<uint8_t> pixels = load_images(model, a.images, a.count, &count);
  const int batch = std::min(count, 64);
  Session session(model, {.threads = a.threads, .batch = batch, .profile = a.profile});
  const size_t per = static_cast<size_t>(in.h) * in.w * in.c;
  const int top = std::max(1, a.top);
  for (int start = 0; start < count; start += batch) {
    const int n = std::min(batch, count - start);
    feed_images(session, in, pixels.data() + per * start, n);
    session.run();
    const TensorView out = session.output(0);
    if (out.dtype != DType::kFloat32 || out.shape.size() != 2)
      throw Error("the model's first output is not float32 [N, classes]");
    const int classes = out.shape[1];
    for (int i = 0; i < n; ++i) {
      const float* logits = static_cast<const float*>(out.data) + static_cast<size_t>(i) * classes;
      // Softmax for display; the ranking is the logits'.
      const float mx = *std::max_element(logits, logits + classes);
      std::vector<double> p(classes);
      double sum = 0;
      for (int k = 0; k < classes; ++k) sum += p[k] = std::exp(static_cast<double>(logits[k] - mx));
      std::vector<int> order(classes);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return logits[x] > logits[y]; });
      std::printf("image %d:", start + i);
      for (int k = 0; k < std::min(top, classes); ++k)
        std::printf("  %s (%.3f)", class_name(model, order[k]).c_str(), p[order[k]] / sum);
      std::printf("\n");
    }
  }
  if (a.profile) print_gate_rows(gate_rows(model, session.profile()));
  return 0;
}

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Classify images (IDX file or PNG) and print the top-k classes");
  cmd->add_option("model", args->model, "Model file (.bnn)")->required();
  cmd->add_option("--images", args->images, "IDX image file (gzipped or not) or a PNG")->required();
  cmd->add_option("--count", args->count, "How many images of an IDX file to classify")
      ->capture_default_str();
  cmd->add_option("--top", args->top, "Classes to show per image")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->add_flag("--profile", args->profile,
                "After the predictions, each gated layer's density, effective activation bits and time");
  cmd->callback([args] {
    if (int rc = run_run(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
