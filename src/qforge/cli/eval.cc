// qforge eval: candidate vs baseline on the same text and suites, paired; writes report.json.
#include <memory>
#include <nlohmann/json.hpp>

#include "qforge/cli/common.h"
#include "qforge/cli/leakage.h"
#include "qforge/core/error.h"
#include "qforge/core/progress.h"
#include "qforge/core/thread_pool.h"
#include "qforge/eval/cache.h"
#include "qforge/eval/evaluate.h"
#include "qforge/eval/write_text.h"
#include "qforge/io/atomic_file.h"
#include "qforge/io/mapped_file.h"
#include "qforge/report/report_json.h"

namespace qforge::cli {
namespace {

struct EvalFlags {
  ModelFlags candidate;
  std::string baseline;
  std::vector<std::string> suites;
  std::string text;
  int ctx = 0;  // 0: min(512, the baseline's training context)
  int chunks = -1;
  std::string output;
  std::string baseline_cache;
  std::vector<std::string> abstain;
  int resamples = 2000;
  uint64_t seed = eval::BootstrapOptions{}.seed;
};

// One progress line per stage ("text", "facts (baseline)", ...), replaced when the stage changes.
class StageProgress {
 public:
  void operator()(const std::string& stage, int64_t done, int64_t total) {
    if (stage != stage_) {
      if (bar_) bar_->Finish();
      bar_ = std::make_unique<Progress>(stage, total, stage == "text" ? "chunks" : "cases");
      stage_ = stage;
    }
    bar_->Update(done);
  }
  void Finish() {
    if (bar_) bar_->Finish();
  }

 private:
  std::string stage_;
  std::unique_ptr<Progress> bar_;
};

void PrintSummary(const nlohmann::json& r) {
  const auto& d = r["distribution"];
  if (!d.is_null())
    fmt::print(
        "text: PPL {:.4f} -> {:.4f} (ratio {:.4f} +/- {:.4f}), mean KLD {:.6f} +/- {:.6f}, same "
        "top {:.2f}% +/- {:.2f}%\n",
        d["ppl_base"].get<double>(), d["ppl_cand"].get<double>(), d["ppl_ratio"].get<double>(),
        d["ppl_ratio_unc"].get<double>(), d["kld_mean"].get<double>(), d["kld_unc"].get<double>(),
        100 * d["same_top"].get<double>(), 100 * d["same_top_unc"].get<double>());
  for (const auto& c : r["capabilities"])
    fmt::print(
        "{}: {:.1f}% -> {:.1f}% ({:+.1f}% [{:+.1f}%, {:+.1f}%]), {} right->wrong, McNemar p "
        "{:.3g}\n",
        c["name"].get<std::string>(), 100 * c["base_score"].get<double>(),
        100 * c["cand_score"].get<double>(), 100 * c["delta"].get<double>(),
        100 * c["delta_low"].get<double>(), 100 * c["delta_high"].get<double>(),
        c["right_to_wrong"].get<int>(), c["mcnemar_p"].get<double>());
}

void Run(const EvalFlags& flags) {
  if (flags.suites.empty() && flags.text.empty())
    Fail(ErrorKind::kInvalidInput,
         "eval: nothing to evaluate: give --text FILE and/or --suite FILE");
  io::RefuseToOverwriteInput(flags.baseline, flags.output);
  if (!flags.candidate.model.empty())
    io::RefuseToOverwriteInput(flags.candidate.model, flags.output);
  std::vector<eval::Suite> suites;
  for (const std::string& s : flags.suites) suites.push_back(eval::LoadSuite(s));

  ModelFlags base_flags = flags.candidate;
  base_flags.model = flags.baseline;
  base_flags.recipe.clear();
  LoadedModel base = LoadModel(base_flags);
  LoadedModel cand = LoadModel(flags.candidate, /*need_tokenizer=*/false);
  if (cand.checkpoint.config.vocab_size != base.checkpoint.config.vocab_size)
    Fail(ErrorKind::kInvalidInput, "{}: vocabulary of {} tokens; the baseline {} has {}",
         cand.checkpoint.path, cand.checkpoint.config.vocab_size, flags.baseline,
         base.checkpoint.config.vocab_size);
  ThreadPool pool(flags.candidate.threads);
  const int ctx = flags.ctx > 0 ? flags.ctx : std::min(512, base.checkpoint.config.max_seq_len);
  // The context bounds the text chunks; generation and choice prompts use the training context.
  const int capacity = std::max(ctx, base.checkpoint.config.max_seq_len);
  model::LlamaModel base_model(base.checkpoint, pool, capacity);
  model::LlamaModel cand_model(cand.checkpoint, pool, capacity);

  eval::EvalOptions options;
  options.ppl.n_ctx = ctx;
  options.ppl.n_chunks = flags.chunks;
  options.ppl.bos_id = base.tokenizer->bos_id();
  if (!flags.text.empty()) {
    options.text_path = flags.text;
    options.text_tokens = base.tokenizer->Encode(io::ReadTextFile(flags.text), true);
  }
  if (!flags.abstain.empty()) options.shift.abstain_patterns = flags.abstain;
  options.bootstrap.resamples = flags.resamples;
  options.bootstrap.seed = flags.seed;
  options.baseline_cache_dir = flags.baseline_cache;
  options.settings = fmt::format("qforge {} context {}", QFORGE_VERSION, capacity);

  eval::ModelUnderTest b{flags.baseline, 0, base.checkpoint.WeightBytes(), &base_model,
                         base.tokenizer.get()};
  std::string cand_name =
      flags.candidate.model.empty() ? DefaultModelPath() : flags.candidate.model;
  if (!flags.candidate.recipe.empty()) cand_name += " (recipe " + flags.candidate.recipe + ")";
  eval::ModelUnderTest c{cand_name, 0, cand.checkpoint.WeightBytes(), &cand_model,
                         base.tokenizer.get()};
  b.hash = eval::HashModelPath(flags.baseline);
  c.hash = flags.candidate.recipe.empty()
               ? eval::HashModelPath(cand.checkpoint.path)
               : eval::Fnv1a64(flags.candidate.recipe, eval::HashModelPath(cand.checkpoint.path));
  Note("eval: {} vs baseline {}; context {}, {} suites, {} threads", cand_name, flags.baseline, ctx,
       suites.size(), pool.size());
  StageProgress progress;
  const eval::EvalResult result =
      eval::Evaluate(b, c, suites, options,
                     [&](const std::string& s, int64_t d, int64_t t) { progress(s, d, t); });
  progress.Finish();
  report::ReportContext context{QFORGE_VERSION, flags.text, ctx, flags.chunks, pool.size()};
  nlohmann::json report = report::BuildReport(result, options, context);
  // Leakage: only when the candidate's metadata names its calibration data (docs/report-schema.md).
  if (nlohmann::json leak = CandidateLeakage(cand.checkpoint, flags.text, suites);
      !leak.is_null()) {
    if (leak["checked"].get<bool>())
      Note("eval: leakage check against {}: {} of {} eval 13-grams overlap",
           leak["calibration_file"].get<std::string>(), leak["overlapping"].get<int64_t>(),
           leak["eval_ngrams"].get<int64_t>());
    else
      Note("eval: leakage not checked: {}", leak["reason"].get<std::string>());
    report["leakage"] = std::move(leak);
  }
  eval::WriteTextAtomic(flags.output, report.dump(1) + "\n");
  PrintSummary(report);
  if (result.seconds_text > 0)
    Note(
        "eval: text {:.2f} s ({:.0f} tokens/s over both models), suites {:.2f} s baseline{}, "
        "{:.2f} s candidate; wrote {}",
        result.seconds_text, report["throughput"]["text_tokens_per_s"].get<double>(),
        result.seconds_suites_base,
        result.suites.size() && result.suites[0].baseline_from_cache ? " (cached)" : "",
        result.seconds_suites_cand, flags.output);
  else
    Note("eval: wrote {}", flags.output);
}

}  // namespace

void RegisterEval(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* verb = app.add_subcommand(
      "eval", "Compare a candidate with its baseline on text (PPL, KLD) and suites, paired");
  AddModelFlags(*verb, flags->candidate);
  AddRecipeFlag(*verb, flags->candidate);
  verb->add_option("-b,--baseline", flags->baseline,
                   "Baseline model (e.g. the f32 or f16 original)")
      ->required()
      ->check(CLI::ExistingPath);
  verb->add_option("-s,--suite", flags->suites, "Suite JSONL file (repeatable)")
      ->check(CLI::ExistingFile);
  verb->add_option("--text", flags->text, "Text for the distribution metrics (llama.cpp protocol)")
      ->check(CLI::ExistingFile);
  verb->add_option("-c,--ctx", flags->ctx,
                   "Tokens per text chunk (default: min(512, training context))")
      ->check(CLI::Range(0, 1 << 20));
  verb->add_option("--chunks", flags->chunks, "Text chunks to score; -1 = all")
      ->capture_default_str();
  verb->add_option("-o,--output", flags->output, "report.json to write")->required();
  verb->add_option(
      "--baseline-cache", flags->baseline_cache,
      "Directory caching the baseline's suite results (keyed by model, suite, settings)");
  verb->add_option("--abstain", flags->abstain,
                   "Abstention pattern, case-insensitive (repeatable; replaces the defaults)");
  verb->add_option("--resamples", flags->resamples, "Paired-bootstrap resamples")
      ->capture_default_str()
      ->check(CLI::Range(100, 1000000));
  verb->add_option("--seed", flags->seed, "Bootstrap seed")->capture_default_str();
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
