// llama.cpp imatrix files (io/imatrix_file.h): parse arbitrary bytes as a GGUF or legacy .dat
// imatrix; every entry that parses must derive one non-negative importance (never NaN) per value.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/io/imatrix_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const qforge::ImportanceMatrix m =
        qforge::io::ParseImatrix(std::as_bytes(std::span(data, size)), "fuzz.imatrix");
    for (const auto& [name, entry] : m.entries) {
      const std::vector<float> importance = entry.Importance();
      if (importance.size() != entry.sum_sq.size()) __builtin_trap();
      for (float v : importance)
        if (std::isnan(v) || v < 0) __builtin_trap();
    }
  } catch (const qforge::Error&) {
    // Rejected with a message naming the file and entry: the expected outcome for most inputs.
  }
  return 0;
}
