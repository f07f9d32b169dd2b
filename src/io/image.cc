#include "io/image.h"

#include <png.h>

#include <cstring>
#include <filesystem>

#include "bnnkit/error.h"

namespace bnnkit::io {

Image read_png(const std::string& path, int channels) {
  if (channels != 1 && channels != 3)
    throw Error("'" + path + "': cannot convert a PNG to " + std::to_string(channels) + " channels (1 or 3)");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error("'" + path + "': no such file");
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str()))
    throw Error("'" + path + "': not a readable PNG (" + std::string(img.message) + ")");
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (img.width == 0 || img.height == 0 || img.width > 16384 || img.height > 16384) {
    png_image_free(&img);
    throw Error("'" + path + "': unsupported PNG size " + std::to_string(img.width) + "x" +
                std::to_string(img.height));
  }
  Image out;
  out.h = static_cast<int>(img.height), out.w = static_cast<int>(img.width), out.c = channels;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
    const std::string msg = img.message;
    png_image_free(&img);
    throw Error("'" + path + "': corrupt PNG (" + msg + ")");
  }
  return out;
}

std::vector<float> normalize(const std::vector<uint8_t>& pixels, int channels, const ModelMetadata& meta) {
  std::vector<float> out(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) {
    const size_t c = i % static_cast<size_t>(channels);
    const float mean = c < meta.input_mean.size() ? meta.input_mean[c] : 0.0f;
    const float stdv = c < meta.input_std.size() ? meta.input_std[c] : 1.0f;
    out[i] = (static_cast<float>(pixels[i]) / 255.0f - mean) / stdv;
  }
  return out;
}

}  // namespace bnnkit::io
