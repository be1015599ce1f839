// The built-in recipes. The llama.cpp mixes reproduce llama-quantize's per-tensor choices
// (llama-quant.cpp, llama_tensor_get_type) for Llama-family models as data: the classifier gets
// Q6_K (Q8_0 when its rows do not fit 256-blocks), and some layers' attn_v / ffn_down / attn_output
// get more bits. A test checks these plans against the tensor types in llama.cpp's own files.
// Not reproduced: llama.cpp's special cases for 70B (attn_v Q5_K), 8-expert MoE and Falcon.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qforge/quant/recipe.h"

namespace qforge::quant {
namespace {

using L = LayerSelect;

// llama.cpp: the classifier of every quantized mix except Q8_0 is Q6_K, or Q8_0 if rows do not
// divide into 256-blocks.
Rule Classifier() { return {"@output", "Q6_K", L::kAll, 0, 0, "Q8_0"}; }
Rule AttnV(const char* type, L layers = L::kAll, int arg = 0, int min_gqa = 0) {
  return {"blk.*.attn_v.weight", type, layers, arg, min_gqa, ""};
}
Rule FfnDown(const char* type, L layers = L::kAll, int arg = 0) {
  return {"blk.*.ffn_down.weight", type, layers, arg, 0, ""};
}
Rule AttnOutput(const char* type) { return {"blk.*.attn_output.weight", type, L::kAll, 0, 0, ""}; }
// Hugging Face-style checkpoints (GPTQ, AWQ, bitsandbytes, FP8) keep embedding and head in 16 bits.
std::vector<Rule> KeepEmbeddingAndHead() {
  return {{"token_embd.weight", "F16", L::kAll, 0, 0, ""},
          {"output.weight", "F16", L::kAll, 0, 0, ""}};
}

Recipe Uniform(const char* name, const char* type, const char* description, int ftype) {
  return {name, description, type, {}, ftype, ""};
}
Recipe Mix(const char* name, const char* type, const char* description, int ftype,
           std::vector<Rule> rules) {
  rules.insert(rules.begin(), Classifier());
  return {name, description, type, std::move(rules), ftype, ""};
}
Recipe HfStyle(const char* name, const char* type, const char* description) {
  return {name, description, type, KeepEmbeddingAndHead(), -1, ""};
}
// Every linear layer; the embedding and the classifier stay as stored, as llm-compressor's
// SmoothQuant W8A8 recipes (ignore lm_head) and bitsandbytes' load_in_8bit (nn.Linear only,
// lm_head skipped) leave them.
Recipe LinearLayers(const char* name, const char* type, const char* description) {
  std::vector<Rule> keep = {{"token_embd.weight", "keep", L::kAll, 0, 0, ""},
                            {"@output", "keep", L::kAll, 0, 0, ""}};
  return {name, description, type, std::move(keep), -1, ""};
}

// Measured cost on the test-bed model (../shared/models/testbed, 3.3M parameters) against its f32
// weights: bits per weight of the whole model, mean KL divergence and same-top-token rate over
// heldout.txt, 20 chunks of 256 tokens
// (`qforge eval testbed.bin --baseline testbed.bin -r NAME --text heldout.txt -c 256 --chunks 20`).
constexpr std::pair<std::string_view, std::string_view> kMeasured[] = {
    {"f16", "16.01 bpw, KLD 0, top-1 100.0%"},
    {"bf16", "16.01 bpw, KLD 6e-06, top-1 99.8%"},
    {"int8", "8.44 bpw, KLD 6.7e-05, top-1 99.4%"},
    {"w8a8", "9.08 bpw, KLD 0.00062, top-1 98.4%"},
    {"llm-int8", "9.08 bpw, KLD 0.00044, top-1 98.7%, 1.5% outlier columns"},
    {"fp8-e4m3", "8.44 bpw, KLD 0.00089, top-1 98.2%"},
    {"fp8-e5m2", "8.44 bpw, KLD 0.0033, top-1 96.7%"},
    {"Q8_0", "8.52 bpw, KLD 0.00016, top-1 99.1%"},
    {"Q6_K", "6.58 bpw, KLD 0.001, top-1 98.1%"},
    {"Q5_K_M", "5.71 bpw, KLD 0.0021, top-1 97.2%"},
    {"Q5_K_S", "5.56 bpw, KLD 0.0022, top-1 96.6%"},
    {"Q5_1", "6.04 bpw, KLD 0.0022, top-1 97.0%"},
    {"Q5_0", "5.56 bpw, KLD 0.0027, top-1 97.2%"},
    {"Q4_K_M", "4.89 bpw, KLD 0.0062, top-1 95.9%"},
    {"Q4_K_S", "4.64 bpw, KLD 0.006, top-1 95.6%"},
    {"Q4_1", "5.08 bpw, KLD 0.0082, top-1 94.3%"},
    {"IQ4_NL", "4.60 bpw, KLD 0.0075, top-1 95.0%"},
    {"Q4_0", "4.60 bpw, KLD 0.0097, top-1 94.6%"},
    {"nf4", "4.98 bpw, KLD 0.011, top-1 93.4%"},
    {"nf4-dq", "4.98 bpw, KLD 0.011, top-1 93.5%"},
    {"int4-g128-asym", "4.68 bpw, KLD 0.013, top-1 93.3%"},
    {"int4-g128", "4.62 bpw, KLD 0.016, top-1 92.0%"},
    {"int4-g32", "4.98 bpw, KLD 0.011, top-1 93.8%"},
    {"Q3_K_L", "4.32 bpw, KLD 0.014, top-1 93.2%"},
    {"Q3_K_M", "3.98 bpw, KLD 0.016, top-1 92.5%"},
    {"Q3_K_S", "3.58 bpw, KLD 0.029, top-1 89.7%"},
    {"Q2_K", "3.10 bpw, KLD 0.067, top-1 85.4%"},
};

std::vector<Recipe> WithMeasuredCost(std::vector<Recipe> presets) {
  for (Recipe& r : presets)
    for (const auto& [name, cost] : kMeasured)
      if (r.name == name) r.measured = std::string(cost);
  return presets;
}

Recipe WithMethod(Recipe recipe, Method method) {
  recipe.method.method = method;
  return recipe;
}

std::vector<Recipe> MakePresets() {
  return WithMeasuredCost({
      Uniform("f32", "F32", "32-bit float, the reference", 0),
      Uniform("f16", "F16", "IEEE half precision", 1),
      Uniform("bf16", "BF16", "bfloat16", 32),
      HfStyle("int8", "INT8", "int8 per output channel, symmetric (weight-only)"),
      LinearLayers("w8a8", "W8A8", "int8 weights x int8 activations per token, int32 sums"),
      LinearLayers("llm-int8", "LLM_INT8",
                   "LLM.int8(): int8 x int8, input columns with |x| >= 6 in f32"),
      HfStyle("int4-g128", "INT4_G128", "int4 in groups of 128, symmetric (RTN)"),
      HfStyle("int4-g128-asym", "INT4_G128_Z", "int4 in groups of 128 with zero points (RTN)"),
      HfStyle("int4-g32", "INT4_G32", "int4 in groups of 32, symmetric (RTN)"),
      HfStyle("nf4", "NF4", "bitsandbytes NormalFloat4, blocks of 64"),
      HfStyle("nf4-dq", "NF4_DQ", "NF4 with double-quantized block scales"),
      HfStyle("fp8-e4m3", "FP8_E4M3", "float8 e4m3fn, per-channel scales"),
      HfStyle("fp8-e5m2", "FP8_E5M2", "float8 e5m2, per-channel scales"),
      WithMethod(HfStyle("gptq-w4g128", "INT4_G128", "GPTQ int4, groups of 128, symmetric (--calib)"),
                 Method::kGptq),
      WithMethod(HfStyle("awq-w4g128", "INT4_G128_Z", "AWQ int4, groups of 128 with zero points (--calib)"),
                 Method::kAwq),
      WithMethod(Mix("gptq-q4_0", "Q4_0", "GPTQ onto ggml Q4_0 blocks: runs in llama.cpp (--calib)", 2, {}),
                 Method::kGptq),
      WithMethod(HfStyle("w8a8-smoothquant", "W8A8", "SmoothQuant alpha 0.5, int8 weights and activations (--calib)"),
                 Method::kSmoothQuant),
      Uniform("Q8_0", "Q8_0", "ggml 8-bit blocks of 32", 7),
      Mix("Q6_K", "Q6_K", "ggml 6-bit k-quant", 18, {}),
      Mix("Q5_K_M", "Q5_K", "ggml 5-bit k-quant mix, some attn_v/ffn_down Q6_K", 17,
          {AttnV("Q6_K", L::kMoreBits), FfnDown("Q6_K", L::kMoreBits)}),
      Mix("Q5_K_S", "Q5_K", "ggml 5-bit k-quant", 16, {}),
      Mix("Q5_1", "Q5_1", "ggml legacy 5-bit with min", 9, {}),
      Mix("Q5_0", "Q5_0", "ggml legacy 5-bit", 8, {}),
      Mix("Q4_K_M", "Q4_K", "ggml 4-bit k-quant mix, some attn_v/ffn_down Q6_K", 15,
          {AttnV("Q6_K", L::kMoreBits), FfnDown("Q6_K", L::kMoreBits)}),
      Mix("Q4_K_S", "Q4_K", "ggml 4-bit k-quant, first layers' attn_v/ffn_down Q5_K", 14,
          {AttnV("Q5_K", L::kBelow, 4), FfnDown("Q5_K", L::kFraction, 8)}),
      Mix("Q4_1", "Q4_1", "ggml legacy 4-bit with min", 3, {}),
      Mix("IQ4_NL", "IQ4_NL", "ggml 4-bit non-linear grid", 25,
          {AttnV("Q5_K", L::kAll, 0, 4), FfnDown("Q5_K", L::kFraction, 8)}),
      Mix("Q4_0", "Q4_0", "ggml legacy 4-bit", 2, {}),
      Mix("Q3_K_L", "Q3_K", "ggml 3-bit k-quant mix, attn_v/ffn_down/attn_output Q5_K", 13,
          {AttnV("Q5_K"), FfnDown("Q5_K"), AttnOutput("Q5_K")}),
      Mix("Q3_K_M", "Q3_K", "ggml 3-bit k-quant mix, attn_v/ffn_down/attn_output Q4_K+", 12,
          {AttnV("Q5_K", L::kBelow, 2), AttnV("Q4_K"), FfnDown("Q5_K", L::kFraction, 16),
           FfnDown("Q4_K"), AttnOutput("Q4_K")}),
      Mix("Q3_K_S", "Q3_K", "ggml 3-bit k-quant", 11, {}),
      Mix("Q2_K", "Q2_K", "ggml 2-bit k-quant mix, attn_v/ffn_down/attn_output Q3_K+", 10,
          {AttnV("Q4_K", L::kAll, 0, 4), AttnV("Q3_K"), FfnDown("Q3_K"), AttnOutput("Q3_K")}),
  });
}

}  // namespace

const std::vector<Recipe>& Presets() {
  static const std::vector<Recipe> presets = MakePresets();
  return presets;
}

}  // namespace qforge::quant
