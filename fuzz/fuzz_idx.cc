// libFuzzer program for the 'idx' target; the entry is in targets.cc (shared with the regression test).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_idx(data, size);
}
