// Published Llama configs (the models' config.json: hidden_size, intermediate_size,
// num_hidden_layers, num_attention_heads, num_key_value_heads, vocab_size, max_position_embeddings,
// tie_word_embeddings). `--params 7B` picks the row whose nominal size is "7B".
#include "qforge/plan/memory_estimate.h"

namespace qforge::plan {

const std::vector<KnownShape>& KnownShapes() {
  // name, nominal, dim, hidden, layers, heads, kv heads, vocab, context, tied
  static const std::vector<KnownShape> kShapes = {
      {"Llama-3.2-1B", "1B", 2048, 8192, 16, 32, 8, 128256, 131072, true},
      {"TinyLlama-1.1B", "1.1B", 2048, 5632, 22, 32, 4, 32000, 2048, false},
      {"Llama-3.2-3B", "3B", 3072, 8192, 28, 24, 8, 128256, 131072, true},
      {"Llama-2-7B", "7B", 4096, 11008, 32, 32, 32, 32000, 4096, false},
      {"Llama-3-8B", "8B", 4096, 14336, 32, 32, 8, 128256, 8192, false},
      {"Llama-2-13B", "13B", 5120, 13824, 40, 40, 40, 32000, 4096, false},
      // Both 70B models have this body; "70B" means the newer one (Llama 3's 128K vocabulary).
      {"Llama-2-70B", "", 8192, 28672, 80, 64, 8, 32000, 4096, false},
      {"Llama-3-70B", "70B", 8192, 28672, 80, 64, 8, 128256, 8192, false},
      {"Llama-3.1-405B", "405B", 16384, 53248, 126, 128, 8, 128256, 131072, false},
  };
  return kShapes;
}

}  // namespace qforge::plan
