// The Llama forward pass.
#include "qforge/model/llama_model.h"

#include <cmath>

#include "qforge/core/error.h"
#include "qforge/kernels/ops.h"

namespace qforge::model {
LlamaModel::LlamaModel(const Checkpoint& ckpt, ThreadPool& pool, int max_context)
    : config_(ckpt.config),
      weights_(BindLlamaWeights(ckpt)),
      storage_(ckpt.storage),
      pool_(pool),
      rope_(config_.head_dim(), max_context > 0 ? max_context : config_.max_seq_len,
            config_.rope_theta, config_.rope_style) {}

KvCache LlamaModel::NewCache(int capacity) const {
  if (capacity <= 0 || capacity > max_context()) capacity = max_context();
  return KvCache(config_.n_layers, capacity, config_.kv_dim());
}

void LlamaModel::EnsureScratch(int n) {
  if (n <= scratch_tokens_) return;
  const size_t tokens = size_t(n), dim = size_t(config_.dim), kv = size_t(config_.kv_dim());
  const size_t hidden = size_t(config_.hidden_dim);
  x_.resize(tokens * dim);
  xb_.resize(tokens * dim);
  q_.resize(tokens * dim);
  k_.resize(tokens * kv);
  v_.resize(tokens * kv);
  att_.resize(tokens * dim);
  gate_.resize(tokens * hidden);
  up_.resize(tokens * hidden);
  scratch_tokens_ = n;
}

void LlamaModel::CheckPositions(int pos, int n, const KvCache& cache) const {
  if (pos < 0 || pos + n > cache.capacity() || pos + n > max_context())
    Fail(ErrorKind::kInvalidInput, "positions {}..{} exceed the context of {} tokens", pos,
         pos + n - 1, std::min(cache.capacity(), max_context()));
}

void LlamaModel::Embed(std::span<const int> tokens, float* x) {
  const int dim = config_.dim;
  const QTypeTraits& embed = Traits(weights_.token_embedding.type);
  for (size_t t = 0; t < tokens.size(); ++t) {
    if (tokens[t] < 0 || tokens[t] >= config_.vocab_size)
      Fail(ErrorKind::kInvalidInput, "token id {} is outside the vocabulary of {}", tokens[t],
           config_.vocab_size);
    embed.dequantize_row(weights_.token_embedding.Row(tokens[t]), &x[t * size_t(dim)], dim);
  }
}

void LlamaModel::Forward(std::span<const int> tokens, int pos, KvCache& cache, int first_logit,
                         float* logits) {
  const int n = int(tokens.size());
  const int dim = config_.dim;
  if (n == 0) return;
  CheckPositions(pos, n, cache);
  QF_CHECK(first_logit >= 0 && first_logit <= n);
  EnsureScratch(n);
  Embed(tokens, x_.data());
  for (int l = 0; l < config_.n_layers; ++l) RunLayer(l, n, pos, cache, l, {});
  const int rows = n - first_logit;
  if (rows == 0) return;
  for (int t = first_logit; t < n; ++t)
    kernels::RmsNorm(&x_[size_t(t) * size_t(dim)], weights_.output_norm.data(), dim,
                     config_.norm_eps, &xb_[size_t(t) * size_t(dim)]);
  kernels::MatMul(weights_.output, &xb_[size_t(first_logit) * size_t(dim)], rows, logits, pool_);
}

void LlamaModel::ForwardLayer(int layer, float* x, int n, int pos, KvCache& cache, int cache_layer,
                              const LinearObserver& observer) {
  QF_CHECK(layer >= 0 && layer < config_.n_layers);
  if (n == 0) return;
  CheckPositions(pos, n, cache);
  EnsureScratch(n);
  const size_t count = size_t(n) * size_t(config_.dim);
  std::copy_n(x, count, x_.data());
  RunLayer(layer, n, pos, cache, cache_layer, observer);
  std::copy_n(x_.data(), count, x);
}

void LlamaModel::RunLayer(int layer, int n, int pos, KvCache& cache, int cache_layer,
                          const LinearObserver& observer) {
  const int dim = config_.dim;
  const LayerWeights& lw = weights_.layers[size_t(layer)];
  for (int t = 0; t < n; ++t)
    kernels::RmsNorm(&x_[size_t(t) * size_t(dim)], lw.attn_norm.data(), dim, config_.norm_eps,
                     &xb_[size_t(t) * size_t(dim)]);
  Attention(layer, n, pos, cache, cache_layer, observer);
  FeedForward(layer, n, observer);
}

void LlamaModel::Attention(int layer, int n, int pos, KvCache& cache, int cache_layer,
                           const LinearObserver& observer) {
  const LayerWeights& lw = weights_.layers[size_t(layer)];
  const int dim = config_.dim, kv_dim = config_.kv_dim(), hd = config_.head_dim();
  const int n_heads = config_.n_heads, group = config_.n_heads / config_.n_kv_heads;
  if (observer) observer(layer, LinearInput::kAttention, xb_.data(), n, dim);
  kernels::MatMul(lw.wq, xb_.data(), n, q_.data(), pool_);
  kernels::MatMul(lw.wk, xb_.data(), n, k_.data(), pool_);
  kernels::MatMul(lw.wv, xb_.data(), n, v_.data(), pool_);
  for (int t = 0; t < n; ++t) {
    rope_.Apply(&q_[size_t(t) * size_t(dim)], n_heads, pos + t);
    rope_.Apply(&k_[size_t(t) * size_t(kv_dim)], config_.n_kv_heads, pos + t);
    std::copy_n(&k_[size_t(t) * size_t(kv_dim)], kv_dim, cache.K(cache_layer, pos + t));
    std::copy_n(&v_[size_t(t) * size_t(kv_dim)], kv_dim, cache.V(cache_layer, pos + t));
  }
  const float scale = 1.0f / std::sqrt(float(hd));
  // One task per (head, token), head-major: a causal token's work grows with its position, so
  // contiguous thread ranges over tokens would be unbalanced; over heads they are even. Each task
  // writes its own slice of att_ in a fixed order, so the split changes no result.
  pool_.ParallelFor(int64_t(n) * n_heads, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores;
    scores.resize(size_t(pos + n));
    for (int64_t task = begin; task < end; ++task) {
      const int h = int(task / n), t = int(task % n);
      const int kv_off = (h / group) * hd;
      kernels::AttendHead(
          &q_[size_t(t) * size_t(dim) + size_t(h) * size_t(hd)], cache.K(cache_layer, 0) + kv_off,
          cache.V(cache_layer, 0) + kv_off, kv_dim, pos + t + 1,  // causal: positions 0 .. pos + t
          hd, scale, scores.data(), &att_[size_t(t) * size_t(dim) + size_t(h) * size_t(hd)]);
    }
  });
  if (observer) observer(layer, LinearInput::kAttentionOutput, att_.data(), n, dim);
  kernels::MatMul(lw.wo, att_.data(), n, xb_.data(), pool_);
  for (size_t i = 0; i < size_t(n) * size_t(dim); ++i) x_[i] += xb_[i];
}

void LlamaModel::FeedForward(int layer, int n, const LinearObserver& observer) {
  const LayerWeights& lw = weights_.layers[size_t(layer)];
  const int dim = config_.dim, hidden = config_.hidden_dim;
  for (int t = 0; t < n; ++t)
    kernels::RmsNorm(&x_[size_t(t) * size_t(dim)], lw.ffn_norm.data(), dim, config_.norm_eps,
                     &xb_[size_t(t) * size_t(dim)]);
  if (observer) observer(layer, LinearInput::kFeedForward, xb_.data(), n, dim);
  kernels::MatMul(lw.w_gate, xb_.data(), n, gate_.data(), pool_);
  kernels::MatMul(lw.w_up, xb_.data(), n, up_.data(), pool_);
  kernels::SwiGlu(gate_.data(), up_.data(), int64_t(n) * hidden, gate_.data());
  if (observer) observer(layer, LinearInput::kFeedForwardDown, gate_.data(), n, hidden);
  kernels::MatMul(lw.w_down, gate_.data(), n, xb_.data(), pool_);
  for (size_t i = 0; i < size_t(n) * size_t(dim); ++i) x_[i] += xb_[i];
}

}  // namespace qforge::model
