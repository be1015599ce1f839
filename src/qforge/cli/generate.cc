// qforge generate: continue a prompt, greedy or sampled, streaming the text to stdout.
#include "qforge/model/generate.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/thread_pool.h"

namespace qforge::cli {
namespace {

struct GenerateFlags {
  ModelFlags model;
  std::string prompt = "Once upon a time";
  int max_tokens = 128;
  int ctx = 0;
  model::SamplerOptions sampler;
  bool json = false;
};

void Run(const GenerateFlags& flags) {
  LoadedModel m = LoadModel(flags.model);
  ThreadPool pool(flags.model.threads);
  model::LlamaModel llama(m.checkpoint, pool, flags.ctx);
  const std::vector<int> prompt = m.tokenizer->Encode(flags.prompt, /*add_bos=*/true);
  model::GenerateOptions options;
  options.max_new_tokens = flags.max_tokens;
  options.eos_id = m.tokenizer->eos_id();
  options.sampler = flags.sampler;
  if (!flags.json) {
    fmt::print("{}", flags.prompt);
    std::fflush(stdout);
  }
  // Decode the whole continuation each step and print only what is new, so multi-token UTF-8
  // characters and the SentencePiece leading space come out right.
  std::vector<int> so_far;
  size_t printed = 0;
  const auto result = model::Generate(llama, prompt, options, [&](int token) {
    so_far.push_back(token);
    if (!flags.json) {
      std::vector<int> with_prompt(prompt.begin(), prompt.end());
      with_prompt.insert(with_prompt.end(), so_far.begin(), so_far.end());
      const std::string text = m.tokenizer->Decode(with_prompt);
      const std::string prefix = m.tokenizer->Decode(prompt);
      const std::string fresh = text.substr(std::min(text.size(), prefix.size() + printed));
      printed += fresh.size();
      fmt::print("{}", fresh);
      std::fflush(stdout);
    }
    return true;
  });
  const double prefill_tps =
      result.prefill_seconds > 0 ? double(prompt.size()) / result.prefill_seconds : 0;
  const double decode_tps =
      result.decode_seconds > 0 ? double(result.tokens.size()) / result.decode_seconds : 0;
  if (flags.json) {
    std::vector<int> all(prompt.begin(), prompt.end());
    all.insert(all.end(), result.tokens.begin(), result.tokens.end());
    nlohmann::json j = {
        {"prompt", flags.prompt},           {"prompt_tokens", prompt},
        {"tokens", result.tokens},          {"text", m.tokenizer->Decode(result.tokens)},
        {"stopped_at_eos", result.hit_eos}, {"prefill_tokens_per_s", prefill_tps},
        {"decode_tokens_per_s", decode_tps}};
    fmt::print("{}\n", j.dump(1));
    return;
  }
  fmt::print("\n");
  Note("generate: {} prompt tokens ({:.0f} tokens/s), {} new tokens ({:.0f} tokens/s){}",
       prompt.size(), prefill_tps, result.tokens.size(), decode_tps,
       result.hit_eos ? ", stopped at EOS" : "");
}

}  // namespace

void RegisterGenerate(CLI::App& app) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* verb =
      app.add_subcommand("generate", "Continue a prompt (greedy by default, or sampled)");
  AddModelFlags(*verb, flags->model);
  AddRecipeFlag(*verb, flags->model);
  verb->add_option("-p,--prompt", flags->prompt, "Prompt text")->capture_default_str();
  verb->add_option("-n,--max-tokens", flags->max_tokens, "New tokens at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  verb->add_option("--ctx", flags->ctx, "Context length (default: the model's)")
      ->check(CLI::NonNegativeNumber);
  verb->add_option("--temp", flags->sampler.temperature, "Temperature; 0 = greedy")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  verb->add_option("--top-k", flags->sampler.top_k, "Sample among the k most likely; 0 = all")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  verb->add_option("--top-p", flags->sampler.top_p, "Nucleus sampling mass")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  verb->add_option("--seed", flags->sampler.seed, "Random seed for sampling")
      ->capture_default_str();
  verb->add_flag("--json", flags->json,
                 "Print JSON (tokens, text, speed) instead of streaming text");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
