// Test helper: the message build_model() throws for a model config ("" when it builds).
#pragma once

#include <exception>
#include <string>

#include "train/models/models.h"

namespace bnnkit::train {

inline std::string build_error(const Json& model_cfg) {
  try {
    build_model(model_cfg);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace bnnkit::train
