// libFuzzer target: arbitrary bytes as a llama2.c checkpoint. Only qforge::Error may escape the
// reader; every tensor view it returns must lie inside the file.
#include <cstdint>

#include "fuzz_input.h"
#include "qforge/core/error.h"
#include "qforge/io/llama2c_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const qforge::fuzz::InputFile input(data, size, ".bin");
  try {
    qforge::fuzz::TouchViews(qforge::io::LoadLlama2cCheckpoint(input.path()).tensors);
  } catch (const qforge::Error&) {
  }
  return 0;
}
