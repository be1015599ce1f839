// GGUF -> Checkpoint: llama hyperparameters, tensor views into the map, embedded vocabulary.
#include "qforge/io/gguf_checkpoint.h"

#include <fmt/format.h>

#include <limits>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"

namespace qforge::io {
namespace {

// Large enough for any real model, small enough that products of two fields fit in int64.
constexpr int64_t kMaxDim = int64_t(1) << 24;

int ReadIntField(const GgufFile& f, const std::string& key, int64_t max) {
  const int64_t v = f.GetI64(key);
  if (v <= 0 || v > max)
    Fail(ErrorKind::kInvalidInput, "{}: {} = {} is out of range (1 to {})", f.path(), key, v, max);
  return int(v);
}

int64_t VocabRows(const GgufFile& f, const std::vector<TensorView>& tensors) {
  for (const TensorView& t : tensors)
    if (t.name == kTokenEmbeddingName && t.shape.size() == 2) return t.shape[0];
  if (const GgufValue* tokens = f.Find("tokenizer.ggml.tokens"))
    return int64_t(tokens->ToArray(f.Where("tokenizer.ggml.tokens")).items.size());
  if (f.Has("llama.vocab_size")) return f.GetI64("llama.vocab_size");
  Fail(ErrorKind::kInvalidInput,
       "{}: cannot tell the vocabulary size (no token_embd.weight, no tokens)", f.path());
}

ModelConfig ReadConfig(const GgufFile& f, const std::vector<TensorView>& tensors) {
  const std::string arch = f.GetString("general.architecture");
  if (arch != "llama")
    Fail(ErrorKind::kUnsupported, "{}: architecture '{}' is not supported (only 'llama')", f.path(),
         arch);
  ModelConfig c;
  c.architecture = arch;
  c.dim = ReadIntField(f, "llama.embedding_length", kMaxDim);
  c.hidden_dim = ReadIntField(f, "llama.feed_forward_length", kMaxDim);
  c.n_layers = ReadIntField(f, "llama.block_count", kMaxDim);
  c.n_heads = ReadIntField(f, "llama.attention.head_count", kMaxDim);
  c.n_kv_heads = f.Has("llama.attention.head_count_kv")
                     ? ReadIntField(f, "llama.attention.head_count_kv", kMaxDim)
                     : c.n_heads;
  c.max_seq_len = ReadIntField(f, "llama.context_length", std::numeric_limits<int32_t>::max());
  c.norm_eps = f.GetF32("llama.attention.layer_norm_rms_epsilon");
  c.rope_theta = f.Has("llama.rope.freq_base") ? f.GetF32("llama.rope.freq_base") : 10000.0f;
  c.rope_style = RopeStyle::kAdjacentPairs;
  const int64_t vocab = VocabRows(f, tensors);
  if (vocab <= 0 || vocab > kMaxDim)
    Fail(ErrorKind::kInvalidInput, "{}: vocabulary size {} is out of range", f.path(), vocab);
  c.vocab_size = int(vocab);
  if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 || c.head_dim() % 2 != 0)
    Fail(ErrorKind::kInvalidInput,
         "{}: inconsistent attention shape: dim {} with {} heads and {} kv heads", f.path(), c.dim,
         c.n_heads, c.n_kv_heads);
  c.tied_embeddings = true;
  for (const TensorView& t : tensors)
    if (t.name == kOutputName) c.tied_embeddings = false;
  return c;
}

// A special-token id, or -1 when the file stores "none" (e.g. u32 max) or an id outside the vocab.
int ReadTokenId(const GgufFile& f, const std::string& key, size_t n_tokens, int fallback) {
  if (!f.Has(key)) return fallback;
  const int64_t id = f.GetI64(key);
  return id >= 0 && uint64_t(id) < n_tokens ? int(id) : -1;
}

std::vector<TokenType> ReadTokenTypes(const GgufFile& f, size_t n_tokens) {
  const std::string key = "tokenizer.ggml.token_type";
  if (!f.Has(key)) return std::vector<TokenType>(n_tokens, TokenType::kNormal);
  std::vector<TokenType> types;
  for (int32_t t : f.GetI32Array(key)) {
    if (t < 0 || t > int32_t(TokenType::kByte))
      Fail(ErrorKind::kInvalidInput, "{}: {} has invalid token type {}", f.path(), key, t);
    types.push_back(TokenType(t));
  }
  return types;
}

std::optional<Vocab> ReadVocab(const GgufFile& f) {
  if (!f.Has("tokenizer.ggml.model")) return std::nullopt;
  const std::string& model = f.GetString("tokenizer.ggml.model");
  Vocab v;
  if (model == "llama") {
    v.kind = VocabKind::kSentencePiece;
  } else if (model == "gpt2") {
    v.kind = VocabKind::kGpt2Bpe;
    v.add_bos = false;  // llama.cpp's defaults for BPE vocabularies
    v.add_space_prefix = false;
    v.unk_id = -1;
  } else {
    return std::nullopt;  // a tokenizer qforge does not implement: weights still load
  }
  v.tokens = f.GetStringArray("tokenizer.ggml.tokens");
  const size_t n = v.tokens.size();
  v.scores = f.Has("tokenizer.ggml.scores") ? f.GetF32Array("tokenizer.ggml.scores")
                                            : std::vector<float>(n, 0.0f);
  v.types = ReadTokenTypes(f, n);
  if (v.scores.size() != n || v.types.size() != n)
    Fail(ErrorKind::kInvalidInput, "{}: {} tokens but {} scores and {} token types", f.path(), n,
         v.scores.size(), v.types.size());
  if (f.Has("tokenizer.ggml.merges")) v.merges = f.GetStringArray("tokenizer.ggml.merges");
  v.bos_id = ReadTokenId(f, "tokenizer.ggml.bos_token_id", n, v.bos_id);
  v.eos_id = ReadTokenId(f, "tokenizer.ggml.eos_token_id", n, v.eos_id);
  v.unk_id = ReadTokenId(f, "tokenizer.ggml.unknown_token_id", n, v.unk_id);
  v.pad_id = ReadTokenId(f, "tokenizer.ggml.padding_token_id", n, v.pad_id);
  if (f.Has("tokenizer.ggml.add_bos_token")) v.add_bos = f.GetBool("tokenizer.ggml.add_bos_token");
  if (f.Has("tokenizer.ggml.add_space_prefix"))
    v.add_space_prefix = f.GetBool("tokenizer.ggml.add_space_prefix");
  return v;
}

}  // namespace

Checkpoint GgufToCheckpoint(const GgufFile& file, std::span<const std::byte> bytes) {
  Checkpoint ckpt;
  ckpt.path = file.path();
  ckpt.format = "gguf";
  for (const GgufTensorInfo& info : file.tensors()) {
    QF_CHECK(info.offset + info.nbytes <= bytes.size());  // GgufFile::Parse checked it
    ckpt.tensors.push_back(TensorView{info.name, info.type, info.shape, bytes.data() + info.offset,
                                      size_t(info.nbytes)});
  }
  ckpt.config = ReadConfig(file, ckpt.tensors);
  ckpt.vocab = ReadVocab(file);
  for (const auto& [key, value] : file.kvs()) ckpt.metadata[key] = value.Printable();
  return ckpt;
}

Checkpoint LoadGgufCheckpoint(const std::string& path) {
  auto map = MappedFile::OpenWeights(path);
  const GgufFile file = GgufFile::Parse(map->bytes(), path);
  Checkpoint ckpt = GgufToCheckpoint(file, map->bytes());
  ckpt.storage.push_back(map);
  return ckpt;
}

}  // namespace qforge::io
