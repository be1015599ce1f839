// Runs distribution metrics, suites (with the baseline cache) and the paired comparisons.
#include "qforge/eval/evaluate.h"

#include <chrono>

#include "qforge/core/error.h"
#include "qforge/eval/cache.h"

namespace qforge::eval {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::vector<CaseOutcome> RunWithProgress(const ModelUnderTest& m, const Suite& suite,
                                         const std::string& label, const EvalProgress& progress) {
  return RunSuite(*m.model, *m.tokenizer, suite, [&](size_t done) {
    if (progress) progress(label, int64_t(done), int64_t(suite.cases.size()));
  });
}

}  // namespace

EvalResult Evaluate(const ModelUnderTest& base, const ModelUnderTest& cand,
                    const std::vector<Suite>& suites, const EvalOptions& options,
                    const EvalProgress& progress) {
  QF_CHECK(base.model && cand.model && base.tokenizer && cand.tokenizer);
  EvalResult r;
  r.base_path = base.path;
  r.cand_path = cand.path;
  r.base_hash = base.hash;
  r.cand_hash = cand.hash;
  r.base_bytes = base.bytes;
  r.cand_bytes = cand.bytes;
  if (!options.text_tokens.empty()) {
    const auto t = std::chrono::steady_clock::now();
    r.distribution = CompareDistributions(*base.model, *cand.model, options.text_tokens,
                                          options.ppl, [&](int done, int total) {
                                            if (progress) progress("text", done, total);
                                          });
    r.seconds_text = Since(t);
    r.tokens_text = int64_t(r.distribution->chunks) * options.ppl.n_ctx;
  }
  std::optional<BaselineCache> cache;
  if (!options.baseline_cache_dir.empty() && base.hash != 0)
    cache.emplace(options.baseline_cache_dir);
  for (const Suite& suite : suites) {
    SuiteSummary s{suite.name, suite.path, suite.hash, suite.cases.size(), false};
    const std::string key = BaselineCacheKey(base.hash, suite.hash, options.settings);
    auto t = std::chrono::steady_clock::now();
    std::optional<std::vector<CaseOutcome>> b;
    if (cache) b = cache->Load(key, suite.cases.size());
    s.baseline_from_cache = b.has_value();
    if (!b) {
      b = RunWithProgress(base, suite, suite.name + " (baseline)", progress);
      if (cache) cache->Store(key, *b);
    }
    r.seconds_suites_base += Since(t);
    t = std::chrono::steady_clock::now();
    std::vector<CaseOutcome> c =
        RunWithProgress(cand, suite, suite.name + " (candidate)", progress);
    r.seconds_suites_cand += Since(t);
    r.cases.insert(r.cases.end(), suite.cases.begin(), suite.cases.end());
    r.base_outcomes.insert(r.base_outcomes.end(), b->begin(), b->end());
    r.cand_outcomes.insert(r.cand_outcomes.end(), c.begin(), c.end());
    r.suites.push_back(s);
  }
  r.capabilities =
      CompareCapabilities(r.cases, r.base_outcomes, r.cand_outcomes, options.bootstrap);
  r.shift = OutputShift(r.base_outcomes, r.cand_outcomes, options.shift, options.bootstrap);
  return r;
}

}  // namespace qforge::eval
