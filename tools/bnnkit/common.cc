#include "common.h"

#include <algorithm>
#include <filesystem>

#include "io/image.h"
#include "zoo/zoo.h"

namespace bnnkit::cli {

Model load_model_or_arch(const std::string& path_or_arch) {
  std::error_code ec;
  if (!std::filesystem::exists(path_or_arch, ec))
    for (const zoo::Arch& a : zoo::archs())
      if (path_or_arch == a.name) return Model::from_graph(a.build(1));
  return Model::load(path_or_arch);
}

ImageInput image_input(const Model& model) {
  const auto inputs = model.inputs();
  const TensorInfo& t = inputs.at(0);
  if (t.shape.size() != 4)
    throw Error("the model's input '" + t.name + "' is not an image tensor [N, H, W, C]");
  if (t.dtype != DType::kUInt8 && t.dtype != DType::kFloat32)
    throw Error("the model's input '" + t.name + "' is " + dtype_name(t.dtype) +
                "; images need uint8 or float32");
  return {t.shape[1], t.shape[2], t.shape[3], t.dtype};
}

void feed_images(Session& session, const ImageInput& in, const uint8_t* images, int count) {
  const size_t per = static_cast<size_t>(in.h) * in.w * in.c;
  std::vector<uint8_t> batch(per * session.batch(), 0);
  std::copy(images, images + per * count, batch.begin());
  if (in.dtype == DType::kUInt8) {
    session.set_input(0, std::span<const uint8_t>(batch));
  } else {
    const std::vector<float> x = io::normalize(batch, in.c, session.model().metadata());
    session.set_input(0, std::span<const float>(x));
  }
}

std::vector<int> argmax_rows(const Session& session, int count) {
  const TensorView out = session.output(0);
  if (out.dtype != DType::kFloat32 || out.shape.size() != 2)
    throw Error("the model's first output is not float32 [N, classes]");
  const auto* p = static_cast<const float*>(out.data);
  const int classes = out.shape[1];
  std::vector<int> pred(count);
  for (int i = 0; i < count; ++i)
    pred[i] = static_cast<int>(std::max_element(p + i * classes, p + (i + 1) * classes) - (p + i * classes));
  return pred;
}

std::string class_name(const Model& model, int k) {
  const auto& names = model.metadata().class_names;
  return k >= 0 && k < static_cast<int>(names.size()) ? names[k] : "class " + std::to_string(k);
}

}  // namespace bnnkit::cli
