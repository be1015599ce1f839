// Text outputs (suites, reports, cache entries) go through io::AtomicFile, so an interrupted run
// never leaves a half-written file.
#pragma once

#include <string>
#include <string_view>

#include "qforge/io/atomic_file.h"

namespace qforge::eval {

inline void WriteTextAtomic(const std::string& path, std::string_view text) {
  io::AtomicFile file(path);
  file.Write(text.data(), text.size());
  file.Commit();
}

}  // namespace qforge::eval
