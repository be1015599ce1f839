// Formatting helpers for tensor views.
#include "qforge/core/tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace qforge {

std::string ShapeString(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace qforge
