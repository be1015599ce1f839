// Failure path of QF_CHECK.
#include "qforge/core/error.h"

namespace qforge {

void CheckFailed(const char* condition, const char* file, int line) {
  throw Error(ErrorKind::kInternal,
              fmt::format("internal error: {} failed at {}:{}", condition, file, line));
}

}  // namespace qforge
