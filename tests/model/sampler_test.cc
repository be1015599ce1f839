// Sampling: greedy, top-k, top-p and temperature against their definitions, and reproducibility
// from the seed.
#include "qforge/model/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace qforge::model {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.0f, 0.5f, 3.0f - 1e-3f};

TEST(Sampler, GreedyIsArgmaxWithLowestIndexOnTies) {
  Sampler greedy(SamplerOptions{.temperature = 0.0f});
  EXPECT_EQ(greedy.Sample(kLogits), 1);
  EXPECT_EQ(Argmax(std::vector<float>{2.0f, 5.0f, 5.0f}), 1);
}

TEST(Sampler, TopKOneAndTinyTopPAreGreedy) {
  Sampler top1(SamplerOptions{.temperature = 5.0f, .top_k = 1, .top_p = 1.0f, .seed = 3});
  Sampler nucleus(SamplerOptions{.temperature = 1.0f, .top_k = 0, .top_p = 1e-6f, .seed = 3});
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(top1.Sample(kLogits), 1);
    EXPECT_EQ(nucleus.Sample(kLogits), 1);
  }
}

TEST(Sampler, SameSeedSameSequence) {
  const SamplerOptions options{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 1234};
  Sampler a(options), b(options);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(a.Sample(kLogits), b.Sample(kLogits));
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  // At temperature T with no cut-off, token i is drawn with p_i = softmax(logits / T)_i. Over n
  // draws its count has standard deviation sqrt(n p (1 - p)); 4 sigma keeps a false failure
  // below 1e-4 per token.
  const float temperature = 0.7f;
  Sampler s(SamplerOptions{.temperature = temperature, .top_k = 0, .top_p = 1.0f, .seed = 99});
  const int n = 40000;
  std::vector<int> counts(kLogits.size(), 0);
  for (int i = 0; i < n; ++i) ++counts[size_t(s.Sample(kLogits))];
  double z = 0;
  for (float l : kLogits) z += std::exp(double(l) / temperature);
  for (size_t i = 0; i < kLogits.size(); ++i) {
    const double p = std::exp(double(kLogits[i]) / temperature) / z;
    EXPECT_NEAR(counts[i], n * p, 4 * std::sqrt(n * p * (1 - p))) << "token " << i;
  }
}

TEST(Sampler, TopKExcludesTheRest) {
  Sampler s(SamplerOptions{.temperature = 1.0f, .top_k = 2, .top_p = 1.0f, .seed = 5});
  for (int i = 0; i < 500; ++i) {
    const int t = s.Sample(kLogits);
    EXPECT_TRUE(t == 1 || t == 4) << t;  // the two largest logits
  }
}

}  // namespace
}  // namespace qforge::model
