// libFuzzer target: arbitrary bytes as a .safetensors file. Only qforge::Error may escape the
// reader; every tensor view it returns must lie inside the file.
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "qforge/core/error.h"
#include "qforge/io/safetensors_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/qforge-safetensors-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    const auto st = qforge::io::ReadSafetensors(path);
    volatile uint8_t sink = 0;
    for (const auto& t : st.tensors)
      if (t.nbytes > 0) sink = sink ^ uint8_t(t.data[t.nbytes - 1]);
  } catch (const qforge::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
