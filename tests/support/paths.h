// Where tests find the shared read-only data and the built binary.
#pragma once

#include <string>

namespace qforge::test {

inline std::string Shared(const std::string& rel) {
  return std::string(QFORGE_SHARED_DIR) + "/" + rel;
}
inline std::string Source(const std::string& rel) {
  return std::string(QFORGE_SOURCE_DIR) + "/" + rel;
}
inline std::string Binary() { return QFORGE_BINARY; }

}  // namespace qforge::test
