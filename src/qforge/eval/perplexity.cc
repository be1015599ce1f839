// Perplexity over chunks, with llama.cpp's uncertainty estimate.
#include "qforge/eval/perplexity.h"

#include <chrono>
#include <cmath>

#include "qforge/core/error.h"

namespace qforge::eval {

double TokenNll(std::span<const float> logits, int target) {
  double max = logits[0];
  for (float v : logits) max = std::max(max, double(v));
  double sum = 0;
  for (float v : logits) sum += std::exp(double(v) - max);
  return std::log(sum) + max - double(logits[size_t(target)]);
}

ChunkPlan PlanChunks(int max_context, size_t n_tokens, const PerplexityOptions& options) {
  const int n_ctx = options.n_ctx;
  if (n_ctx < 4 || n_ctx > max_context)
    Fail(ErrorKind::kInvalidInput, "context {} is outside 4..{} (the model's context)", n_ctx,
         max_context);
  if (n_tokens < size_t(2) * size_t(n_ctx))
    Fail(ErrorKind::kInvalidInput,
         "the text has {} tokens; perplexity at context {} needs at least {}", n_tokens, n_ctx,
         2 * n_ctx);
  const int available = int(n_tokens / size_t(n_ctx));
  ChunkPlan plan;
  plan.n_ctx = n_ctx;
  plan.chunks = options.n_chunks < 0 ? available : std::min(options.n_chunks, available);
  plan.first = n_ctx / 2;
  return plan;
}

void ChunkTokens(std::span<const int> tokens, const ChunkPlan& plan, int c, int bos_id,
                 std::vector<int>& chunk) {
  chunk.resize(size_t(plan.n_ctx));
  std::copy_n(tokens.begin() + std::ptrdiff_t(c) * plan.n_ctx, plan.n_ctx, chunk.begin());
  chunk[0] = bos_id;
}

PerplexityResult Perplexity(model::LlamaModel& model, std::span<const int> tokens,
                            const PerplexityOptions& options, const ChunkCallback& on_chunk) {
  const ChunkPlan plan = PlanChunks(model.max_context(), tokens.size(), options);
  const int n_ctx = plan.n_ctx, chunks = plan.chunks, first = plan.first;
  const int vocab = model.config().vocab_size;
  // Logits for rows first .. n_ctx-1 (the last row predicts past the chunk and is not scored).
  std::vector<float> logits(size_t(n_ctx - first) * size_t(vocab));
  std::vector<int> chunk;
  model::KvCache cache = model.NewCache(n_ctx);
  PerplexityResult result;
  double nll = 0, nll2 = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < chunks; ++c) {
    ChunkTokens(tokens, plan, c, options.bos_id, chunk);
    model.Forward(chunk, 0, cache, first, logits.data());
    for (int j = first; j < n_ctx - 1; ++j) {
      const double v = TokenNll({&logits[size_t(j - first) * size_t(vocab)], size_t(vocab)},
                                chunk[size_t(j + 1)]);
      nll += v;
      nll2 += v * v;
      ++result.scored_tokens;
    }
    result.chunks = c + 1;
    result.mean_nll = nll / double(result.scored_tokens);
    result.ppl = std::exp(result.mean_nll);
    result.running_ppl.push_back(result.ppl);
    // llama.cpp: standard error of the mean NLL, propagated through exp.
    const double n = double(result.scored_tokens);
    const double variance = nll2 / n - result.mean_nll * result.mean_nll;
    result.ppl_uncertainty =
        (variance > 0 && n > 1) ? std::sqrt(variance / (n - 1)) * result.ppl : 0.0;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (on_chunk) on_chunk(c, result);
  }
  return result;
}

}  // namespace qforge::eval
