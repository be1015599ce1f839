// KL divergence, delta p and top-token agreement per token; llama.cpp's summary statistics.
#include "qforge/eval/kld.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "qforge/core/error.h"
#include "qforge/eval/stats.h"

namespace qforge::eval {
namespace {

// log-softmax of `logits` in double; returns the argmax (first on ties).
int LogSoftmax(std::span<const float> logits, std::vector<double>& out) {
  out.resize(logits.size());
  int imax = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[size_t(imax)]) imax = int(i);
  const double max = logits[size_t(imax)];
  double sum = 0;
  for (float v : logits) sum += std::exp(double(v) - max);
  const double log_sum = std::log(sum) + max;
  for (size_t i = 0; i < logits.size(); ++i) out[i] = double(logits[i]) - log_sum;
  return imax;
}

// llama.cpp's mean_and_uncertainty: the mean and its standard error, 0 for fewer than 11 values.
std::pair<double, double> MeanAndUncertainty(double sum, double sum2, int64_t n) {
  if (n < 1) return {0, 0};
  const double f = sum / double(n);
  const double v = sum2 / double(n) - f * f;
  return {f, v > 0 && n > 10 ? std::sqrt(v / double(n - 1)) : 0.0};
}

// llama.cpp's covariance of the two means (0 for fewer than 10 values).
double Covariance(double sum_a, double sum_b, double sum_ab, int64_t n) {
  if (n < 10) return 0;
  const double c = sum_ab / double(n) - (sum_a / double(n)) * (sum_b / double(n));
  return c / double(n - 1);
}

std::vector<NamedPercentile> Points(std::vector<float> values, bool with_quartiles) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  // llama.cpp's median: the mean of the two middle values for an even count.
  const double median = n % 2 == 0 ? 0.5 * (double(values[n / 2]) + double(values[n / 2 - 1]))
                                   : double(values[n / 2]);
  std::vector<NamedPercentile> out = {{"max", values.back()},
                                      {"99.9", Percentile(values, 0.999)},
                                      {"99", Percentile(values, 0.99)},
                                      {"95", Percentile(values, 0.95)},
                                      {"90", Percentile(values, 0.90)}};
  if (with_quartiles) out.push_back({"75", Percentile(values, 0.75)});
  out.push_back({"median", median});
  if (with_quartiles) out.push_back({"25", Percentile(values, 0.25)});
  for (auto [name, f] : {std::pair{"10", 0.10}, {"5", 0.05}, {"1", 0.01}, {"0.1", 0.001}})
    out.push_back({name, Percentile(values, f)});
  out.push_back({"min", values.front()});
  return out;
}

}  // namespace

TokenComparison CompareToken(std::span<const float> base_logits, std::span<const float> cand_logits,
                             int target) {
  QF_CHECK(base_logits.size() == cand_logits.size() && target >= 0 &&
           size_t(target) < base_logits.size());
  thread_local std::vector<double> lb, lc;
  const int top_base = LogSoftmax(base_logits, lb);
  const int top_cand = LogSoftmax(cand_logits, lc);
  TokenComparison t;
  t.nll_base = -lb[size_t(target)];
  t.nll_cand = -lc[size_t(target)];
  for (size_t i = 0; i < lb.size(); ++i) t.kld += std::exp(lb[i]) * (lb[i] - lc[i]);
  t.p_diff = std::exp(-t.nll_cand) - std::exp(-t.nll_base);
  t.same_top = top_base == top_cand;
  return t;
}

void DistributionStats::Add(const TokenComparison& t) {
  sum_nll_ += t.nll_cand;
  sum_nll2_ += t.nll_cand * t.nll_cand;
  sum_nll_base_ += t.nll_base;
  sum_nll_base2_ += t.nll_base * t.nll_base;
  sum_nll_nll_base_ += t.nll_cand * t.nll_base;
  sum_kld_ += t.kld;
  sum_kld2_ += t.kld * t.kld;
  sum_p_diff_ += t.p_diff;
  sum_p_diff2_ += t.p_diff * t.p_diff;
  sum_p_diff4_ += t.p_diff * t.p_diff * t.p_diff * t.p_diff;
  same_top_ += t.same_top ? 1 : 0;
  ++count_;
  kld_values_.push_back(float(t.kld));
  p_diff_values_.push_back(float(t.p_diff));
}

DistributionResult DistributionStats::Summarize() const {
  QF_CHECK(count_ >= 2);
  DistributionResult r;
  r.count = count_;
  const auto log_ppl = MeanAndUncertainty(sum_nll_, sum_nll2_, count_);
  const auto log_ppl_base = MeanAndUncertainty(sum_nll_base_, sum_nll_base2_, count_);
  r.ppl_cand = std::exp(log_ppl.first);
  r.ppl_cand_unc = r.ppl_cand * log_ppl.second;  // d exp(x) = exp(x) dx
  r.ppl_base = std::exp(log_ppl_base.first);
  r.ppl_base_unc = r.ppl_base * log_ppl_base.second;
  const double cov = Covariance(sum_nll_, sum_nll_base_, sum_nll_nll_base_, count_);
  const double sd_product = log_ppl.second * log_ppl_base.second;
  r.log_ppl_cor = sd_product > 0 ? cov / sd_product : 1.0;
  r.log_ppl_ratio = log_ppl.first - log_ppl_base.first;
  // Var(a - b) = Var a + Var b - 2 Cov(a, b); rounding can make it slightly negative when a == b.
  r.log_ppl_ratio_unc = std::sqrt(std::max(
      0.0, log_ppl.second * log_ppl.second + log_ppl_base.second * log_ppl_base.second - 2 * cov));
  r.ppl_ratio = std::exp(r.log_ppl_ratio);
  r.ppl_ratio_unc = r.ppl_ratio * r.log_ppl_ratio_unc;
  r.ppl_diff = r.ppl_cand - r.ppl_base;
  const double ppl_cov = r.ppl_cand * r.ppl_base * cov;
  r.ppl_diff_unc = std::sqrt(std::max(
      0.0, r.ppl_cand_unc * r.ppl_cand_unc + r.ppl_base_unc * r.ppl_base_unc - 2 * ppl_cov));
  std::tie(r.kld_mean, r.kld_unc) = MeanAndUncertainty(sum_kld_, sum_kld2_, count_);
  std::tie(r.p_diff_mean, r.p_diff_unc) = MeanAndUncertainty(sum_p_diff_, sum_p_diff2_, count_);
  const auto mse = MeanAndUncertainty(sum_p_diff2_, sum_p_diff4_, count_);
  r.p_diff_rms = std::sqrt(mse.first);
  // d sqrt(x) = dx / (2 sqrt(x)); identical models have rms 0 and no spread.
  r.p_diff_rms_unc = r.p_diff_rms > 0 ? 0.5 / r.p_diff_rms * mse.second : 0.0;
  r.same_top = double(same_top_) / double(count_);
  r.same_top_unc = BinomialUncertainty(same_top_, count_);
  r.kld_percentiles = Points(kld_values_, false);
  r.p_diff_percentiles = Points(p_diff_values_, true);
  r.kld_values = kld_values_;
  r.p_diff_values = p_diff_values_;
  return r;
}

DistributionResult CompareDistributions(model::LlamaModel& base, model::LlamaModel& cand,
                                        std::span<const int> tokens,
                                        const PerplexityOptions& options,
                                        const CompareCallback& on_chunk) {
  const int vocab = base.config().vocab_size;
  if (cand.config().vocab_size != vocab)
    Fail(ErrorKind::kInvalidInput,
         "the candidate's vocabulary has {} tokens, the baseline's {}: they cannot be compared",
         cand.config().vocab_size, vocab);
  const ChunkPlan plan =
      PlanChunks(std::min(base.max_context(), cand.max_context()), tokens.size(), options);
  const size_t rows = size_t(plan.n_ctx - plan.first);
  std::vector<float> lb(rows * size_t(vocab)), lc(rows * size_t(vocab));
  std::vector<int> chunk;
  model::KvCache cache_b = base.NewCache(plan.n_ctx), cache_c = cand.NewCache(plan.n_ctx);
  DistributionStats stats;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < plan.chunks; ++c) {
    ChunkTokens(tokens, plan, c, options.bos_id, chunk);
    base.Forward(chunk, 0, cache_b, plan.first, lb.data());
    cand.Forward(chunk, 0, cache_c, plan.first, lc.data());
    for (int j = plan.first; j < plan.n_ctx - 1; ++j) {
      const size_t row = size_t(j - plan.first) * size_t(vocab);
      stats.Add(
          CompareToken({&lb[row], size_t(vocab)}, {&lc[row], size_t(vocab)}, chunk[size_t(j + 1)]));
    }
    if (on_chunk) on_chunk(c + 1, plan.chunks);
  }
  DistributionResult r = stats.Summarize();
  r.chunks = plan.chunks;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace qforge::eval
