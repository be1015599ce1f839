// libFuzzer target: arbitrary bytes as a .safetensors file. Only qforge::Error may escape the
// reader; every tensor view it returns must lie inside the file.
#include <cstdint>

#include "fuzz_input.h"
#include "qforge/core/error.h"
#include "qforge/io/safetensors_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const qforge::fuzz::InputFile input(data, size, ".safetensors");
  try {
    qforge::fuzz::TouchViews(qforge::io::ReadSafetensors(input.path()).tensors);
  } catch (const qforge::Error&) {
  }
  return 0;
}
