// Reading model files (the writing side is bnnkit::serialize_model / save_model in graph.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bnnkit/graph.h"

namespace bnnkit::model_file {

// Verifies and converts model-file bytes; `origin` (a path) names them in errors. Throws bnnkit::Error.
Graph parse(std::span<const uint8_t> bytes, const std::string& origin);
// Whole file into memory, with errors for missing files, directories and unreadable files.
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace bnnkit::model_file
