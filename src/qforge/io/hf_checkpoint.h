// Reader for Hugging Face Llama checkpoints: a directory (or its config.json / model.safetensors)
// holding config.json and model.safetensors, or shards listed in model.safetensors.index.json.
#pragma once

#include <string>

#include "qforge/core/checkpoint.h"

namespace qforge::io {

// Tensor names are translated to GGUF names; rope_style is kRotateHalf because transformers
// permutes the q/k rows for its rotate-half RoPE (the forward pass applies the matching rotation,
// and the GGUF writer permutes them back).
Checkpoint LoadHfCheckpoint(const std::string& path);

// The config.json fields of a LlamaForCausalLM, checked for consistency.
ModelConfig ParseHfConfig(const std::string& json_text, const std::string& path);

}  // namespace qforge::io
