// How far a quantized tensor is from its original (STYLE.md practice 6): one accumulator serves
// the tests' error budgets and `qforge stats`.
#pragma once

#include <cstdint>
#include <span>

namespace qforge::quant {

struct ErrorStats {
  int64_t count = 0;
  double sum_sq_error = 0;   // sum (x - x')^2
  double sum_sq_signal = 0;  // sum x^2
  double max_abs_error = 0;
  int64_t nonfinite = 0;  // NaN/Inf in either input: counted, left out of the sums

  void Add(std::span<const float> original, std::span<const float> quantized);
  void Merge(const ErrorStats& other);

  double Mse() const { return count > 0 ? sum_sq_error / double(count) : 0; }
  double Rmse() const;
  // Signal-to-quantization-noise ratio, 10 log10(sum x^2 / sum (x - x')^2); +inf when exact.
  double SqnrDb() const;
};

}  // namespace qforge::quant
