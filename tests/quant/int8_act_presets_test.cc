// The w8a8 and llm-int8 presets on the test-bed model: every linear layer gets W8A8 / LLM_INT8,
// the embedding (also the tied classifier) stays as stored, and the quantized model runs through
// the int8-activation products (kernels/matmul_int8_act.h) with logits near the f32 model's;
// LLM.int8() counts the columns it sees.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "qforge/io/load_checkpoint.h"
#include "qforge/kernels/matmul_int8_act.h"
#include "qforge/model/llama_model.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/quant/recipe.h"
#include "support/paths.h"

namespace qforge::quant {
namespace {

TEST(Int8ActPresets, PlanAndRunOnTheTestBed) {
  const Checkpoint src = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  ThreadPool pool(2);
  model::LlamaModel base(src, pool, 64);
  const std::vector<int> tokens = {1, 72, 101, 108, 108, 111};
  const int64_t vocab = src.config.vocab_size;
  std::vector<float> a(size_t(vocab) * tokens.size());
  model::KvCache ca = base.NewCache();
  base.Forward(tokens, 0, ca, 0, a.data());
  for (const auto& [name, type] :
       {std::pair{"w8a8", QType::kW8A8}, std::pair{"llm-int8", QType::kLLM_INT8}}) {
    const Recipe recipe = LoadRecipe(name);
    int linear = 0;
    for (const TensorChoice& c : PlanRecipe(recipe, src)) {
      if (c.name == "token_embd.weight") {
        EXPECT_EQ(c.type, c.source) << name;
      } else if (c.quantized) {
        EXPECT_EQ(c.type, type) << name << " " << c.name;
        ++linear;
      }
    }
    EXPECT_EQ(linear, 7 * src.config.n_layers) << name;  // q, k, v, o, gate, up, down
    const QuantizedModel q = QuantizeCheckpoint(src, recipe, pool);
    kernels::ResetLlmInt8Counters();
    model::LlamaModel quant(q.checkpoint, pool, 64);
    std::vector<float> b(a.size());
    model::KvCache cb = quant.NewCache();
    quant.Forward(tokens, 0, cb, 0, b.data());
    // 8-bit weights and activations keep logits close (a loose sanity bound like Q8_0's in
    // quantize_model_test; the presets' measured KLD is the precise comparison).
    double max_diff = 0;
    for (size_t i = 0; i < a.size(); ++i)
      max_diff = std::max(max_diff, double(std::fabs(a[i] - b[i])));
    EXPECT_LT(max_diff, 0.5) << name;
    EXPECT_GT(max_diff, 0.0) << name;
    const kernels::LlmInt8Counters counts = kernels::GetLlmInt8Counters();
    if (type == QType::kLLM_INT8) {
      EXPECT_GT(counts.columns, 0);
      EXPECT_LE(counts.outlier_columns, counts.columns);
    } else {
      EXPECT_EQ(counts.columns, 0);
    }
  }
}

}  // namespace
}  // namespace qforge::quant
