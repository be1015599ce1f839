#include "qforge/quant/error_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "qforge/core/error.h"

namespace qforge::quant {

void ErrorStats::Add(std::span<const float> original, std::span<const float> quantized) {
  QF_CHECK(original.size() == quantized.size());
  for (size_t i = 0; i < original.size(); ++i) {
    const double x = original[i], y = quantized[i];
    if (!std::isfinite(x) || !std::isfinite(y)) {
      ++nonfinite;
      continue;
    }
    const double e = x - y;
    sum_sq_error += e * e;
    sum_sq_signal += x * x;
    max_abs_error = std::max(max_abs_error, std::abs(e));
    ++count;
  }
}

void ErrorStats::Merge(const ErrorStats& o) {
  count += o.count;
  sum_sq_error += o.sum_sq_error;
  sum_sq_signal += o.sum_sq_signal;
  max_abs_error = std::max(max_abs_error, o.max_abs_error);
  nonfinite += o.nonfinite;
}

double ErrorStats::Rmse() const { return std::sqrt(Mse()); }

double ErrorStats::SqnrDb() const {
  if (sum_sq_error == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(sum_sq_signal / sum_sq_error);
}

}  // namespace qforge::quant
