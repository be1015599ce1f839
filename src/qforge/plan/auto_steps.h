// The steps of plan::AutoSearch, shared by its two files: one recipe quantized, written, evaluated
// and judged (cached), and step 2, the mixed-precision search (auto_mixed.cc).
#pragma once

#include <string>
#include <vector>

#include "qforge/plan/auto_cache.h"
#include "qforge/plan/auto_search.h"

namespace qforge::plan {

struct AutoRun {
  const AutoContext& ctx;
  const AutoOptions& options;
  const AutoCache& cache;
  const QuantizeFn& quantize;
  const VerdictFn& verdict;
};

// The cache key of `recipe_json` under this run's inputs (model, suites, text, settings).
std::string RunKey(const AutoRun& run, const std::string& recipe_json);

// Quantizes by `recipe`, writes the GGUF once to measure it, evaluates and judges it, or takes the
// whole record from the cache. `r` comes with label, stage, promotions and predicted size set.
RungRecord RunRung(const AutoRun& run, const quant::Recipe& recipe, RungRecord r);

// Step 2 on `result` (the ladder's records, parallel to `ladder`; `passed` the first passing rung
// or -1): appends its probes and sets result.chosen when a mixed recipe wins.
void MixedSearch(const AutoRun& run, const std::vector<LadderRung>& ladder, int passed,
                 AutoResult& result);

std::string FailingSummary(const RungRecord& r);  // "factual -12% > 2%; ..." (first two checks)

}  // namespace qforge::plan
