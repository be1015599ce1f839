// What a model reader produces: the architecture, the named weights and, when the file embeds one,
// the vocabulary. Readers in io/ build it, the model/ layer binds it, the tokenizer/ layer reads
// the vocabulary.
//
// Tensor names follow GGUF / llama.cpp ("token_embd.weight", "blk.3.attn_q.weight", ...), whatever
// the source format; readers translate. Tensor data is borrowed from `storage` (memory maps or
// buffers), which the checkpoint keeps alive.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/core/tensor.h"

namespace qforge {

// How RoPE pairs the dimensions of a head.
enum class RopeStyle {
  kAdjacentPairs,  // (2i, 2i+1): llama2.c, GGUF "llama", Meta's original Llama
  kRotateHalf,     // (i, i + d/2): Hugging Face transformers (q/k rows permuted on conversion)
};

struct ModelConfig {
  std::string architecture = "llama";
  int dim = 0;         // hidden size
  int hidden_dim = 0;  // feed-forward size
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // grouped-query attention when < n_heads
  int vocab_size = 0;
  int max_seq_len = 0;  // training context length
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  bool tied_embeddings = false;  // classifier shares token_embd.weight

  int head_dim() const { return n_heads > 0 ? dim / n_heads : 0; }
  int kv_dim() const { return n_kv_heads * head_dim(); }
};

// GGUF's tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class VocabKind {
  kSentencePiece,  // GGUF tokenizer.ggml.model "llama": pieces with scores, "▁" for space, <0xXX>
                   // bytes
  kGpt2Bpe,        // GGUF "gpt2": byte-level BPE with merges
};

struct Vocab {
  VocabKind kind = VocabKind::kSentencePiece;
  std::vector<std::string> tokens;
  std::vector<float> scores;  // SentencePiece: merge priority (higher merges first)
  std::vector<TokenType> types;
  std::vector<std::string> merges;  // BPE: "left right", highest priority first
  int bos_id = 1;
  int eos_id = 2;
  int unk_id = 0;
  int pad_id = -1;
  bool add_bos = true;
  bool add_space_prefix = true;  // SentencePiece's add_dummy_prefix
};

struct Checkpoint {
  std::string path;
  std::string format;  // "gguf", "llama2.c", "safetensors"
  ModelConfig config;
  std::vector<TensorView> tensors;
  std::optional<Vocab> vocab;                        // embedded vocabulary, if the file has one
  std::map<std::string, std::string> metadata;       // printable key/values (inspect)
  std::vector<std::shared_ptr<const void>> storage;  // owners of the tensor bytes

  const TensorView* Find(std::string_view name) const;
  // Throws kInvalidInput naming the file when the tensor is missing.
  const TensorView& Get(std::string_view name) const;
  uint64_t WeightBytes() const;
  int64_t ParameterCount() const;
};

// GGUF tensor names of the Llama family.
std::string LayerTensorName(int layer,
                            std::string_view what);  // ("attn_q") -> "blk.0.attn_q.weight"
inline constexpr std::string_view kTokenEmbeddingName = "token_embd.weight";
inline constexpr std::string_view kOutputNormName = "output_norm.weight";
inline constexpr std::string_view kOutputName = "output.weight";

}  // namespace qforge
