// qforge ppl: perplexity of a text by llama.cpp's llama-perplexity protocol.
#include "qforge/eval/perplexity.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/progress.h"
#include "qforge/core/thread_pool.h"
#include "qforge/io/mapped_file.h"

namespace qforge::cli {
namespace {

struct PerplexityFlags {
  ModelFlags model;
  std::string text;
  int ctx = 512;
  int chunks = -1;
  bool json = false;
};

void Run(const PerplexityFlags& flags) {
  LoadedModel m = LoadModel(flags.model);
  ThreadPool pool(flags.model.threads);
  // As llama-perplexity does: a context beyond the training length is allowed, with a warning
  // (RoPE extrapolates; quality may drop).
  const int ctx = flags.ctx;
  if (ctx > m.checkpoint.config.max_seq_len)
    Note("perplexity: warning: context {} exceeds the model's training context {}", ctx,
         m.checkpoint.config.max_seq_len);
  model::LlamaModel llama(m.checkpoint, pool, ctx);
  const std::string text = io::ReadTextFile(flags.text);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int> tokens = m.tokenizer->Encode(text, /*add_bos=*/true);
  const double tokenize_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  eval::PerplexityOptions options;
  options.n_ctx = ctx;
  options.n_chunks = flags.chunks;
  options.bos_id = m.tokenizer->bos_id();
  const int chunks =
      std::min<int>(flags.chunks < 0 ? INT32_MAX : flags.chunks, int(tokens.size() / size_t(ctx)));
  Note("perplexity: {} tokens in {:.0f} ms; {} chunks of {} tokens, {} threads", tokens.size(),
       tokenize_ms, chunks, ctx, pool.size());
  Progress progress("perplexity", chunks, "chunks");
  const auto result =
      eval::Perplexity(llama, tokens, options, [&](int c, const eval::PerplexityResult& r) {
        if (!flags.json) {
          fmt::print("[{}]{:.4f},", c + 1, r.running_ppl.back());
          std::fflush(stdout);
        }
        progress.Update(c + 1);
      });
  progress.Finish();
  const double tps = double(result.chunks) * ctx / result.seconds;
  if (flags.json) {
    nlohmann::json j = {{"text", flags.text},
                        {"n_ctx", ctx},
                        {"chunks", result.chunks},
                        {"tokens_in_text", tokens.size()},
                        {"scored_tokens", result.scored_tokens},
                        {"mean_nll", result.mean_nll},
                        {"ppl", result.ppl},
                        {"ppl_uncertainty", result.ppl_uncertainty},
                        {"running_ppl", result.running_ppl},
                        {"seconds", result.seconds},
                        {"tokens_per_s", tps}};
    fmt::print("{}\n", j.dump(1));
    return;
  }
  fmt::print("\n");
  Note("perplexity: {:.2f} s, {:.0f} tokens/s", result.seconds, tps);
  fmt::print("Final estimate: PPL = {:.6f} +/- {:.5f}\n", result.ppl, result.ppl_uncertainty);
}

}  // namespace

void RegisterPerplexity(CLI::App& app) {
  auto flags = std::make_shared<PerplexityFlags>();
  CLI::App* verb = app.add_subcommand(
      "ppl", "Perplexity of a text file (llama.cpp's llama-perplexity protocol)");
  AddModelFlags(*verb, flags->model);
  AddRecipeFlag(*verb, flags->model);
  verb->add_option("--text", flags->text, "UTF-8 text file")->required()->check(CLI::ExistingFile);
  verb->add_option("-c,--ctx", flags->ctx, "Tokens per chunk")
      ->capture_default_str()
      ->check(CLI::Range(4, 1 << 20));
  verb->add_option("--chunks", flags->chunks, "Chunks to score; -1 = all")->capture_default_str();
  verb->add_flag("--json", flags->json, "Print the result as JSON");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
