#include "qforge/calib/input_capture.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "qforge/core/error.h"

namespace qforge::calib {

InputCapture::InputCapture(int width, const InputCaptureOptions& options)
    : width_(width),
      options_(options),
      absmax_(size_t(width), 0.0f),
      sum_abs_(size_t(width), 0.0),
      sum_sq_(size_t(width), 0.0) {
  QF_CHECK(width > 0);
  if (options.hessian) xtx_.assign(size_t(width) * size_t(width), 0.0);
  if (options.sample_tokens > 0)
    stride_ = std::max<int64_t>(1, options.total_tokens / options.sample_tokens);
}

void InputCapture::Add(const float* x, int n) {
  for (int t = 0; t < n; ++t) {
    const float* row = x + size_t(t) * size_t(width_);
    for (int j = 0; j < width_; ++j) {
      const float a = std::fabs(row[j]);
      absmax_[size_t(j)] = std::max(absmax_[size_t(j)], a);
      sum_abs_[size_t(j)] += a;
      sum_sq_[size_t(j)] += double(row[j]) * double(row[j]);
    }
    if (options_.sample_tokens > 0 && (count_ + t) % stride_ == 0 &&
        sample_rows() < options_.sample_tokens)
      sample_.insert(sample_.end(), row, row + width_);
  }
  if (options_.hessian) {
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::MatrixXd xd = Eigen::Map<const RowMajor>(x, n, width_).cast<double>();
    Eigen::Map<Eigen::MatrixXd> h(xtx_.data(), width_, width_);
    h.selfadjointView<Eigen::Lower>().rankUpdate(xd.transpose());
  }
  count_ += n;
}

std::vector<float> InputCapture::MeanAbs() const {
  std::vector<float> out(static_cast<size_t>(width_));
  for (int j = 0; j < width_; ++j) out[size_t(j)] = float(sum_abs_[size_t(j)] / double(std::max<int64_t>(1, count_)));
  return out;
}

std::vector<float> InputCapture::MeanSquare() const {
  std::vector<float> out(static_cast<size_t>(width_));
  for (int j = 0; j < width_; ++j) out[size_t(j)] = float(sum_sq_[size_t(j)] / double(std::max<int64_t>(1, count_)));
  return out;
}

std::vector<double> InputCapture::Hessian() const {
  QF_CHECK(options_.hessian);
  const size_t w = size_t(width_);
  std::vector<double> h(w * w);
  const double scale = 2.0 / double(std::max<int64_t>(1, count_));
  for (size_t c = 0; c < w; ++c)
    for (size_t r = c; r < w; ++r) h[c * w + r] = h[r * w + c] = xtx_[c * w + r] * scale;
  return h;
}

}  // namespace qforge::calib
