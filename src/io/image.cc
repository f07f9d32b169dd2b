#include "io/image.h"

#include <png.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "bnnkit/error.h"

namespace bnnkit::io {

namespace {

// Finishes a png_image whose header has been read: checks the size, converts to `channels` and decodes.
Image finish_png(png_image& img, int channels, const std::string& origin, int max_side) {
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (img.width == 0 || img.height == 0 || img.width > static_cast<uint32_t>(max_side) ||
      img.height > static_cast<uint32_t>(max_side)) {
    png_image_free(&img);
    throw Error("'" + origin + "': unsupported PNG size " + std::to_string(img.width) + "x" +
                std::to_string(img.height) + " (at most " + std::to_string(max_side) + " per side)");
  }
  Image out;
  out.h = static_cast<int>(img.height), out.w = static_cast<int>(img.width), out.c = channels;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
    const std::string msg = img.message;
    png_image_free(&img);
    throw Error("'" + origin + "': corrupt PNG (" + msg + ")");
  }
  return out;
}

void check_channels(int channels, const std::string& origin) {
  if (channels != 1 && channels != 3)
    throw Error("'" + origin + "': cannot convert a PNG to " + std::to_string(channels) +
                " channels (1 or 3)");
}

}  // namespace

Image read_png(const std::string& path, int channels) {
  check_channels(channels, path);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error("'" + path + "': is a directory, not a PNG");
  if (!std::filesystem::exists(path, ec)) throw Error("'" + path + "': no such file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("'" + path + "': cannot open: " + std::strerror(errno));
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  if (f.bad()) throw Error("'" + path + "': read failed");
  return decode_png(bytes, channels, path);
}

Image decode_png(std::span<const uint8_t> bytes, int channels, const std::string& origin, int max_side) {
  check_channels(channels, origin);
  if (bytes.empty()) throw Error("'" + origin + "': empty file, not a PNG");
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()))
    throw Error("'" + origin + "': not a readable PNG (" + std::string(img.message) + ")");
  return finish_png(img, channels, origin, max_side);
}

std::vector<float> normalize(const std::vector<uint8_t>& pixels, int channels, const ModelMetadata& meta) {
  for (int c = 0; c < channels; ++c) {
    const float mean = static_cast<size_t>(c) < meta.input_mean.size() ? meta.input_mean[c] : 0.0f;
    const float stdv = static_cast<size_t>(c) < meta.input_std.size() ? meta.input_std[c] : 1.0f;
    if (!std::isfinite(mean) || !std::isfinite(stdv) || stdv == 0.0f)
      throw Error("the model's input normalisation for channel " + std::to_string(c) + " (mean " +
                  std::to_string(mean) + ", std " + std::to_string(stdv) +
                  ") is unusable: mean and std must be finite and std non-zero");
  }
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
