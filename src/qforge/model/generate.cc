// Prefill + decode loop.
#include "qforge/model/generate.h"

#include <chrono>

#include "qforge/core/error.h"

namespace qforge::model {

GenerateResult Generate(LlamaModel& model, const std::vector<int>& prompt,
                        const GenerateOptions& options, const std::function<bool(int)>& on_token) {
  if (prompt.empty()) Fail(ErrorKind::kInvalidInput, "the prompt is empty (not even a BOS token)");
  const int capacity =
      std::min<int>(model.max_context(), int(prompt.size()) + options.max_new_tokens);
  if (int(prompt.size()) >= model.max_context())
    Fail(ErrorKind::kInvalidInput, "the prompt has {} tokens, the context holds {}", prompt.size(),
         model.max_context());
  KvCache cache = model.NewCache(capacity);
  Sampler sampler(options.sampler);
  std::vector<float> logits(size_t(model.config().vocab_size));
  GenerateResult result;
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  model.Forward(prompt, 0, cache, int(prompt.size()) - 1, logits.data());
  result.prefill_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  start = Clock::now();
  int pos = int(prompt.size());
  for (int i = 0; i < options.max_new_tokens; ++i) {
    const int next = sampler.Sample(logits);
    if (next == options.eos_id) {
      result.hit_eos = true;
      break;
    }
    result.tokens.push_back(next);
    if (on_token && !on_token(next)) break;
    if (pos >= capacity) break;  // context full
    model.Forward(std::span<const int>(&next, 1), pos++, cache, 0, logits.data());
  }
  result.decode_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace qforge::model
