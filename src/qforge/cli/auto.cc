// qforge auto: the smallest precision that passes the gate within a size budget
// (plan/auto_search.h), gated exactly as `qforge eval` + `qforge gate` would gate each rung. Writes
// OUT/model.gguf, OUT/recipe.json, OUT/auto.json and OUT/report.html; exit 1 when nothing passes.
#include <algorithm>
#include <filesystem>
#include <memory>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/progress.h"
#include "qforge/core/thread_pool.h"
#include "qforge/eval/cache.h"
#include "qforge/eval/write_text.h"
#include "qforge/io/atomic_file.h"
#include "qforge/io/mapped_file.h"
#include "qforge/plan/auto_search.h"
#include "qforge/plan/ladder.h"
#include "qforge/report/auto_report.h"
#include "qforge/report/gate.h"
#include "qforge/report/report_json.h"

namespace qforge::cli {
namespace {

namespace fs = std::filesystem;

struct AutoFlags {
  ModelFlags model;
  std::vector<std::string> suites;
  std::string text;  // empty: the bundled TinyStories sample; "none": no text metrics
  int ctx = 0;
  int chunks = -1;
  std::string budget;
  std::string ladder;
  std::string output;
  // the gate, as `qforge gate`
  double max_regression = 0.02;
  std::vector<std::string> capabilities;
  std::vector<std::string> metrics;
  double significance = -1;
  // step 2
  bool fill = false, no_mixed = false;
  std::string mix_from, mix_to;
  int sensitivity_chunks = 0;
  int resamples = 2000;
};

// data/tinystories-sample.txt of the tree that holds the bundled model.
std::string DefaultTextPath() {
  const fs::path model = DefaultModelPath();  // <root>/models/stories260K/stories260K.bin
  return (model.parent_path().parent_path().parent_path() / "data" / "tinystories-sample.txt")
      .string();
}

std::pair<std::string, std::string> SplitAssignment(const std::string& s, const char* flag) {
  const size_t eq = s.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
    Fail(ErrorKind::kInvalidInput, "{} \"{}\": expected NAME=VALUE", flag, s);
  return {s.substr(0, eq), s.substr(eq + 1)};
}

report::GateOptions GateFromFlags(const AutoFlags& f) {
  report::GateOptions o;
  o.max_regression = f.max_regression;
  for (const std::string& c : f.capabilities) {
    const auto [name, value] = SplitAssignment(c, "--capability");
    o.capabilities[name] = report::ParseThreshold(value, "--capability " + name);
  }
  for (const std::string& m : f.metrics) {
    const auto [name, value] = SplitAssignment(m, "--metric");
    if (value.starts_with("abs:") || value.starts_with("rel:"))
      Fail(ErrorKind::kInvalidInput, "--metric {}: a metric's limit has fixed units; give a number",
           name);
    o.metrics[name] = report::ParseThreshold(value, "--metric " + name).value;
  }
  if (f.significance >= 0) o.significance = f.significance;
  return o;
}

std::string GateSettings(const report::GateOptions& g) {
  std::string s = fmt::format("gate {}", g.max_regression);
  for (const auto& [k, t] : g.capabilities)
    s += fmt::format(" cap {}={}{}", k, t.absolute ? "abs:" : "", t.value);
  for (const auto& [k, v] : g.metrics) s += fmt::format(" metric {}={}", k, v);
  if (g.significance) s += fmt::format(" significance {}", *g.significance);
  return s;
}

// One progress bar per stage, replaced when the stage changes (as `qforge eval`).
class StageProgress {
 public:
  void operator()(const std::string& stage, int64_t done, int64_t total) {
    if (stage != stage_) {
      if (bar_) bar_->Finish();
      bar_ = std::make_unique<Progress>(stage, total);
      stage_ = stage;
    }
    bar_->Update(done);
  }
  void Finish() {
    if (bar_) bar_->Finish();
    bar_.reset();
    stage_.clear();
  }

 private:
  std::string stage_;
  std::unique_ptr<Progress> bar_;
};

void Run(const AutoFlags& flags) {
  const plan::Budget budget =
      flags.budget.empty() ? plan::Budget{} : plan::ParseBudget(flags.budget);
  const report::GateOptions gate = GateFromFlags(flags);
  std::vector<eval::Suite> suites;
  for (const std::string& s : flags.suites) suites.push_back(eval::LoadSuite(s));
  const std::string text = flags.text.empty() ? DefaultTextPath() : flags.text;
  if (text == "none" && suites.empty())
    Fail(ErrorKind::kInvalidInput,
         "auto: nothing to evaluate: give --suite FILE and/or --text FILE");
  const std::string model_path = flags.model.model.empty() ? DefaultModelPath() : flags.model.model;
  const fs::path out = flags.output;
  if (fs::exists(out) && !fs::is_directory(out))
    Fail(ErrorKind::kInvalidInput, "-o {}: exists and is not a directory", flags.output);
  fs::create_directories(out);
  for (const char* name : {"model.gguf", "recipe.json", "auto.json", "report.html"})
    io::RefuseToOverwriteInput(model_path, (out / name).string());

  ModelFlags base_flags = flags.model;
  base_flags.model = model_path;
  base_flags.recipe.clear();
  LoadedModel base = LoadModel(base_flags);
  ThreadPool pool(flags.model.threads);
  const int ctx = flags.ctx > 0 ? flags.ctx : std::min(512, base.checkpoint.config.max_seq_len);
  const int capacity = std::max(ctx, base.checkpoint.config.max_seq_len);
  model::LlamaModel base_model(base.checkpoint, pool, capacity);

  plan::AutoContext c;
  c.base = &base.checkpoint;
  c.base_model = &base_model;
  c.tokenizer = base.tokenizer.get();
  c.base_path = model_path;
  c.base_hash = eval::HashModelPath(model_path);
  c.base_bytes =
      fs::is_regular_file(model_path) ? fs::file_size(model_path) : base.checkpoint.WeightBytes();
  c.suites = suites;
  c.eval.ppl.n_ctx = ctx;
  c.eval.ppl.n_chunks = flags.chunks;
  c.eval.ppl.bos_id = base.tokenizer->bos_id();
  if (text != "none") {
    c.eval.text_path = text;
    c.eval.text_tokens = base.tokenizer->Encode(io::ReadTextFile(text), true);
  }
  c.eval.bootstrap.resamples = flags.resamples;
  c.eval.baseline_cache_dir = (out / "cache" / "baseline").string();
  c.eval.settings = fmt::format("qforge {} context {}", QFORGE_VERSION, capacity);
  c.capacity = capacity;
  c.pool = &pool;
  auto progress = std::make_shared<StageProgress>();
  c.progress = [progress](const std::string& s, int64_t d, int64_t t) { (*progress)(s, d, t); };
  c.note = [progress](const std::string& line) {
    progress->Finish();
    Note("{}", line);
  };

  plan::AutoOptions o;
  o.budget = budget;
  o.out_dir = flags.output;
  o.settings = GateSettings(gate) + fmt::format(" calib {} {} {} {}", flags.model.calib.file,
                                                flags.model.calib.samples, flags.model.calib.tokens,
                                                flags.model.calib.seed);
  o.mixed = !flags.no_mixed;
  o.fill = flags.fill;
  o.mix_from = flags.mix_from;
  o.mix_to = flags.mix_to;
  o.sensitivity_chunks = flags.sensitivity_chunks;
  o.write.matrix_type = std::nullopt;
  o.write.name = fs::path(model_path).stem().string();
  o.write.extra_kvs = {{"qforge.version", QFORGE_VERSION},
                       {"qforge.source", fs::path(model_path).filename().string()}};

  const bool calibrated = !flags.model.calib.file.empty();
  const std::vector<std::string> names =
      flags.ladder.empty() ? plan::DefaultLadder(calibrated) : plan::SplitLadder(flags.ladder);
  uint64_t extra_kv = 0;
  for (const auto& [k, v] : o.write.extra_kvs) extra_kv += 8 + k.size() + 4 + 8 + v.size();
  const std::vector<plan::LadderRung> ladder = plan::BuildLadder(
      names, base.checkpoint, base.tokenizer->ToVocab(), budget, calibrated, extra_kv);

  for (const std::string* mix : {&flags.mix_from, &flags.mix_to})
    if (!mix->empty() && std::none_of(ladder.begin(), ladder.end(), [&](const plan::LadderRung& l) {
          return l.recipe.name == *mix;
        }))
      Fail(ErrorKind::kInvalidInput, "--mix-from/--mix-to {}: not a recipe of the ladder", *mix);
  CalibFlags calib = flags.model.calib;
  calib.report = false;  // stdout carries the result only
  const plan::QuantizeFn quantize = [&](const quant::Recipe& r) {
    return QuantizeByRecipe(base.checkpoint, r, base.tokenizer.get(), calib, pool, false);
  };
  const report::ReportContext rc{QFORGE_VERSION, c.eval.text_path, ctx, flags.chunks, pool.size()};
  const plan::VerdictFn verdict = [&](const eval::EvalResult& e, const eval::EvalOptions& eo) {
    plan::RungVerdict v;
    v.report = report::BuildReport(e, eo, rc);
    const report::GateResult g = report::RunGate(v.report, gate);
    v.passed = g.passed;
    for (const report::GateCheck& check : g.checks)
      if (!check.passed) v.failing.push_back(check.message);
    return v;
  };
  Note("auto: {} rungs ({}), budget {}, {} suites, {} threads", ladder.size(),
       fmt::join(names, ","), budget.text.empty() ? "none" : budget.text, suites.size(),
       pool.size());
  const plan::AutoResult result = plan::AutoSearch(c, ladder, o, quantize, verdict);
  progress->Finish();

  const nlohmann::json aj = plan::AutoResultToJson(result, o);
  eval::WriteTextAtomic((out / "auto.json").string(), aj.dump(1) + "\n");
  eval::WriteTextAtomic((out / "report.html").string(),
                        report::AutoReportHtml(aj, result.scans, model_path));
  if (result.chosen < 0) {
    fmt::print(
        "no precision within the budget passes: {}; fallback: the baseline {} ({}, {:.2f} bpw)\n",
        result.why, model_path, HumanBytes(c.base_bytes),
        8.0 * double(base.checkpoint.WeightBytes()) / double(base.checkpoint.ParameterCount()));
    std::fflush(stdout);
    throw ExitCode{1};
  }
  const plan::RungRecord& chosen = result.rungs[result.chosen];
  const uint64_t bytes =
      plan::WriteChosenModel(c, result, o, quantize, (out / "model.gguf").string());
  eval::WriteTextAtomic((out / "recipe.json").string(),
                        quant::RecipeToJson(result.chosen_recipe) + "\n");
  Note("auto: wrote {}/model.gguf, recipe.json, auto.json, report.html", flags.output);
  fmt::print("the smallest precision that passes is {} ({}, {:.2f} bpw): {}\n", chosen.label,
             HumanBytes(bytes), chosen.real_bpw, result.why);
}

}  // namespace

void RegisterAuto(CLI::App& app) {
  auto flags = std::make_shared<AutoFlags>();
  CLI::App* verb = app.add_subcommand(
      "auto", "The smallest precision that passes the gate within a budget (ladder + mixed)");
  AddModelFlags(*verb, flags->model);
  AddCalibFlags(*verb, flags->model.calib);
  verb->add_option("-s,--suite", flags->suites, "Suite JSONL file (repeatable)")
      ->check(CLI::ExistingFile);
  verb->add_option("--text", flags->text,
                   "Text for PPL/KLD (default: the bundled data/tinystories-sample.txt; none: "
                   "no text metrics)");
  verb->add_option("-c,--ctx", flags->ctx,
                   "Tokens per text chunk (default: min(512, training context))")
      ->check(CLI::Range(0, 1 << 20));
  verb->add_option("--chunks", flags->chunks, "Text chunks to score; -1 = all")
      ->capture_default_str();
  verb->add_option("--budget", flags->budget,
                   "Largest file: 4GB, 700MB, 3.9GiB, bytes, or 4.5bpw (bits per weight of all "
                   "tensors); default: none");
  verb->add_option("--ladder", flags->ladder,
                   "Candidate recipes, comma-separated (default Q2_K,Q3_K_M,Q4_K_M,Q5_K_M,Q6_K,"
                   "Q8_0,f16; gptq-q4_0 too with --calib); ordered by size");
  verb->add_option("-o,--output", flags->output,
                   "Output directory: model.gguf, recipe.json, auto.json, report.html, cache/")
      ->required();
  verb->add_option("--max-regression", flags->max_regression,
                   "Largest allowed relative drop of any capability score and rise of PPL")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  verb->add_option("--capability", flags->capabilities,
                   "NAME=0.01 (relative), NAME=abs:0.01 (absolute) for one capability; repeatable");
  verb->add_option("--metric", flags->metrics,
                   "NAME=LIMIT for ppl, kld, same_top, ... (as qforge gate); repeatable");
  verb->add_option("--significance", flags->significance,
                   "Fail only when the regression is also significant at this level")
      ->check(CLI::Range(0.0, 1.0));
  verb->add_flag("--fill", flags->fill,
                 "Step 2 promotes tensors up to the budget instead of stopping at the first pass");
  verb->add_flag("--no-mixed", flags->no_mixed, "Ladder only (no step 2)");
  verb->add_option("--mix-from", flags->mix_from, "Step 2's cheap recipe (a ladder rung)");
  verb->add_option("--mix-to", flags->mix_to, "Step 2's better recipe (a ladder rung)");
  verb->add_option("--sensitivity-chunks", flags->sensitivity_chunks,
                   "Text chunks per sensitivity probe (default: as the evaluation)")
      ->check(CLI::Range(0, 1 << 20));
  verb->add_option("--resamples", flags->resamples, "Paired-bootstrap resamples")
      ->capture_default_str()
      ->check(CLI::Range(100, 1000000));
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
