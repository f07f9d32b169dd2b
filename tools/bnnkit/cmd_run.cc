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
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                                                 [](char a, char b) { return std::tolower(a) == b; });
}

}  // namespace

int run_run(const RunArgs& a) {
  const Model model = Model::load(a.model);
  const ImageInput in = image_input(model);
  const std::string geometry = std::to_string(in.h) + "x" + std::to_string(in.w) + "x" + std::to_string(in.c);
  std::vector<uint8_t> pixels;
  int count = 0;
  if (ends_with(a.images, ".png")) {
    io::Image img = io::read_png(a.images, in.c);
    if (img.h != in.h || img.w != in.w)
      throw Error("'" + a.images + "' is " + std::to_string(img.h) + "x" + std::to_string(img.w) +
                  " but the model expects " + std::to_string(in.h) + "x" + std::to_string(in.w) + " images");
    pixels = std::move(img.pixels);
    count = 1;
  } else {
    io::IdxArray idx = io::read_idx(a.images);
    std::vector<int> d = idx.dims;
    if (d.size() == 1)
      throw Error("'" + a.images + "' is a one-dimensional IDX array [" + std::to_string(d[0]) +
                  "] (labels?), not images");
    if (d.size() == 2) d.insert(d.begin(), 1);  // one [h][w] image
    if (d.size() == 3) d.push_back(1);          // [n][h][w]: grayscale
    if (d.size() != 4 || d[1] != in.h || d[2] != in.w || d[3] != in.c) {
      std::string got;
      for (size_t i = 1; i < d.size(); ++i) got += (i > 1 ? "x" : "") + std::to_string(d[i]);
      throw Error("'" + a.images + "' holds " + got + " images but the model expects " + geometry);
    }
    count = std::min(d[0], std::max(1, a.count));
    pixels = std::move(idx.data);
  }
  const int batch = std::min(count, 64);
  Session session(model, {.threads = a.threads, .batch = batch});
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
  cmd->callback([args] {
    if (int rc = run_run(*args)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bnnkit::cli
