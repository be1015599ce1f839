// Paired statistics against values computed by hand.
#include "qforge/eval/stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qforge {
namespace {

// Two-sided exact McNemar: p = min(1, 2 * sum_{i <= min(b,c)} C(b+c, i) / 2^(b+c)).
TEST(McNemar, HandComputedPValues) {
  EXPECT_DOUBLE_EQ(eval::McNemarExactP(0, 0), 1.0);             // no discordant pairs
  EXPECT_NEAR(eval::McNemarExactP(0, 5), 2.0 / 32, 1e-12);      // 2 * 1/32 = 0.0625
  EXPECT_NEAR(eval::McNemarExactP(5, 0), 2.0 / 32, 1e-12);      // symmetric
  EXPECT_NEAR(eval::McNemarExactP(1, 9), 22.0 / 1024, 1e-12);   // 2 * (1 + 10) / 1024
  EXPECT_NEAR(eval::McNemarExactP(2, 8), 112.0 / 1024, 1e-12);  // 2 * (1 + 10 + 45) / 1024
  EXPECT_DOUBLE_EQ(eval::McNemarExactP(5, 5), 1.0);             // 2 * 638/1024 > 1, capped
  EXPECT_NEAR(eval::McNemarExactP(0, 1), 1.0, 1e-12);           // 2 * 1/2
  // b=3, c=17, n=20: 2 * (1 + 20 + 190 + 1140) / 2^20 = 2702 / 1048576 = 0.0025768...
  EXPECT_NEAR(eval::McNemarExactP(3, 17), 2702.0 / 1048576, 1e-12);
}

TEST(Binomial, LlamaCppForm) {
  EXPECT_NEAR(eval::BinomialUncertainty(75, 100), std::sqrt(0.75 * 0.25 / 99), 1e-15);
  EXPECT_EQ(eval::BinomialUncertainty(1, 1), 0.0);
  EXPECT_EQ(eval::BinomialUncertainty(10, 10), 0.0);
}

TEST(Percentile, LinearInterpolationBetweenRanks) {
  const std::vector<double> v = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(eval::Percentile(std::span<const double>(v), 0.0), 1);
  EXPECT_DOUBLE_EQ(eval::Percentile(std::span<const double>(v), 1.0), 5);
  EXPECT_DOUBLE_EQ(eval::Percentile(std::span<const double>(v), 0.5), 3);
  EXPECT_DOUBLE_EQ(eval::Percentile(std::span<const double>(v), 0.9), 4.6);  // 0.9 * 4 = 3.6
}

TEST(Bootstrap, ReproducibleWithTheSeedAndCoversTheDelta) {
  std::vector<double> base(100), cand(100);
  for (int i = 0; i < 100; ++i) {
    base[size_t(i)] = i % 10 < 8 ? 1 : 0;  // 80% right
    cand[size_t(i)] = i % 10 < 6 ? 1 : 0;  // 60% right
  }
  const eval::Interval a = eval::MeanDeltaInterval(base, cand);
  const eval::Interval b = eval::MeanDeltaInterval(base, cand);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_DOUBLE_EQ(a.estimate, -0.2);
  EXPECT_LT(a.low, -0.2);
  EXPECT_GT(a.high, -0.2);
  // The delta per case is -1 with probability 0.2, else 0: s.e. of the mean = sqrt(.2*.8/100) =
  // 0.04, so a 95% interval spans about +/- 1.96 * 0.04 = 0.078; allow the bootstrap's own
  // resampling noise (2000 resamples: ~3% on the endpoints).
  EXPECT_NEAR(a.high - a.low, 2 * 1.96 * 0.04, 0.02);
  eval::BootstrapOptions other;
  other.seed = 7;
  const eval::Interval c = eval::MeanDeltaInterval(base, cand, other);
  EXPECT_TRUE(c.low != a.low || c.high != a.high);  // the seed matters
}

TEST(Bootstrap, IdenticalOutcomesGiveAZeroInterval) {
  const std::vector<double> v = {1, 0, 1, 1, 0};
  const eval::Interval a = eval::MeanDeltaInterval(v, v);
  EXPECT_EQ(a.estimate, 0.0);
  EXPECT_EQ(a.low, 0.0);
  EXPECT_EQ(a.high, 0.0);
}

}  // namespace
}  // namespace qforge
