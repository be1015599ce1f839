// Lockstep distribution metrics: per-token formulas by hand, identical models, and f32 vs
// llama.cpp's Q8_0 file against the numbers llama-perplexity --kl-divergence printed (summary.tsv).
#include "qforge/eval/kld.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "eval/testbed.h"

namespace qforge {
namespace {

// base p = (1/4, 3/4) from logits (0, ln 3); candidate q = (1/2, 1/2).
TEST(CompareToken, MatchesHandComputedValues) {
  const std::vector<float> base = {0.0f, float(std::log(3.0))};
  const std::vector<float> cand = {1.5f, 1.5f};  // a shift leaves softmax unchanged
  const eval::TokenComparison t = eval::CompareToken(base, cand, 1);
  // KL = 1/4 ln((1/4)/(1/2)) + 3/4 ln((3/4)/(1/2)) = 0.130812035...
  const double kl = 0.25 * std::log(0.5) + 0.75 * std::log(1.5);
  // float(ln 3) is off by <= 2^-24 relative; KL moves by about that much: 1e-7 absolute.
  EXPECT_NEAR(t.kld, kl, 1e-7);
  EXPECT_NEAR(t.nll_base, -std::log(0.75), 1e-7);
  EXPECT_NEAR(t.nll_cand, std::log(2.0), 1e-12);
  EXPECT_NEAR(t.p_diff, 0.5 - 0.75, 1e-7);
  EXPECT_FALSE(t.same_top);  // base picks 1, the tie in the candidate picks the first index, 0
}

TEST(CompareToken, IdenticalLogitsAreZero) {
  const std::vector<float> logits = {0.3f, -1.0f, 2.5f, 0.0f};
  const eval::TokenComparison t = eval::CompareToken(logits, logits, 0);
  EXPECT_EQ(t.kld, 0.0);
  EXPECT_EQ(t.p_diff, 0.0);
  EXPECT_TRUE(t.same_top);
}

// llama.cpp's summary statistics from known per-token values: mean and standard error by the
// textbook formulas (sample variance / n), median of an even count = mean of the middle two.
TEST(DistributionStats, SummaryFormulas) {
  eval::DistributionStats s;
  for (int i = 0; i < 20; ++i) {
    eval::TokenComparison t;
    t.kld = i;                      // 0..19: mean 9.5, sample variance 35, s.e. sqrt(35/20)
    t.p_diff = i % 2 ? 0.1 : -0.1;  // mean 0, rms 0.1
    t.nll_base = t.nll_cand = 1.0 + 0.01 * i;
    t.same_top = i < 15;
    s.Add(t);
  }
  const eval::DistributionResult r = s.Summarize();
  EXPECT_DOUBLE_EQ(r.kld_mean, 9.5);
  // llama.cpp: sqrt((E[x^2] - E[x]^2) / (n - 1)) = sqrt(33.25 / 19) = sqrt(35 / 20).
  EXPECT_NEAR(r.kld_unc, std::sqrt(35.0 / 20.0), 1e-12);
  EXPECT_NEAR(r.p_diff_mean, 0.0, 1e-15);
  EXPECT_NEAR(r.p_diff_rms, 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(r.same_top, 0.75);
  EXPECT_NEAR(r.same_top_unc, std::sqrt(0.75 * 0.25 / 19), 1e-12);
  EXPECT_NEAR(r.log_ppl_ratio, 0.0, 1e-15);  // identical NLLs
  EXPECT_NEAR(r.ppl_ratio, 1.0, 1e-15);
  EXPECT_NEAR(r.log_ppl_cor, 1.0, 1e-9);
  EXPECT_EQ(r.kld_percentiles.front().name, "max");
  EXPECT_EQ(r.kld_percentiles.front().value, 19);
  EXPECT_EQ(r.kld_percentiles.back().value, 0);
  for (const auto& p : r.kld_percentiles) {
    if (p.name == "median") {
      EXPECT_EQ(p.value, 9.5);
    }
    if (p.name == "90") {  // position 0.9 * (n - 1)
      EXPECT_NEAR(p.value, 0.9 * 19, 1e-5);
    }
  }
}

TEST(CompareDistributions, IdenticalModelsGiveZero) {
  auto& m = test::TestbedF32();
  eval::PerplexityOptions o;
  o.n_ctx = 128;
  o.n_chunks = 2;
  const auto r = eval::CompareDistributions(m.model, m.model, test::HeldoutTokens(), o);
  EXPECT_EQ(r.count, 2 * 63);
  EXPECT_EQ(r.kld_mean, 0.0);
  EXPECT_EQ(r.same_top, 1.0);
  EXPECT_EQ(r.p_diff_rms, 0.0);
  EXPECT_EQ(r.log_ppl_ratio, 0.0);
  EXPECT_EQ(r.ppl_base, r.ppl_cand);
}

// summary.tsv row: type bytes ppl mean_kld same_top(%).
std::vector<double> SummaryRow(const std::string& type) {
  std::ifstream in(test::Shared("reference/testbed/llamacpp/summary.tsv"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string name;
    double bytes, ppl, kld, top;
    if (f >> name >> bytes >> ppl >> kld >> top && name == type) return {ppl, kld, top / 100};
  }
  ADD_FAILURE() << type << " not in summary.tsv";
  return {0, 0, 0};
}

// llama.cpp ran F32.gguf as the base and, for the comparison, Q8_0.gguf with its own activation
// rounding (8-bit blocks of activations, see legacy_ppl_test.cc); qforge multiplies f32
// activations by the same dequantized weights. The mean KLD therefore sits slightly below
// llama.cpp's, by less than the statistical uncertainty of either; same-top agrees within
// llama.cpp's binomial standard error times two (95%).
TEST(CompareDistributions, Q8_0MatchesLlamaCpp) {
  test::LoadedTestModel base("reference/testbed/llamacpp/F32.gguf");
  test::LoadedTestModel q8("reference/testbed/llamacpp/Q8_0.gguf");
  eval::PerplexityOptions o;
  o.n_ctx = 256;
  o.n_chunks = 20;
  const auto r = eval::CompareDistributions(base.model, q8.model, test::HeldoutTokens(), o);
  const std::vector<double> ref = SummaryRow("Q8_0");
  const double top_unc = std::sqrt(ref[2] * (1 - ref[2]) / double(r.count - 1));
  std::printf(
      "Q8_0 vs F32: qforge KLD %.6f +/- %.6f (llama.cpp %.6f), same top %.3f%% (llama.cpp "
      "%.3f%% +/- %.3f%%), PPL %.6f (llama.cpp %.6f), ratio %.6f\n",
      r.kld_mean, r.kld_unc, ref[1], 100 * r.same_top, 100 * ref[2], 100 * top_unc, r.ppl_cand,
      ref[0], r.ppl_ratio);
  EXPECT_EQ(r.count, 2540);
  EXPECT_NEAR(r.kld_mean, ref[1], 2 * std::max(r.kld_unc, 1e-6)) << "outside two standard errors";
  EXPECT_NEAR(r.same_top, ref[2], 2 * top_unc);
  EXPECT_NEAR(r.ppl_cand, ref[0], ref[0] * 1e-3);  // legacy_ppl_test.cc's bound
}

// "Mean    KLD:   0.007764 ±   0.000256" and "Same top p: 95.354 ± 0.418 %" from a .kld.log.
std::pair<double, double> LogValue(const std::string& type, const std::string& prefix) {
  std::ifstream in(test::Shared("reference/testbed/llamacpp/" + type + ".kld.log"));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(prefix)) {
      std::istringstream f(line.substr(line.find(':') + 1));
      double value, unc;
      std::string pm;
      f >> value >> pm >> unc;
      return {value, unc};
    }
  ADD_FAILURE() << prefix << " not in " << type << ".kld.log";
  return {0, 0};
}

// The k-quant files against the full llama.cpp log. As for Q8_0, llama.cpp's k-quant dot products
// round activations to 8 bits (Q8_K) and qforge does not, so the bound is llama.cpp's printed
// uncertainty plus ours, times two (95% for the difference of two independent estimates).
class KQuantKld : public ::testing::TestWithParam<const char*> {};

TEST_P(KQuantKld, MatchesLlamaCppLog) {
  const std::string type = GetParam();
  test::LoadedTestModel base("reference/testbed/llamacpp/F32.gguf");
  test::LoadedTestModel cand("reference/testbed/llamacpp/" + type + ".gguf");
  eval::PerplexityOptions o;
  o.n_ctx = 256;
  o.n_chunks = 20;
  const auto r = eval::CompareDistributions(base.model, cand.model, test::HeldoutTokens(), o);
  const auto kld = LogValue(type, "Mean    KLD");
  const auto top = LogValue(type, "Same top p");
  const auto rms = LogValue(type, "RMS Δp");
  std::printf(
      "%s vs F32: qforge KLD %.6f +/- %.6f (llama.cpp %.6f +/- %.6f), same top %.3f%% "
      "(llama.cpp %.3f%% +/- %.3f%%), RMS dp %.3f%% (llama.cpp %.3f%%)\n",
      type.c_str(), r.kld_mean, r.kld_unc, kld.first, kld.second, 100 * r.same_top, top.first,
      top.second, 100 * r.p_diff_rms, rms.first);
  EXPECT_NEAR(r.kld_mean, kld.first, 2 * (kld.second + r.kld_unc));
  EXPECT_NEAR(100 * r.same_top, top.first, 2 * (top.second + 100 * r.same_top_unc));
}

INSTANTIATE_TEST_SUITE_P(Files, KQuantKld, ::testing::Values("Q4_K_M", "Q2_K"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace qforge
