// llama2.c checkpoint reader: validates the header against the file size, then slices the
// per-kind arrays (all layers' wq, then all layers' wk, ...) into per-layer tensor views.
#include "qforge/io/llama2c_checkpoint.h"

#include <array>
#include <cstdint>

#include "qforge/core/error.h"
#include "qforge/io/byte_reader.h"
#include "qforge/io/mapped_file.h"

namespace qforge::io {
namespace {

struct Header {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};
constexpr size_t kHeaderBytes = 7 * sizeof(int32_t);
// Far above any real model, low enough that products of two fields cannot overflow int64.
constexpr int64_t kMaxField = int64_t(1) << 24;

ModelConfig ValidateHeader(const Header& h, const std::string& path) {
  const std::array<std::pair<const char*, int64_t>, 7> fields = {
      {{"dim", h.dim},
       {"hidden_dim", h.hidden_dim},
       {"n_layers", h.n_layers},
       {"n_heads", h.n_heads},
       {"n_kv_heads", h.n_kv_heads},
       {"vocab_size", h.vocab_size < 0 ? -int64_t(h.vocab_size) : h.vocab_size},
       {"seq_len", h.seq_len}}};
  for (const auto& [name, value] : fields)
    if (value <= 0 || value > kMaxField)
      Fail(ErrorKind::kInvalidInput,
           "{}: not a llama2.c checkpoint: header field {} = {} is out of range", path, name,
           value);
  if (h.dim % h.n_heads != 0 || h.n_heads % h.n_kv_heads != 0 || (h.dim / h.n_heads) % 2 != 0)
    Fail(ErrorKind::kInvalidInput,
         "{}: inconsistent llama2.c header: dim {} with {} heads and {} kv heads", path, h.dim,
         h.n_heads, h.n_kv_heads);
  ModelConfig c;
  c.dim = h.dim;
  c.hidden_dim = h.hidden_dim;
  c.n_layers = h.n_layers;
  c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads;
  c.vocab_size = h.vocab_size < 0 ? -h.vocab_size : h.vocab_size;
  c.max_seq_len = h.seq_len;
  c.tied_embeddings = h.vocab_size > 0;
  c.rope_style = RopeStyle::kAdjacentPairs;
  return c;
}

}  // namespace

Checkpoint LoadLlama2cCheckpoint(const std::string& path) {
  auto file = MappedFile::OpenWeights(path);
  ByteReader reader(file->bytes(), path);
  reader.Require(kHeaderBytes, "llama2.c header");
  if (file->size() >= 4 && reader.Read<uint32_t>("magic") == 0x616b3432)  // "ak42"
    Fail(
        ErrorKind::kUnsupported,
        "{}: llama2.c export versions 1 and 2 are not supported; use the legacy (version 0) export",
        path);
  reader = ByteReader(file->bytes(), path);
  Header h{};
  h.dim = reader.Read<int32_t>("dim");
  h.hidden_dim = reader.Read<int32_t>("hidden_dim");
  h.n_layers = reader.Read<int32_t>("n_layers");
  h.n_heads = reader.Read<int32_t>("n_heads");
  h.n_kv_heads = reader.Read<int32_t>("n_kv_heads");
  h.vocab_size = reader.Read<int32_t>("vocab_size");
  h.seq_len = reader.Read<int32_t>("seq_len");

  Checkpoint ckpt;
  ckpt.path = path;
  ckpt.format = "llama2.c";
  ckpt.config = ValidateHeader(h, path);
  const ModelConfig& c = ckpt.config;
  const int64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, kv_dim = c.kv_dim(),
                vocab = c.vocab_size;
  const int64_t half_head = c.head_dim() / 2;

  // Element counts of the arrays in file order. All fields are < 2^24, so no product overflows.
  const int64_t expected_floats =
      vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * dim * kv_dim + 3 * dim * hidden) + dim +
      2 * int64_t(c.max_seq_len) * half_head + (c.tied_embeddings ? 0 : vocab * dim);
  const uint64_t expected_bytes = kHeaderBytes + uint64_t(expected_floats) * 4;
  if (file->size() != expected_bytes)
    Fail(ErrorKind::kInvalidInput,
         "{}: file is {} bytes but its llama2.c header (dim {}, hidden {}, {} layers, vocab {}) "
         "implies {}",
         path, file->size(), dim, hidden, layers, vocab, expected_bytes);

  auto take = [&](std::string name, std::vector<int64_t> shape) {
    TensorView t;
    t.name = std::move(name);
    t.type = QType::kF32;
    t.shape = std::move(shape);
    t.nbytes = size_t(t.NumElements()) * 4;
    t.data = reader.ReadBytes(t.nbytes, t.name).data();
    ckpt.tensors.push_back(std::move(t));
  };
  auto take_layers = [&](std::string_view what, std::vector<int64_t> shape) {
    for (int l = 0; l < c.n_layers; ++l) take(LayerTensorName(l, what), shape);
  };
  take(std::string(kTokenEmbeddingName), {vocab, dim});
  take_layers("attn_norm", {dim});
  take_layers("attn_q", {dim, dim});
  take_layers("attn_k", {kv_dim, dim});
  take_layers("attn_v", {kv_dim, dim});
  take_layers("attn_output", {dim, dim});
  take_layers("ffn_norm", {dim});
  take_layers("ffn_gate", {hidden, dim});
  take_layers("ffn_down", {dim, hidden});
  take_layers("ffn_up", {hidden, dim});
  take(std::string(kOutputNormName), {dim});
  // Precomputed RoPE tables that llama2.c's old exporter still writes; the forward pass computes
  // its own, so they are skipped rather than exposed as tensors.
  reader.Skip(uint64_t(2 * c.max_seq_len * half_head) * 4, "freq_cis tables");
  if (!c.tied_embeddings) take(std::string(kOutputName), {vocab, dim});

  ckpt.metadata["llama2c.header"] = fmt::format(
      "dim={} hidden_dim={} n_layers={} n_heads={} n_kv_heads={} vocab_size={} seq_len={}", h.dim,
      h.hidden_dim, h.n_layers, h.n_heads, h.n_kv_heads, h.vocab_size, h.seq_len);
  ckpt.storage.push_back(file);
  return ckpt;
}

}  // namespace qforge::io
