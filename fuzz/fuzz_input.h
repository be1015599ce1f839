// What the file-reader fuzz targets share: the fuzzer's bytes as a temporary file (the readers
// memory-map paths), and a check that every tensor view a reader returns lies inside its mapping.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "qforge/core/tensor.h"

namespace qforge::fuzz {

class InputFile {
 public:
  InputFile(const uint8_t* data, size_t size, const std::string& suffix)
      : path_("/tmp/qforge-fuzz-" + std::to_string(::getpid()) + suffix) {
    if (std::FILE* f = std::fopen(path_.c_str(), "wb")) {
      std::fwrite(data, 1, size, f);
      std::fclose(f);
    }
  }
  ~InputFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads the first and last byte of every view, so ASan reports any view that leaves its file.
inline void TouchViews(const std::vector<TensorView>& tensors) {
  volatile uint8_t sink = 0;
  for (const TensorView& t : tensors)
    if (t.nbytes > 0) sink = sink ^ uint8_t(t.data[0]) ^ uint8_t(t.data[t.nbytes - 1]);
}

}  // namespace qforge::fuzz
