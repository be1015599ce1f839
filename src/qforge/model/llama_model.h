// The Llama forward pass on the CPU with f32 activations: RMSNorm, RoPE, grouped-query attention
// over a KV cache, SwiGLU, tied or separate classifier. A call runs a batch of consecutive tokens
// (prefill) or one token (decode); both use the same code.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"
#include "qforge/model/kv_cache.h"
#include "qforge/model/llama_weights.h"
#include "qforge/model/rope.h"

namespace qforge::model {

// The four inputs of a decoder layer's linear layers: calibration (calib/) observes them.
enum class LinearInput {
  kAttention,        // attn_norm(x): the input of attn_q, attn_k, attn_v
  kAttentionOutput,  // the heads' outputs: the input of attn_output
  kFeedForward,      // ffn_norm(x): the input of ffn_gate, ffn_up
  kFeedForwardDown,  // silu(gate) * up: the input of ffn_down
};
inline constexpr int kLinearInputCount = 4;

// Called with the n rows (row-major [n, width]) a layer's linear layers are about to multiply.
using LinearObserver =
    std::function<void(int layer, LinearInput input, const float* x, int n, int width)>;

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

  // Layer-at-a-time access, for calibration (calib/): the same arithmetic as Forward, split.
  // Embed writes the embeddings of `tokens` to x [tokens.size(), dim].
  void Embed(std::span<const int> tokens, float* x);
  // Runs decoder layer `layer` in place on x [n, dim] at positions pos, pos+1, ...; its keys and
  // values go to layer `cache_layer` of `cache` (a one-layer cache serves every layer in turn).
  // `observer`, when set, sees the inputs of the layer's linear layers.
  void ForwardLayer(int layer, float* x, int n, int pos, KvCache& cache, int cache_layer,
                    const LinearObserver& observer = {});
  // The bound weights of a layer, to swap in transformed or quantized ones. The caller keeps
  // the storage of what it swaps in alive as long as the model runs.
  LayerWeights& layer_weights(int layer) { return weights_.layers[size_t(layer)]; }

 private:
  void CheckPositions(int pos, int n, const KvCache& cache) const;
  void RunLayer(int layer, int n, int pos, KvCache& cache, int cache_layer,
                const LinearObserver& observer);
  void Attention(int layer, int n, int pos, KvCache& cache, int cache_layer,
                 const LinearObserver& observer);
  void FeedForward(int layer, int n, const LinearObserver& observer);
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
