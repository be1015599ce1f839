#include "qforge/quant/smoothquant.h"

#include <algorithm>
#include <cmath>

#include "qforge/core/error.h"

namespace qforge::quant {

std::vector<float> SmoothQuantScales(std::span<const float> x_absmax,
                                     std::span<const SmoothLinear> linears, double alpha) {
  const int64_t in = int64_t(x_absmax.size());
  std::vector<float> w_max(size_t(in), 0.0f);
  for (const SmoothLinear& l : linears)
    for (int64_t r = 0; r < l.rows; ++r)
      for (int64_t j = 0; j < in; ++j)
        w_max[size_t(j)] = std::max(w_max[size_t(j)], std::fabs(l.w[r * in + j]));
  std::vector<float> s(static_cast<size_t>(in));
  for (int64_t j = 0; j < in; ++j) {
    const double a = std::max(1e-5, double(x_absmax[size_t(j)]));
    const double w = std::max(1e-5, double(w_max[size_t(j)]));
    s[size_t(j)] = float(std::max(1e-5, std::pow(a, alpha) / std::pow(w, 1.0 - alpha)));
  }
  return s;
}

}  // namespace qforge::quant
