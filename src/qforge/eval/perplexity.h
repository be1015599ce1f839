// Perplexity by llama.cpp's llama-perplexity protocol, so numbers compare with its output:
// the whole text is tokenized once with BOS first; it is cut into chunks of n_ctx tokens; each
// chunk's first token is replaced by BOS; only the second half of each chunk is scored (positions
// n_ctx/2 .. n_ctx-2 predict the next token), so every scored token has at least n_ctx/2 of
// context.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "qforge/model/llama_model.h"

namespace qforge::eval {

struct PerplexityOptions {
  int n_ctx = 512;
  int n_chunks = -1;  // -1: every whole chunk in the text
  int bos_id = 1;
};

struct PerplexityResult {
  double ppl = 0;
  double ppl_uncertainty = 0;  // one standard error, as llama.cpp prints after "+/-"
  double mean_nll = 0;
  int64_t scored_tokens = 0;
  int chunks = 0;
  std::vector<double> running_ppl;  // after each chunk
  double seconds = 0;
};

// The chunks the protocol scores, shared by Perplexity and the lockstep comparison (kld.h) so both
// read exactly the same tokens. Throws Error{kInvalidInput} when the context does not fit the model
// or the text holds fewer than 2 * n_ctx tokens (llama.cpp's rule).
struct ChunkPlan {
  int n_ctx = 0;
  int chunks = 0;
  int first = 0;  // first logit row kept: n_ctx / 2; rows first .. n_ctx-2 are scored
  int scored_per_chunk() const { return n_ctx - 1 - first; }
};
ChunkPlan PlanChunks(int max_context, size_t n_tokens, const PerplexityOptions& options);

// Chunk `c` of the text with its first token replaced by BOS (into `chunk`, n_ctx long).
void ChunkTokens(std::span<const int> tokens, const ChunkPlan& plan, int c, int bos_id,
                 std::vector<int>& chunk);

// Per-chunk callback: (chunk index, running result so far).
using ChunkCallback = std::function<void(int, const PerplexityResult&)>;

// Throws Error{kInvalidInput} when the text holds fewer than 2 * n_ctx tokens (llama.cpp's rule).
PerplexityResult Perplexity(model::LlamaModel& model, std::span<const int> tokens,
                            const PerplexityOptions& options, const ChunkCallback& on_chunk = {});

// Negative log-likelihood of `target` under softmax(logits), in double.
double TokenNll(std::span<const float> logits, int target);

}  // namespace qforge::eval
