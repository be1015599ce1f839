// `qforge eval` as a library call: baseline and candidate on the same text and the same suites,
// paired. The CLI loads the models and prints; this runs and compares.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qforge/eval/compare.h"
#include "qforge/eval/kld.h"
#include "qforge/eval/scorer.h"
#include "qforge/eval/shift.h"
#include "qforge/eval/suites.h"
#include "qforge/model/llama_model.h"
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::eval {

struct ModelUnderTest {
  std::string path;
  uint64_t hash = 0;   // HashModelPath; 0 when unknown (no caching)
  uint64_t bytes = 0;  // file size (the precision ladder's x axis)
  model::LlamaModel* model = nullptr;
  const tokenizer::Tokenizer* tokenizer = nullptr;
};

struct EvalOptions {
  std::vector<int> text_tokens;  // empty: no distribution metrics
  std::string text_path;
  PerplexityOptions ppl;
  ShiftOptions shift;
  BootstrapOptions bootstrap;
  std::string baseline_cache_dir;  // empty: no cache
  std::string settings;            // part of the cache key (context, version)
};

struct SuiteSummary {
  std::string name, path;
  uint64_t hash = 0;
  size_t cases = 0;
  bool baseline_from_cache = false;
};

struct EvalResult {
  std::string base_path, cand_path;
  uint64_t base_hash = 0, cand_hash = 0, base_bytes = 0, cand_bytes = 0;
  std::optional<DistributionResult> distribution;
  std::vector<SuiteSummary> suites;
  std::vector<SuiteCase> cases;                           // every suite's cases, in order
  std::vector<CaseOutcome> base_outcomes, cand_outcomes;  // parallel to cases
  std::vector<CapabilityComparison> capabilities;
  std::vector<ShiftMetric> shift;
  double seconds_text = 0, seconds_suites_base = 0, seconds_suites_cand = 0;
  int64_t tokens_text = 0;  // tokens run through each model for the distribution metrics
};

// Progress: (stage label, done, total).
using EvalProgress = std::function<void(const std::string&, int64_t, int64_t)>;

EvalResult Evaluate(const ModelUnderTest& base, const ModelUnderTest& cand,
                    const std::vector<Suite>& suites, const EvalOptions& options,
                    const EvalProgress& progress = {});

}  // namespace qforge::eval
