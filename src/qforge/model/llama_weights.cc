// Binding and validation of Llama weights.
#include "qforge/model/llama_weights.h"

#include "qforge/core/error.h"

namespace qforge::model {
namespace {

const TensorView& Expect(const Checkpoint& ckpt, std::string_view name,
                         std::vector<int64_t> shape) {
  const TensorView& t = ckpt.Get(name);
  if (t.shape != shape)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has shape {} but the config implies {}",
         ckpt.path, name, ShapeString(t.shape), ShapeString(shape));
  if (t.Cols() % Traits(t.type).block_size != 0)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' rows of {} do not fill whole {} blocks",
         ckpt.path, name, t.Cols(), Traits(t.type).name);
  return t;
}

std::vector<float> ExpectVector(const Checkpoint& ckpt, std::string_view name, int64_t n) {
  const TensorView& t = Expect(ckpt, name, {n});
  std::vector<float> v(static_cast<size_t>(n));
  Traits(t.type).dequantize_row(t.data, v.data(), n);
  return v;
}

void CheckConfig(const Checkpoint& ckpt) {
  const ModelConfig& c = ckpt.config;
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 ||
      c.vocab_size <= 0 || c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 ||
      c.head_dim() % 2 != 0)
    Fail(ErrorKind::kInvalidInput,
         "{}: inconsistent model config (dim {}, hidden {}, {} layers, {} heads, {} kv heads, "
         "vocab {})",
         ckpt.path, c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size);
}

}  // namespace

LlamaWeights BindLlamaWeights(const Checkpoint& ckpt) {
  CheckConfig(ckpt);
  const ModelConfig& c = ckpt.config;
  const int64_t dim = c.dim, kv = c.kv_dim(), hidden = c.hidden_dim, vocab = c.vocab_size;
  LlamaWeights w;
  w.token_embedding = Expect(ckpt, kTokenEmbeddingName, {vocab, dim});
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& lw = w.layers.emplace_back();
    lw.attn_norm = ExpectVector(ckpt, LayerTensorName(l, "attn_norm"), dim);
    lw.wq = Expect(ckpt, LayerTensorName(l, "attn_q"), {dim, dim});
    lw.wk = Expect(ckpt, LayerTensorName(l, "attn_k"), {kv, dim});
    lw.wv = Expect(ckpt, LayerTensorName(l, "attn_v"), {kv, dim});
    lw.wo = Expect(ckpt, LayerTensorName(l, "attn_output"), {dim, dim});
    lw.ffn_norm = ExpectVector(ckpt, LayerTensorName(l, "ffn_norm"), dim);
    lw.w_gate = Expect(ckpt, LayerTensorName(l, "ffn_gate"), {hidden, dim});
    lw.w_up = Expect(ckpt, LayerTensorName(l, "ffn_up"), {hidden, dim});
    lw.w_down = Expect(ckpt, LayerTensorName(l, "ffn_down"), {dim, hidden});
  }
  w.output_norm = ExpectVector(ckpt, kOutputNormName, dim);
  w.output = ckpt.Find(kOutputName) ? Expect(ckpt, kOutputName, {vocab, dim}) : w.token_embedding;
  return w;
}

}  // namespace qforge::model
