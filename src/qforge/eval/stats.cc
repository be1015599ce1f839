// Binomial errors, percentiles, McNemar and the paired bootstrap.
#include "qforge/eval/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "qforge/core/error.h"

namespace qforge::eval {
namespace {

template <typename T>
double PercentileOf(std::span<const T> sorted, double fraction) {
  QF_CHECK(!sorted.empty());
  if (fraction <= 0) return double(sorted.front());
  if (fraction >= 1) return double(sorted.back());
  const double p = fraction * double(sorted.size() - 1);
  const size_t i = size_t(p);
  const double w = p - double(i);
  return (1 - w) * double(sorted[i]) + w * double(sorted[std::min(i + 1, sorted.size() - 1)]);
}

}  // namespace

double BinomialUncertainty(int64_t k, int64_t n) {
  if (n < 2) return 0;
  const double p = double(k) / double(n);
  return std::sqrt(p * (1 - p) / double(n - 1));
}

double Percentile(std::span<const float> sorted, double fraction) {
  return PercentileOf(sorted, fraction);
}
double Percentile(std::span<const double> sorted, double fraction) {
  return PercentileOf(sorted, fraction);
}

double McNemarExactP(int64_t b, int64_t c) {
  QF_CHECK(b >= 0 && c >= 0);
  const int64_t n = b + c;
  if (n == 0) return 1.0;
  const int64_t k = std::min(b, c);
  // Sum C(n, i) / 2^n for i <= k in log space: exact enough for n up to millions.
  double tail = 0;
  for (int64_t i = 0; i <= k; ++i)
    tail += std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(i) + 1) -
                     std::lgamma(double(n - i) + 1) - double(n) * std::log(2.0));
  return std::min(1.0, 2 * tail);
}

Interval PairedBootstrap(size_t n,
                         const std::function<double(std::span<const uint32_t>)>& statistic,
                         const BootstrapOptions& options) {
  QF_CHECK(options.resamples > 0 && options.level > 0 && options.level < 1);
  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  Interval out;
  out.estimate = n == 0 ? 0 : statistic(idx);
  if (n == 0) return out;
  std::mt19937_64 rng(options.seed);
  std::vector<double> values(size_t(options.resamples));
  for (double& v : values) {
    for (uint32_t& i : idx) i = uint32_t(rng() % n);
    v = statistic(idx);
  }
  std::sort(values.begin(), values.end());
  const double tail = (1 - options.level) / 2;
  out.low = Percentile(std::span<const double>(values), tail);
  out.high = Percentile(std::span<const double>(values), 1 - tail);
  return out;
}

Interval MeanDeltaInterval(std::span<const double> base, std::span<const double> cand,
                           const BootstrapOptions& options) {
  QF_CHECK(base.size() == cand.size());
  return PairedBootstrap(
      base.size(),
      [&](std::span<const uint32_t> idx) {
        double sum = 0;
        for (uint32_t i : idx) sum += cand[i] - base[i];
        return sum / double(idx.size());
      },
      options);
}

}  // namespace qforge::eval
