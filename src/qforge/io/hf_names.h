// Tensor names of Hugging Face Llama checkpoints (transformers' LlamaForCausalLM state dict) and
// their GGUF counterparts, in both directions, so readers and exporters share one table.
#pragma once

#include <optional>
#include <string>

namespace qforge::io {

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; nullopt for tensors the
// forward pass does not use (rotary_emb.inv_freq, ...).
std::optional<std::string> GgufNameFromHf(const std::string& hf);
// The inverse: "blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight"; nullopt for a
// name outside the Llama family's table.
std::optional<std::string> HfNameFromGguf(const std::string& gguf);

}  // namespace qforge::io
