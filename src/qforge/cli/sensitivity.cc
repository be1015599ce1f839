// qforge sensitivity: each tensor quantized alone by a recipe, ranked by the KLD it causes.
#include "qforge/plan/sensitivity.h"

#include <filesystem>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/progress.h"
#include "qforge/core/thread_pool.h"
#include "qforge/io/atomic_file.h"
#include "qforge/io/mapped_file.h"
#include "qforge/report/sensitivity_html.h"
#include "qforge/report/sensitivity_json.h"

namespace qforge::cli {
namespace {
namespace fs = std::filesystem;

struct SensitivityFlags {
  ModelFlags model;
  std::string recipe;
  std::string text;  // empty: the bundled data/tinystories-sample.txt
  int ctx = 256;
  int chunks = 8;
  std::vector<std::string> only;
  std::string json;
  std::string html;
  bool quiet = false;
};

// The bundled sample text, looked up as DefaultModelPath looks up the bundled model.
std::string DefaultTextPath() {
  const fs::path rel = fs::path("data") / "tinystories-sample.txt";
  std::vector<fs::path> candidates = {fs::current_path() / rel};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path())
      candidates.push_back(dir / rel);
#ifdef QFORGE_SOURCE_DIR
  candidates.push_back(fs::path(QFORGE_SOURCE_DIR) / rel);
#endif
  for (const fs::path& c : candidates)
    if (fs::exists(c, ec)) return c.string();
  Fail(ErrorKind::kInvalidInput, "the bundled {} was not found; pass --text", rel.string());
}

void WriteText(const std::string& path, const std::string& text, const std::string& input) {
  io::RefuseToOverwriteInput(input, path);
  io::AtomicFile out(path);
  out.Write(text.data(), text.size());
  out.Commit();
}

void PrintTable(const plan::SensitivityResult& r) {
  // KLDs span decades (Q8_0's 1e-6 to Q2_K's 1e-1): scientific notation keeps them comparable.
  fmt::print("{:>4}  {:<28} {:<14} {:>24}  {:>9} {:>9}  {:>9}  {:>8}\n", "rank", "tensor", "type",
             "bytes", "KLD", "+/-", "PPL ratio", "same top");
  for (size_t i = 0; i < r.tensors.size(); ++i) {
    const plan::TensorSensitivity& t = r.tensors[i];
    const std::string type =
        t.scanned ? fmt::format("{} -> {}", Traits(t.source).name, Traits(t.type).name)
                  : fmt::format("{} (kept)", Traits(t.source).name);
    fmt::print("{:>4}  {:<28} {:<14} {:>24}  {:>9.3e} {:>9.2e}  {:>9.4f}  {:>7.2f}%\n", i + 1,
               t.name, type,
               fmt::format("{} -> {}", HumanBytes(t.bytes_source), HumanBytes(t.bytes_type)),
               t.kld_mean, t.kld_unc, t.ppl_ratio, 100 * t.same_top);
  }
}

void Run(const SensitivityFlags& flags) {
  if (flags.quiet) Progress::SetEnabled(false);
  LoadedModel m = LoadModel(flags.model);
  const quant::Recipe recipe = quant::LoadRecipe(flags.recipe);
  const std::string text_path = flags.text.empty() ? DefaultTextPath() : flags.text;
  plan::SensitivityOptions options;
  options.tokens = m.tokenizer->Encode(io::ReadTextFile(text_path), /*add_bos=*/true);
  options.ppl.n_ctx = flags.ctx;
  options.ppl.n_chunks = flags.chunks;
  options.ppl.bos_id = m.tokenizer->bos_id();
  options.only = flags.only;
  ThreadPool pool(flags.model.threads);
  Note("sensitivity: {} by '{}', {} tokens of {}, context {}, up to {} chunks, {} threads",
       m.checkpoint.path, recipe.name, options.tokens.size(), text_path, flags.ctx, flags.chunks,
       pool.size());
  std::unique_ptr<Progress> progress;
  const plan::SensitivityResult r =
      plan::ScanSensitivity(m.checkpoint, recipe, options, pool, [&](int done, int all) {
        if (!progress) progress = std::make_unique<Progress>("sensitivity", all, "tensors");
        progress->Update(done);
      });
  if (progress) progress->Finish();
  if (!r.note.empty()) Note("sensitivity: note: {}", r.note);
  PrintTable(r);
  int scanned = 0;
  for (const plan::TensorSensitivity& t : r.tensors) scanned += t.scanned ? 1 : 0;
  fmt::print("baseline PPL {:.4f} on {} scored tokens; {} of {} tensors scanned\n", r.ppl_base,
             r.scored_tokens, scanned, r.tensors.size());
  fmt::print("cost: {} forward passes ({} chunks x ({} + 1) runs), {:.2f} s\n", r.forward_passes,
             r.chunks, scanned, r.seconds);
  if (!flags.json.empty()) {
    nlohmann::json j = report::SensitivityToJson(r);
    j["model"] = m.checkpoint.path;
    j["text"] = text_path;
    WriteText(flags.json, j.dump(1) + "\n", m.checkpoint.path);
  }
  if (!flags.html.empty())
    WriteText(flags.html, report::SensitivityHtmlPage(r, m.checkpoint.path), m.checkpoint.path);
}

}  // namespace

void RegisterSensitivity(CLI::App& app) {
  auto flags = std::make_shared<SensitivityFlags>();
  CLI::App* verb = app.add_subcommand(
      "sensitivity",
      "Quantize each tensor alone by a recipe and rank the tensors by the KLD it causes against "
      "the unquantized model (llama.cpp's perplexity chunks). Round to nearest at the recipe's "
      "types: imatrix and calibrated methods (GPTQ, AWQ, SmoothQuant) are not applied; a recipe "
      "naming one is scanned with round to nearest, with a note");
  AddModelFlags(*verb, flags->model);
  verb->add_option("-r,--recipe", flags->recipe, "Preset or JSON recipe giving each tensor's type")
      ->required();
  verb->add_option(
          "--text", flags->text,
          "UTF-8 text for the comparison (default: the bundled data/tinystories-sample.txt)")
      ->check(CLI::ExistingFile);
  verb->add_option("-c,--ctx", flags->ctx, "Tokens per chunk")
      ->capture_default_str()
      ->check(CLI::Range(4, 1 << 20));
  verb->add_option("--chunks", flags->chunks,
                   "Chunks per run; -1 = all (the baseline's logits are kept: chunks x ctx/2 x "
                   "vocab floats, at most 2 GiB)")
      ->capture_default_str();
  // One glob per occurrence (or comma-separated), so that a model named after --only stays the
  // model rather than becoming another glob.
  verb->add_option("--only", flags->only,
                   "Scan only tensors matching this glob ('*' = any run); repeat or separate with "
                   "commas, e.g. --only 'blk.*.ffn_down*,token_embd.weight'")
      ->allow_extra_args(false)
      ->delimiter(',');
  verb->add_option("--json", flags->json, "Write the ranked scan as JSON to this file");
  verb->add_option("--html", flags->html, "Write an HTML page with the chart to this file");
  verb->add_flag("-q,--quiet", flags->quiet, "No progress output on stderr");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
