// Statistics of the inputs of a linear layer over calibration tokens: what the calibrated methods
// read. Per input channel: abs-max (SmoothQuant), mean |x| (AWQ), mean x^2 (importance matrices);
// optionally the Hessian 2/N sum x x^T (GPTQ) and a fixed sample of the token rows (AWQ's searches
// and the output-error report).
#pragma once

#include <cstdint>
#include <vector>

namespace qforge::calib {

struct InputCaptureOptions {
  bool hessian = false;
  int64_t sample_tokens = 0;  // rows to keep: every k-th token with k = total / sample
  int64_t total_tokens = 0;   // how many tokens Add will see in all (sets k)
};

class InputCapture {
 public:
  InputCapture(int width, const InputCaptureOptions& options);

  // x: [n, width] row-major. Calls must come in a fixed order (they do: one sequence at a time)
  // for the sums to be reproducible.
  void Add(const float* x, int n);

  int width() const { return width_; }
  int64_t count() const { return count_; }
  const std::vector<float>& absmax() const { return absmax_; }
  std::vector<float> MeanAbs() const;
  std::vector<float> MeanSquare() const;
  // 2/N sum x x^T as a full [width, width] matrix (GPTQ's H). Requires options.hessian.
  std::vector<double> Hessian() const;
  // The kept token rows, [sample_rows(), width].
  const std::vector<float>& sample() const { return sample_; }
  int64_t sample_rows() const { return int64_t(sample_.size()) / width_; }

 private:
  int width_;
  InputCaptureOptions options_;
  int64_t stride_ = 1;
  int64_t count_ = 0;
  std::vector<float> absmax_;
  std::vector<double> sum_abs_, sum_sq_;
  std::vector<double> xtx_;  // lower triangle used, column-major [width, width]
  std::vector<float> sample_;
};

}  // namespace qforge::calib
