// Step 2 of `qforge auto`: a mixed recipe between a cheap rung and a better one. Both recipes'
// sensitivity scans (cached like rungs) rank the tensor promotions by KLD bought per extra byte;
// the number of promotions is searched with real probes (quantize + evaluate + verdict):
//   - default: bisection for the fewest promotions that pass, below the passing rung's size, on
//     the assumption that promoting more never hurts (each probe is real, so a violation only
//     costs optimality, never a wrong pass);
//   - fill: as many promotions as the budget holds, one probe.
#include <fmt/format.h>

#include <map>

#include "qforge/core/error.h"
#include "qforge/plan/auto_steps.h"

namespace qforge::plan {
namespace {

nlohmann::json ScanToJson(const SensitivityResult& s) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorSensitivity& t : s.tensors)
    tensors.push_back({{"name", t.name},
                       {"source", std::string(Traits(t.source).name)},
                       {"type", std::string(Traits(t.type).name)},
                       {"bytes_source", t.bytes_source},
                       {"bytes_type", t.bytes_type},
                       {"kld_mean", t.kld_mean},
                       {"kld_unc", t.kld_unc},
                       {"ppl_ratio", t.ppl_ratio},
                       {"same_top", t.same_top},
                       {"scanned", t.scanned}});
  return {{"recipe", s.recipe},
          {"tensors", tensors},
          {"forward_passes", s.forward_passes},
          {"chunks", s.chunks},
          {"n_ctx", s.n_ctx},
          {"scored_tokens", s.scored_tokens},
          {"ppl_base", s.ppl_base},
          {"baseline_bytes", s.baseline_bytes},
          {"seconds", s.seconds},
          {"note", s.note}};
}

QType TypeFromJson(const nlohmann::json& j) {
  const std::optional<QType> t = QTypeFromName(j.get<std::string>());
  if (!t) Fail(ErrorKind::kInvalidInput, "auto cache: unknown type {}", j.dump());
  return *t;
}

SensitivityResult ScanFromJson(const nlohmann::json& j) {
  SensitivityResult s;
  s.recipe = j.at("recipe").get<std::string>();
  for (const auto& t : j.at("tensors")) {
    TensorSensitivity x;
    x.name = t.at("name").get<std::string>();
    x.source = TypeFromJson(t.at("source"));
    x.type = TypeFromJson(t.at("type"));
    x.bytes_source = t.at("bytes_source").get<uint64_t>();
    x.bytes_type = t.at("bytes_type").get<uint64_t>();
    x.kld_mean = t.at("kld_mean").get<double>();
    x.kld_unc = t.at("kld_unc").get<double>();
    x.ppl_ratio = t.at("ppl_ratio").get<double>();
    x.same_top = t.at("same_top").get<double>();
    x.scanned = t.at("scanned").get<bool>();
    s.tensors.push_back(std::move(x));
  }
  s.forward_passes = j.at("forward_passes").get<int64_t>();
  s.chunks = j.at("chunks").get<int>();
  s.n_ctx = j.at("n_ctx").get<int>();
  s.scored_tokens = j.at("scored_tokens").get<int64_t>();
  s.ppl_base = j.at("ppl_base").get<double>();
  s.baseline_bytes = j.at("baseline_bytes").get<uint64_t>();
  s.seconds = j.at("seconds").get<double>();
  s.note = j.at("note").get<std::string>();
  return s;
}

// The scan of `recipe` on the baseline's text, from the cache when this run made it before.
SensitivityResult Scan(const AutoRun& run, const quant::Recipe& recipe) {
  const AutoContext& ctx = run.ctx;
  SensitivityOptions o;
  o.tokens = ctx.eval.text_tokens;
  o.ppl = ctx.eval.ppl;
  if (run.options.sensitivity_chunks > 0) o.ppl.n_chunks = run.options.sensitivity_chunks;
  const std::string key = RunKey(
      run, fmt::format("sensitivity chunks {}|{}", o.ppl.n_chunks, quant::RecipeToJson(recipe)));
  if (std::optional<nlohmann::json> hit = run.cache.Load(key)) {
    try {
      return ScanFromJson(hit->at("scan"));
    } catch (const nlohmann::json::exception&) {
      // a malformed entry is recomputed below
    }
  }
  if (ctx.note) ctx.note(fmt::format("auto: sensitivity scan of {}", recipe.name));
  const SensitivityResult s =
      ScanSensitivity(*ctx.base, recipe, o, *ctx.pool, [&](int done, int total) {
        if (ctx.progress) ctx.progress("sensitivity " + recipe.name, done, total);
      });
  run.cache.Store(key, {{"scan", ScanToJson(s)}});
  return s;
}

int FindRung(const std::vector<LadderRung>& ladder, const std::string& name, const char* flag) {
  for (size_t i = 0; i < ladder.size(); ++i)
    if (ladder[i].recipe.name == name) return int(i);
  Fail(ErrorKind::kInvalidInput, "{} {}: not a recipe of the ladder", flag, name);
}

// Step 2's two rungs, or {-1, -1} when it does not apply.
std::pair<int, int> MixPair(const AutoOptions& o, const std::vector<LadderRung>& ladder,
                            int passed) {
  int from = -1, to = -1;
  int top_in_budget = -1, first_over = -1;
  for (size_t i = 0; i < ladder.size(); ++i) {
    if (!ladder[i].over_budget) top_in_budget = int(i);
    if (ladder[i].over_budget && first_over < 0) first_over = int(i);
  }
  if (passed >= 0 && !o.fill) {
    from = passed - 1;  // the last failing rung (or none: the cheapest passed)
    to = passed;
  } else if (passed >= 0) {
    from = passed > 0 ? passed - 1 : passed;
    to = first_over >= 0 ? first_over : int(ladder.size()) - 1;
  } else {  // nothing passed within the budget: mix the best fitting rung toward the next one
    from = top_in_budget;
    to = first_over;
  }
  if (!o.mix_from.empty()) from = FindRung(ladder, o.mix_from, "--mix-from");
  if (!o.mix_to.empty()) to = FindRung(ladder, o.mix_to, "--mix-to");
  if (from < 0 || to < 0 || from == to) return {-1, -1};
  if (ladder[to].predicted.file_bytes <= ladder[from].predicted.file_bytes)
    Fail(ErrorKind::kInvalidInput, "step 2: {} is not larger than {}", ladder[to].recipe.name,
         ladder[from].recipe.name);
  return {from, to};
}

}  // namespace

void MixedSearch(const AutoRun& run, const std::vector<LadderRung>& ladder, int passed,
                 AutoResult& result) {
  const auto [from, to] = MixPair(run.options, ladder, passed);
  if (from < 0) return;
  const quant::Recipe& cheap = ladder[from].recipe;
  const quant::Recipe& better = ladder[to].recipe;
  result.mixed_ran = true;
  result.mix_from = cheap.name;
  result.mix_to = better.name;
  result.scans = {Scan(run, cheap), Scan(run, better)};
  result.promotions = RankPromotions(result.scans[0], result.scans[1]);
  // Promotions that buy nothing measurable come last (allocate.h); never take them.
  size_t useful = 0;
  while (useful < result.promotions.size() && result.promotions[useful].kld_gain > 0) ++useful;

  // The largest count that fits: the budget, and (searching for the smallest pass) below the
  // passing rung's real size, else there is nothing to win.
  const bool smallest = !run.options.fill;
  const uint64_t ceiling = smallest && passed >= 0 ? result.rungs[passed].real_bytes : UINT64_MAX;
  const uint64_t extra_kv = [&] {
    uint64_t b = 0;
    for (const auto& [k, v] : run.options.write.extra_kvs) b += 8 + k.size() + 4 + 8 + v.size();
    return b;
  }();
  auto recipe_for = [&](size_t n) {
    return PromoteTensors(cheap, result.promotions, n,
                          fmt::format("{}+{}x{}", cheap.name, n, better.name));
  };
  std::vector<SizePrediction> sizes;
  size_t limit = 0;
  for (size_t n = 0; n <= useful; ++n) {
    sizes.push_back(
        PredictSize(recipe_for(n), *run.ctx.base, run.ctx.tokenizer->ToVocab(), extra_kv));
    const bool fits = FitsBudget(run.options.budget, sizes[n].file_bytes, sizes[n].bpw) &&
                      sizes[n].file_bytes < ceiling;
    if (!fits) break;
    limit = n;
  }
  if (run.ctx.note)
    run.ctx.note(fmt::format("auto: step 2: {} -> {}: {} promotions buy KLD, {} fit{}", cheap.name,
                             better.name, useful, limit,
                             smallest ? " below " + better.name + "'s size" : " the budget"));
  if (limit == 0) return;

  std::map<size_t, int> probed;  // count -> index in result.rungs
  auto probe = [&](size_t n) {
    if (auto it = probed.find(n); it != probed.end()) return result.rungs[it->second].passed;
    RungRecord r;
    const quant::Recipe recipe = recipe_for(n);
    r.label = recipe.name;
    r.stage = "mixed";
    r.promotions = int(n);
    r.predicted = sizes[n];
    r = RunRung(run, recipe, std::move(r));
    if (run.ctx.note)
      run.ctx.note(fmt::format("auto: probe {} {}{} ({}{:.1f} s)", r.label, r.status,
                               r.passed ? "" : ": " + FailingSummary(r), r.cached ? "cached, " : "",
                               r.seconds));
    probed[n] = int(result.rungs.size());
    result.rungs.push_back(std::move(r));
    return result.rungs.back().passed;
  };
  if (!probe(limit)) return;
  size_t lo = 0, hi = limit;  // lo fails (it is the cheap rung), hi passes
  if (smallest)
    while (hi - lo > 1) {
      const size_t mid = lo + (hi - lo) / 2;
      (probe(mid) ? hi : lo) = mid;
    }
  const int chosen = probed[hi];
  const RungRecord& m = result.rungs[chosen];
  if (smallest && passed >= 0 && m.real_bytes >= result.rungs[passed].real_bytes) return;
  result.chosen = chosen;
  const RungRecord& below = result.rungs[from];
  const std::string verdict = !below.evaluated ? ""
                              : below.passed   ? " passes"
                                               : " fails (" + FailingSummary(below) + ")";
  result.why = fmt::format(
      "{}{}; {} of its tensors at {}'s types (the most KLD per extra byte) pass every check{}",
      below.label, verdict, m.promotions, better.name,
      passed >= 0 ? fmt::format(" at {} bytes, {} is {} bytes", m.real_bytes,
                                result.rungs[passed].label, result.rungs[passed].real_bytes)
                  : "");
}

}  // namespace qforge::plan
