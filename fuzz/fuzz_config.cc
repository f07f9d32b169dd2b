// libFuzzer program for the 'config' target (the trainer's JSON config parser, no LibTorch); the entry is in
// targets.cc (shared with the regression test).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_config(data, size);
}
