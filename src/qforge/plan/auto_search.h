// `qforge auto` as a library call: walk the precision ladder cheapest first, quantize and evaluate
// each rung against the baseline, stop at the first that passes the gate; then (step 2) look for
// a mixed recipe between the last failing rung and the passing one: promote the tensors that buy
// the most KLD per extra byte (plan/allocate.h) until the gate passes, or, with `fill`, until the
// budget is reached.
//
// The gate lives above this module (report/gate.h), so the verdict is a callback; the CLI wires it
// to the same report JSON and RunGate as `qforge gate`, tests to a plain KLD threshold. Every
// evaluation is cached (plan/auto_cache.h): a re-run with the same inputs re-evaluates nothing.
// Every rung is written as GGUF once to measure its real size; a file over the budget on disk is
// never chosen.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"
#include "qforge/eval/evaluate.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/model/llama_model.h"
#include "qforge/plan/allocate.h"
#include "qforge/plan/ladder.h"
#include "qforge/plan/sensitivity.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/quant/recipe.h"
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::plan {

struct RungVerdict {
  bool passed = false;
  std::vector<std::string> failing;  // one line per failing check, for people
  nlohmann::json report;             // the report the verdict was drawn from (cached), or null
};
using VerdictFn = std::function<RungVerdict(const eval::EvalResult&, const eval::EvalOptions&)>;
// Quantizes the baseline by a recipe (the CLI's runs calibrated methods too).
using QuantizeFn = std::function<quant::QuantizedModel(const quant::Recipe&)>;

struct CapabilityScore {
  std::string name;
  double base = 0, cand = 0;  // accuracy in [0, 1]
};

// One rung of the ladder or one probe of step 2, as auto.json lists it.
struct RungRecord {
  std::string label;  // the recipe's name; step 2's: "<from>+<n>" (n tensors promoted)
  std::string stage;  // "ladder" or "mixed"
  std::string recipe_json;
  int promotions = 0;  // step 2: tensors given the better type
  SizePrediction predicted;
  // "passed", "failed", "skipped" (predicted over budget), "over budget on disk", "not tried".
  std::string status = "not tried";
  uint64_t real_bytes = 0;  // as written to disk; 0 when not written
  double real_bpw = 0;      // 8 * tensor bytes / parameters of the quantized model
  bool evaluated = false, cached = false, passed = false;
  bool has_text = false;
  double ppl_ratio = 0, kld = 0, kld_unc = 0, same_top = 0;
  std::vector<CapabilityScore> capabilities;
  std::vector<std::string> failing;
  double seconds = 0;  // quantize + write + evaluate (0 when cached)
  std::string key;     // the cache key
};

nlohmann::json RungRecordToJson(const RungRecord& r);
RungRecord RungRecordFromJson(const nlohmann::json& j);  // throws Error{kInvalidInput}

// What the search runs on: the baseline, loaded once, and the evaluation inputs.
struct AutoContext {
  const Checkpoint* base = nullptr;
  model::LlamaModel* base_model = nullptr;
  const tokenizer::Tokenizer* tokenizer = nullptr;
  std::string base_path;
  uint64_t base_hash = 0;   // eval::HashModelPath of the baseline
  uint64_t base_bytes = 0;  // the baseline's size on disk
  std::vector<eval::Suite> suites;
  eval::EvalOptions eval;  // text tokens, PPL protocol, bootstrap; baseline_cache_dir is set here
  int capacity = 0;        // candidates' context (as eval's: max(ctx, training context))
  ThreadPool* pool = nullptr;
  // stderr: one line per rung (verdict, time, ETA); (stage, done, total) for the running work.
  std::function<void(const std::string&)> note;
  eval::EvalProgress progress;
};

struct AutoOptions {
  Budget budget;
  std::string out_dir;   // OUT: cache/ goes in it
  std::string settings;  // extra cache-key text: gate thresholds, flags that change verdicts
  bool mixed = true;     // step 2
  bool fill = false;     // step 2 promotes up to the budget instead of stopping at the first pass
  // Step 2's two recipes (ladder names); empty: the last failing rung and the first passing one
  // (with fill: the first rung over the budget, or the top of the ladder).
  std::string mix_from, mix_to;
  int sensitivity_chunks = 0;  // text chunks per sensitivity probe; 0: as the evaluation
  io::GgufWriteOptions write;  // every written file's options; qforge.recipe is added per rung
};

struct AutoResult {
  std::vector<RungRecord> rungs;  // the ladder in order, then step 2's probes in order tried
  int chosen = -1;                // index into rungs; -1: nothing passed within the budget
  quant::Recipe chosen_recipe;
  std::string why;  // one sentence: what failed below the choice, what the choice passed
  bool mixed_ran = false;
  std::string mix_from, mix_to;
  std::vector<SensitivityResult> scans;  // step 2: the cheap recipe's scan, the better one's
  std::vector<Promotion> promotions;     // step 2: ranked (plan/allocate.h)
};

AutoResult AutoSearch(const AutoContext& ctx, const std::vector<LadderRung>& ladder,
                      const AutoOptions& options, const QuantizeFn& quantize,
                      const VerdictFn& verdict);

// Quantizes the chosen recipe again and writes it to `path` (atomically); checks the bytes on
// disk equal the size the search measured and fit the budget (Error{kInternal} otherwise).
// Returns the file size.
uint64_t WriteChosenModel(const AutoContext& ctx, const AutoResult& result,
                          const AutoOptions& options, const QuantizeFn& quantize,
                          const std::string& path);

// auto.json: budget, every rung, the choice and why, step 2's promotions.
nlohmann::json AutoResultToJson(const AutoResult& result, const AutoOptions& options);

}  // namespace qforge::plan
