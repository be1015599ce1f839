// libFuzzer target: arbitrary bytes as a llama2.c checkpoint. Any outcome but a qforge::Error
// or a successful load (with every tensor view inside the file) is a bug.
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "qforge/core/error.h"
#include "qforge/io/llama2c_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/qforge-llama2c-fuzz-" + std::to_string(::getpid()) + ".bin";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    const qforge::Checkpoint ckpt = qforge::io::LoadLlama2cCheckpoint(path);
    volatile uint8_t sink = 0;
    for (const auto& t : ckpt.tensors)
      if (t.nbytes > 0) sink = sink ^ uint8_t(t.data[t.nbytes - 1]);  // touches the last byte of every view
  } catch (const qforge::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
