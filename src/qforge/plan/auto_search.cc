// The precision ladder walk of `qforge auto`, one rung's evaluation, and the outputs.
#include "qforge/plan/auto_search.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "qforge/core/error.h"
#include "qforge/eval/cache.h"
#include "qforge/plan/auto_steps.h"

namespace qforge::plan {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

nlohmann::json PredictedJson(const SizePrediction& p) {
  return {{"tensor_bytes", p.tensor_bytes},
          {"header_bytes", p.header_bytes},
          {"file_bytes", p.file_bytes},
          {"parameters", p.parameters},
          {"bpw", p.bpw}};
}

SizePrediction PredictedFromJson(const nlohmann::json& j) {
  SizePrediction p;
  p.tensor_bytes = j.at("tensor_bytes").get<uint64_t>();
  p.header_bytes = j.at("header_bytes").get<uint64_t>();
  p.file_bytes = j.at("file_bytes").get<uint64_t>();
  p.parameters = j.at("parameters").get<int64_t>();
  p.bpw = j.at("bpw").get<double>();
  return p;
}

uint64_t TextHash(const std::vector<int>& tokens) {
  return eval::Fnv1a64(
      std::string_view(reinterpret_cast<const char*>(tokens.data()), tokens.size() * sizeof(int)));
}

// Everything besides model, recipe, suites and text that changes a rung's evaluation. The budget
// is not in it: a cached record is checked against the run's own budget (RunRung).
std::string RunSettings(const AutoRun& run) {
  const AutoContext& c = run.ctx;
  std::string s = fmt::format("{}|ctx {} chunks {} bos {}|capacity {}|bootstrap {} {} {}|{}",
                              c.eval.settings, c.eval.ppl.n_ctx, c.eval.ppl.n_chunks,
                              c.eval.ppl.bos_id, c.capacity, c.eval.bootstrap.resamples,
                              c.eval.bootstrap.level, c.eval.bootstrap.seed, run.options.settings);
  for (const std::string& p : c.eval.shift.abstain_patterns) s += "|abstain " + p;
  for (const auto& [k, v] : run.options.write.extra_kvs) s += "|kv " + k + "=" + v;
  return s;
}

std::string RungLine(const RungRecord& r) {
  std::string metrics;
  if (r.has_text) metrics = fmt::format("KLD {:.5f}, PPL ratio {:.4f}", r.kld, r.ppl_ratio);
  for (const CapabilityScore& c : r.capabilities)
    metrics += fmt::format("{}{} {:.0f}%", metrics.empty() ? "" : ", ", c.name, 100 * c.cand);
  return metrics;
}

}  // namespace

std::string FailingSummary(const RungRecord& r) {
  std::string s;
  for (size_t i = 0; i < r.failing.size() && i < 2; ++i) s += (i ? "; " : "") + r.failing[i];
  if (r.failing.size() > 2) s += fmt::format("; {} more", r.failing.size() - 2);
  return s.empty() ? r.status : s;
}

nlohmann::json RungRecordToJson(const RungRecord& r) {
  nlohmann::json caps = nlohmann::json::array();
  for (const CapabilityScore& c : r.capabilities)
    caps.push_back({{"name", c.name}, {"base", c.base}, {"cand", c.cand}});
  nlohmann::json j = {{"label", r.label},
                      {"stage", r.stage},
                      {"recipe", nlohmann::json::parse(r.recipe_json)},
                      {"promotions", r.promotions},
                      {"predicted", PredictedJson(r.predicted)},
                      {"status", r.status},
                      {"real_bytes", r.real_bytes},
                      {"real_bpw", r.real_bpw},
                      {"evaluated", r.evaluated},
                      {"cached", r.cached},
                      {"passed", r.passed},
                      {"capabilities", caps},
                      {"failing", r.failing},
                      {"seconds", r.seconds},
                      {"key", r.key}};
  if (r.has_text)
    j["text"] = {{"ppl_ratio", r.ppl_ratio},
                 {"kld", r.kld},
                 {"kld_unc", r.kld_unc},
                 {"same_top", r.same_top}};
  else
    j["text"] = nullptr;
  return j;
}

RungRecord RungRecordFromJson(const nlohmann::json& j) {
  try {
    RungRecord r;
    r.label = j.at("label").get<std::string>();
    r.stage = j.at("stage").get<std::string>();
    r.recipe_json = j.at("recipe").dump();
    r.promotions = j.at("promotions").get<int>();
    r.predicted = PredictedFromJson(j.at("predicted"));
    r.status = j.at("status").get<std::string>();
    r.real_bytes = j.at("real_bytes").get<uint64_t>();
    r.real_bpw = j.at("real_bpw").get<double>();
    r.evaluated = j.at("evaluated").get<bool>();
    r.cached = j.at("cached").get<bool>();
    r.passed = j.at("passed").get<bool>();
    for (const auto& c : j.at("capabilities"))
      r.capabilities.push_back({c.at("name").get<std::string>(), c.at("base").get<double>(),
                                c.at("cand").get<double>()});
    r.failing = j.at("failing").get<std::vector<std::string>>();
    r.seconds = j.at("seconds").get<double>();
    r.key = j.at("key").get<std::string>();
    if (const auto& t = j.at("text"); !t.is_null()) {
      r.has_text = true;
      r.ppl_ratio = t.at("ppl_ratio").get<double>();
      r.kld = t.at("kld").get<double>();
      r.kld_unc = t.at("kld_unc").get<double>();
      r.same_top = t.at("same_top").get<double>();
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "auto: malformed rung record: {}", e.what());
  }
}

std::string RunKey(const AutoRun& run, const std::string& recipe_json) {
  RungKey key{
      run.ctx.base_hash, recipe_json, {}, TextHash(run.ctx.eval.text_tokens), RunSettings(run)};
  for (const eval::Suite& s : run.ctx.suites) key.suite_hashes.push_back(s.hash);
  return RungCacheKey(key);
}

RungRecord RunRung(const AutoRun& run, const quant::Recipe& recipe, RungRecord r) {
  const AutoContext& ctx = run.ctx;
  r.recipe_json = quant::RecipeToJson(recipe);
  r.key = RunKey(run, r.recipe_json);
  if (std::optional<nlohmann::json> hit = run.cache.Load(r.key)) {
    RungRecord c = RungRecordFromJson(hit->at("record"));
    const bool fits = FitsBudget(run.options.budget, c.real_bytes, c.real_bpw);
    // A rung refused under another budget that fits this one still needs its evaluation.
    if (c.evaluated || !fits) {
      c.label = r.label;
      c.stage = r.stage;
      c.promotions = r.promotions;
      c.predicted = r.predicted;
      c.cached = true;
      if (!fits) {
        c.passed = false;
        c.status = "over budget on disk";
        c.failing = {
            fmt::format("{} bytes on disk, budget {}", c.real_bytes, run.options.budget.text)};
      }
      return c;
    }
  }
  const auto start = Clock::now();
  const quant::QuantizedModel q = run.quantize(recipe);
  // The real size: write the file as the output will be written, measure, remove.
  io::GgufWriteOptions write = run.options.write;
  write.extra_kvs.emplace_back("qforge.recipe", r.recipe_json);
  const std::string probe =
      (std::filesystem::path(run.cache.dir()) / ("probe-" + r.key + ".gguf")).string();
  io::WriteGgufCheckpoint(q.checkpoint, ctx.tokenizer->ToVocab(), probe, write);
  r.real_bytes = std::filesystem::file_size(probe);
  std::filesystem::remove(probe);
  r.real_bpw = 8.0 * double(q.checkpoint.WeightBytes()) / double(q.checkpoint.ParameterCount());
  nlohmann::json report;
  if (!FitsBudget(run.options.budget, r.real_bytes, r.real_bpw)) {
    r.status = "over budget on disk";
    r.failing = {fmt::format("{} bytes on disk, budget {}", r.real_bytes, run.options.budget.text)};
  } else {
    model::LlamaModel cand(q.checkpoint, *ctx.pool, ctx.capacity);
    const eval::ModelUnderTest b{ctx.base_path, ctx.base_hash, ctx.base_bytes, ctx.base_model,
                                 ctx.tokenizer};
    const eval::ModelUnderTest c{r.label, eval::Fnv1a64(r.recipe_json, ctx.base_hash), r.real_bytes,
                                 &cand, ctx.tokenizer};
    const eval::EvalProgress progress = [&](const std::string& stage, int64_t done, int64_t n) {
      if (ctx.progress) ctx.progress(r.label + ": " + stage, done, n);
    };
    const eval::EvalResult e = eval::Evaluate(b, c, ctx.suites, ctx.eval, progress);
    RungVerdict v = run.verdict(e, ctx.eval);
    r.evaluated = true;
    r.passed = v.passed;
    r.status = v.passed ? "passed" : "failed";
    r.failing = std::move(v.failing);
    report = std::move(v.report);
    if (e.distribution) {
      r.has_text = true;
      r.ppl_ratio = e.distribution->ppl_ratio;
      r.kld = e.distribution->kld_mean;
      r.kld_unc = e.distribution->kld_unc;
      r.same_top = e.distribution->same_top;
    }
    for (const eval::CapabilityComparison& cap : e.capabilities)
      r.capabilities.push_back({cap.name, cap.base_score, cap.cand_score});
  }
  r.seconds = SecondsSince(start);
  run.cache.Store(r.key, {{"record", RungRecordToJson(r)}, {"report", report}});
  return r;
}

AutoResult AutoSearch(const AutoContext& ctx, const std::vector<LadderRung>& ladder,
                      const AutoOptions& options, const QuantizeFn& quantize,
                      const VerdictFn& verdict) {
  QF_CHECK(ctx.base && ctx.base_model && ctx.tokenizer && ctx.pool);
  const AutoCache cache((std::filesystem::path(options.out_dir) / "cache").string());
  const AutoRun run{ctx, options, cache, quantize, verdict};
  auto note = [&](const std::string& line) {
    if (ctx.note) ctx.note(line);
  };
  AutoResult result;
  int passed = -1;
  size_t in_budget = 0, done = 0;
  for (const LadderRung& l : ladder) in_budget += l.over_budget ? 0 : 1;
  double spent = 0;  // seconds of rungs not from the cache (the ETA's rate)
  size_t computed = 0;
  for (size_t i = 0; i < ladder.size(); ++i) {
    RungRecord r;
    r.label = ladder[i].recipe.name;
    r.stage = "ladder";
    r.predicted = ladder[i].predicted;
    r.recipe_json = quant::RecipeToJson(ladder[i].recipe);
    if (ladder[i].over_budget) {
      r.status = "skipped";
      r.failing = {fmt::format("predicted {} bytes ({:.2f} bpw), budget {}", r.predicted.file_bytes,
                               r.predicted.bpw, options.budget.text)};
      note(fmt::format("auto: {} skipped: {}", r.label, r.failing[0]));
    } else if (passed < 0) {
      r = RunRung(run, ladder[i].recipe, std::move(r));
      ++done;
      if (!r.cached) spent += r.seconds, ++computed;
      const double eta = computed ? spent / double(computed) * double(in_budget - done) : 0;
      note(fmt::format(
          "auto: rung {}/{} {} {}{} ({}{:.1f} s){}", done, in_budget, r.label, r.status,
          r.passed ? "" : ": " + FailingSummary(r), r.cached ? "cached, " : "", r.seconds,
          r.passed || done == in_budget
              ? std::string()
              : fmt::format("; at most {} rungs left, ETA <= {:.0f} s", in_budget - done, eta)));
      if (!r.passed && r.has_text) note("      " + RungLine(r));
      if (r.passed) passed = int(i);
    }
    result.rungs.push_back(std::move(r));
  }
  result.chosen = passed;
  if (options.mixed) MixedSearch(run, ladder, passed, result);
  if (result.chosen >= 0) {
    const RungRecord& c = result.rungs[result.chosen];
    result.chosen_recipe = quant::RecipeFromJson(c.recipe_json, "auto cache " + c.key);
    if (c.stage == "ladder") {
      const int below = result.chosen - 1;
      result.why =
          below >= 0 && result.rungs[below].evaluated
              ? fmt::format("{} fails ({}); {} passes every check", result.rungs[below].label,
                            FailingSummary(result.rungs[below]), c.label)
              : fmt::format(
                    "it is the cheapest candidate within the budget and passes "
                    "every check");
    } else if (result.why.empty()) {
      result.why = fmt::format("{} tensors promoted from {} to {}'s types pass every check",
                               c.promotions, result.mix_from, result.mix_to);
    }
  } else {
    const RungRecord* last = nullptr;
    for (const RungRecord& r : result.rungs)
      if (r.evaluated || r.status == "over budget on disk") last = &r;
    result.why = last ? fmt::format("the best candidate within the budget, {}, fails ({})",
                                    last->label, FailingSummary(*last))
                      : "no candidate fits the budget";
  }
  return result;
}

uint64_t WriteChosenModel(const AutoContext& ctx, const AutoResult& result,
                          const AutoOptions& options, const QuantizeFn& quantize,
                          const std::string& path) {
  QF_CHECK(result.chosen >= 0);
  const RungRecord& c = result.rungs[result.chosen];
  const quant::QuantizedModel q = quantize(result.chosen_recipe);
  io::GgufWriteOptions write = options.write;
  write.extra_kvs.emplace_back("qforge.recipe", c.recipe_json);
  io::WriteGgufCheckpoint(q.checkpoint, ctx.tokenizer->ToVocab(), path, write);
  const uint64_t bytes = std::filesystem::file_size(path);
  const double bpw =
      8.0 * double(q.checkpoint.WeightBytes()) / double(q.checkpoint.ParameterCount());
  if (bytes != c.real_bytes || !FitsBudget(options.budget, bytes, bpw)) {
    std::filesystem::remove(path);
    Fail(ErrorKind::kInternal,
         "auto: {} came out at {} bytes, the search measured {} (budget {}); removed it", path,
         bytes, c.real_bytes, options.budget.text);
  }
  return bytes;
}

nlohmann::json AutoResultToJson(const AutoResult& result, const AutoOptions& options) {
  nlohmann::json rungs = nlohmann::json::array();
  for (const RungRecord& r : result.rungs) rungs.push_back(RungRecordToJson(r));
  nlohmann::json promotions = nlohmann::json::array();
  for (const Promotion& p : result.promotions)
    promotions.push_back({{"name", p.name},
                          {"from", std::string(Traits(p.from).name)},
                          {"to", std::string(Traits(p.to).name)},
                          {"extra_bytes", p.extra_bytes},
                          {"kld_gain", p.kld_gain}});
  nlohmann::json j = {
      {"budget",
       {{"text", options.budget.text},
        {"kind", options.budget.kind == BudgetKind::kBytes           ? "bytes"
                 : options.budget.kind == BudgetKind::kBitsPerWeight ? "bpw"
                                                                     : "none"},
        {"value", options.budget.value}}},
      {"rungs", rungs},
      {"chosen", result.chosen >= 0 ? nlohmann::json(result.rungs[result.chosen].label)
                                    : nlohmann::json(nullptr)},
      {"chosen_index", result.chosen},
      {"why", result.why},
      {"mixed",
       {{"ran", result.mixed_ran},
        {"from", result.mix_from},
        {"to", result.mix_to},
        {"fill", options.fill},
        {"promotions", promotions}}}};
  return j;
}

}  // namespace qforge::plan
