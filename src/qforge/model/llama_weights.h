// The weights of a Llama-family model bound by name from a Checkpoint, with every shape checked
// against the config. Matrices stay views into the checkpoint (no copy); the small norm vectors
// are converted to f32 once.
#pragma once

#include <vector>

#include "qforge/core/checkpoint.h"

namespace qforge::model {

struct LayerWeights {
  std::vector<float> attn_norm;  // [dim]
  TensorView wq, wk, wv, wo;     // [dim, dim], [kv_dim, dim], [kv_dim, dim], [dim, dim]
  std::vector<float> ffn_norm;   // [dim]
  TensorView w_gate, w_up;       // [hidden, dim]
  TensorView w_down;             // [dim, hidden]
};

struct LlamaWeights {
  TensorView token_embedding;  // [vocab, dim]
  std::vector<LayerWeights> layers;
  std::vector<float> output_norm;  // [dim]
  TensorView output;               // [vocab, dim]; the embedding itself when tied
};

// Throws Error{kInvalidInput} naming the file and tensor when a tensor is missing or its shape
// or type does not match the config.
LlamaWeights BindLlamaWeights(const Checkpoint& ckpt);

}  // namespace qforge::model
