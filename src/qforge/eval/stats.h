// Paired statistics for baseline-vs-candidate comparisons: binomial standard errors, seeded paired
// bootstrap intervals, McNemar's exact test, interpolated percentiles.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace qforge::eval {

// Standard error of a rate k/n as llama.cpp prints it: sqrt(p (1 - p) / (n - 1)); 0 when n < 2.
double BinomialUncertainty(int64_t k, int64_t n);

// Linear interpolation between the closest ranks of an ascending `sorted` (llama.cpp's percentile):
// position fraction * (n - 1). fraction <= 0 gives the minimum, >= 1 the maximum.
double Percentile(std::span<const float> sorted, double fraction);
double Percentile(std::span<const double> sorted, double fraction);

// McNemar's exact test: under "no change", each of the b + c discordant pairs (right -> wrong: b,
// wrong -> right: c) is a fair coin, so the two-sided p-value is
// min(1, 2 * P[Binomial(b + c, 1/2) <= min(b, c)]). 1 when there are no discordant pairs.
double McNemarExactP(int64_t b, int64_t c);

struct Interval {
  double estimate = 0;  // the statistic on the full sample
  double low = 0;       // percentile interval over the bootstrap resamples
  double high = 0;
};

struct BootstrapOptions {
  int resamples = 2000;
  double level = 0.95;
  uint64_t seed = 20240601;  // fixed: a report is reproducible bit for bit
};

// Paired bootstrap over n cases: each resample draws n case indices with replacement (mt19937_64,
// whose output the C++ standard fixes, and a modulo reduction, so every platform draws the same
// indices) and evaluates `statistic` on them. statistic(all indices) is the estimate.
Interval PairedBootstrap(size_t n,
                         const std::function<double(std::span<const uint32_t>)>& statistic,
                         const BootstrapOptions& options = {});

// The common case: the mean of cand[i] - base[i].
Interval MeanDeltaInterval(std::span<const double> base, std::span<const double> cand,
                           const BootstrapOptions& options = {});

}  // namespace qforge::eval
