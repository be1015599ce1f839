// The Llama forward pass on the CPU with f32 activations: RMSNorm, RoPE, grouped-query attention
// over a KV cache, SwiGLU, tied or separate classifier. A call runs a batch of consecutive tokens
// (prefill) or one token (decode); both use the same code.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"
#include "qforge/model/kv_cache.h"
#include "qforge/model/llama_weights.h"
#include "qforge/model/rope.h"

namespace qforge::model {

class LlamaModel {
 public:
  // Binds the checkpoint's weights (shared ownership of their storage). `max_context` bounds the
  // positions a cache may hold; 0 means the model's training context.
  LlamaModel(const Checkpoint& ckpt, ThreadPool& pool, int max_context = 0);

  const ModelConfig& config() const { return config_; }
  int max_context() const { return rope_.max_positions(); }
  KvCache NewCache(int capacity = 0) const;

  // Runs tokens at positions pos, pos+1, ... (appending their keys/values to the cache) and
  // writes the logits of batch rows [first_logit, tokens.size()) to `logits`, row-major
  // [tokens.size() - first_logit, vocab]. Throws Error{kInvalidInput} for a token id out of range
  // or positions beyond the cache.
  void Forward(std::span<const int> tokens, int pos, KvCache& cache, int first_logit,
               float* logits);

 private:
  void Attention(int layer, int n, int pos, KvCache& cache);
  void FeedForward(const LayerWeights& lw, int n);
  void EnsureScratch(int n);

  ModelConfig config_;
  LlamaWeights weights_;
  std::vector<std::shared_ptr<const void>> storage_;
  ThreadPool& pool_;
  RopeTable rope_;
  int scratch_tokens_ = 0;
  // Activations of the current batch, row-major [n, width].
  std::vector<float> x_, xb_, q_, k_, v_, att_, gate_, up_;
};

}  // namespace qforge::model
