// libFuzzer program for the 'model_load' target; the entry is in targets.cc (shared with the regression
// test).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_model_load(data, size);
}
