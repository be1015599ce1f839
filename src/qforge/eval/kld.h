// Lockstep distribution metrics, as llama.cpp's `llama-perplexity --kl-divergence` prints them.
//
// Baseline and candidate run the perplexity protocol (perplexity.h) on the same chunks, one chunk
// at a time, so no logit file is written. For every scored token (the second half of each chunk)
// both next-token distributions are compared: KL(base || cand), the change in the probability of
// the correct token (delta p = p_cand - p_base) and whether both rank the same token first. The
// summaries use llama.cpp's formulas (tools/perplexity/perplexity.cpp, kl_divergence()), so the
// numbers compare with its output. One deliberate difference: llama.cpp stores the baseline's
// log-probabilities in 16 bits and skips tokens with log p_base <= -16 in the KL sum; qforge keeps
// both distributions in double, which changes the mean KLD by less than vocab * e^-16 ~ 1e-7 *
// vocab.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "qforge/eval/perplexity.h"
#include "qforge/model/llama_model.h"

namespace qforge::eval {

// One scored token compared between the two models.
struct TokenComparison {
  double nll_base = 0;  // -log p_base(target)
  double nll_cand = 0;
  double kld = 0;         // sum_i p_base(i) * (log p_base(i) - log p_cand(i))
  double p_diff = 0;      // p_cand(target) - p_base(target)
  bool same_top = false;  // argmax of both distributions agree (first index on ties, as llama.cpp)
};

TokenComparison CompareToken(std::span<const float> base_logits, std::span<const float> cand_logits,
                             int target);

// A named point of a sorted distribution: "max", "99.9", ..., "median", ..., "min".
struct NamedPercentile {
  std::string name;
  double value = 0;
};

struct DistributionResult {
  int chunks = 0;
  int64_t count = 0;  // scored tokens
  // Perplexities with one standard error (the "+/-" llama.cpp prints).
  double ppl_base = 0, ppl_base_unc = 0;
  double ppl_cand = 0, ppl_cand_unc = 0;
  double log_ppl_cor = 0;                           // correlation of the per-token NLLs
  double log_ppl_ratio = 0, log_ppl_ratio_unc = 0;  // mean ln(PPL(cand)/PPL(base))
  double ppl_ratio = 0, ppl_ratio_unc = 0;
  double ppl_diff = 0, ppl_diff_unc = 0;
  double kld_mean = 0, kld_unc = 0;
  double p_diff_mean = 0, p_diff_unc = 0;  // fractions, not percent
  double p_diff_rms = 0, p_diff_rms_unc = 0;
  double same_top = 0, same_top_unc = 0;  // rate in [0, 1] with its binomial standard error
  std::vector<NamedPercentile>
      kld_percentiles;  // max, 99.9, 99, 95, 90, median, 10, 5, 1, 0.1, min
  std::vector<NamedPercentile> p_diff_percentiles;  // the same plus 75 and 25
  std::vector<float> kld_values;                    // per scored token, in text order
  std::vector<float> p_diff_values;                 // per scored token, in text order
  double seconds = 0;
};

// Accumulates TokenComparisons with llama.cpp's running sums and derives the summary.
class DistributionStats {
 public:
  void Add(const TokenComparison& t);
  int64_t count() const { return count_; }
  DistributionResult Summarize() const;  // Requires count() >= 2.

 private:
  double sum_nll_ = 0, sum_nll2_ = 0, sum_nll_base_ = 0, sum_nll_base2_ = 0, sum_nll_nll_base_ = 0;
  double sum_kld_ = 0, sum_kld2_ = 0, sum_p_diff_ = 0, sum_p_diff2_ = 0, sum_p_diff4_ = 0;
  int64_t same_top_ = 0, count_ = 0;
  std::vector<float> kld_values_, p_diff_values_;
};

// Called after each chunk with (chunks done, chunks in all).
using CompareCallback = std::function<void(int, int)>;

// Runs both models on the same chunks. Throws Error{kInvalidInput} when the vocabularies differ or
// the text is too short for the context (PlanChunks).
DistributionResult CompareDistributions(model::LlamaModel& base, model::LlamaModel& cand,
                                        std::span<const int> tokens,
                                        const PerplexityOptions& options,
                                        const CompareCallback& on_chunk = {});

}  // namespace qforge::eval
