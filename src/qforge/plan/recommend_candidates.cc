// The candidate table and its weight arithmetic.
#include "qforge/plan/recommend_candidates.h"

#include <cmath>
#include <limits>

#include "qforge/core/error.h"
#include "qforge/quant/recipe.h"

namespace qforge::plan {
namespace {
using F = Feature;

// Published costs: llama-quantize's own table (tools/quantize/quantize.cpp, "+x ppl @
// Llama-3-8B", wikitext-2); test-bed numbers: README "Calibrated methods" (f32 baseline, KLD).
const std::vector<Candidate> kCandidates = {
    {"bf16",
     "bf16",
     "gguf",
     "bf16 (no quantization)",
     {F::kBf16},
     false,
     {},
     Tier::kLossless,
     "the baseline itself",
     "no quantization: the reference quality (or serve the original)"},
    // vLLM's fp8 checkpoints: float8_e4m3fn weights, one f32 weight_scale per tensor.
    {"fp8-e4m3",
     "fp8-e4m3",
     "fp8",
     "FP8 E4M3 (vLLM fp8)",
     {F::kFp8, F::kHfGpu},
     false,
     {8, 32, 0, -1},
     Tier::kNearLossless,
     "vLLM: minimal accuracy impact, up to 1.6x throughput",
     "FP8 tensor cores: half of bf16's bytes at twice its matmul rate, no calibration"},
    // GPTQ v1 layout at group -1: 8-bit codes, one f16 scale and one 8-bit packed zero per row.
    {"int8",
     "int8",
     "gptq",
     "int8 weight-only per channel (GPTQ 8-bit layout)",
     {F::kInt8, F::kHfGpu},
     false,
     {8, 16, 8, 0},
     Tier::kNearLossless,
     "8 bits per weight, scale per output channel",
     "8-bit weights: half of bf16's memory at near-bf16 quality, no calibration"},
    // ggml Q8_0: 32 int8 + an f16 scale per block = 8.5 bits.
    {"Q8_0",
     "Q8_0",
     "gguf",
     "GGUF Q8_0 (llama.cpp)",
     {F::kGguf},
     false,
     {},
     Tier::kNearLossless,
     "+0.0026 PPL on Llama-3-8B (llama-quantize)",
     "llama.cpp's near-lossless 8-bit blocks"},
    {"Q6_K",
     "Q6_K",
     "gguf",
     "GGUF Q6_K (llama.cpp)",
     {F::kGguf},
     false,
     {},
     Tier::kSmallLoss,
     "+0.0217 PPL on Llama-3-8B (llama-quantize)",
     "6.56-bit k-quant: close to Q8_0, 23% smaller"},
    {"Q5_K_M",
     "Q5_K_M",
     "gguf",
     "GGUF Q5_K_M (llama.cpp)",
     {F::kGguf},
     false,
     {},
     Tier::kSmallLoss,
     "+0.0569 PPL on Llama-3-8B (llama-quantize)",
     "5-bit k-quant mix: small loss, 35% of bf16"},
    // GPTQ v1 and AWQ GEMM at group 128: 4-bit codes + an f16 scale and a 4-bit zero per group
    // (GPTQ stores qzeros even when symmetric) = 4 + 20/128 = 4.156 bits; g_idx (one int32 per
    // input column, < 0.01 bits per weight) is left out.
    {"gptq-w4g128",
     "gptq-w4g128",
     "gptq",
     "GPTQ int4 g128 (vLLM Marlin, transformers)",
     {F::kInt4, F::kHfGpu},
     true,
     {4, 16, 4, 128},
     Tier::kModerate,
     "test bed KLD 0.0072 (RTN int4 g128: 0.016)",
     "int4 with second-order error correction from calibration text: best 4-bit quality"},
    {"awq-w4g128",
     "awq-w4g128",
     "awq",
     "AWQ int4 g128 (vLLM, transformers)",
     {F::kInt4, F::kHfGpu},
     true,
     {4, 16, 4, 128},
     Tier::kModerate,
     "test bed KLD 0.011 (RTN with zero points: 0.013)",
     "int4 with activation-aware scales: robust to the calibration set, fast kernels"},
    {"Q4_K_M",
     "Q4_K_M",
     "gguf",
     "GGUF Q4_K_M (llama.cpp)",
     {F::kGguf},
     false,
     {},
     Tier::kModerate,
     "+0.1754 PPL on Llama-3-8B (llama-quantize)",
     "llama.cpp's recommended 4-bit mix; no calibration (an imatrix helps)"},
    {"int4-g128-asym",
     "int4-g128-asym",
     "awq",
     "int4 g128 RTN with zero points (AWQ layout)",
     {F::kInt4, F::kHfGpu},
     false,
     {4, 16, 4, 128},
     Tier::kModerate,
     "round to nearest, no calibration",
     "int4 for GPU engines without calibration text (round to nearest)"},
    // bitsandbytes NF4: 4-bit codes + one f32 absmax per block of 64 = 4.5 bits.
    {"nf4",
     "nf4",
     "bnb-nf4",
     "NF4 (bitsandbytes, transformers)",
     {F::kBnbNf4},
     false,
     {4, 32, 0, 64},
     Tier::kModerate,
     "QLoRA's NormalFloat4, blocks of 64",
     "4-bit for transformers + bitsandbytes, no calibration"},
    {"Q3_K_M",
     "Q3_K_M",
     "gguf",
     "GGUF Q3_K_M (llama.cpp)",
     {F::kGguf},
     false,
     {},
     Tier::kLarge,
     "+0.6569 PPL on Llama-3-8B (llama-quantize)",
     "3-bit mix: when 4-bit does not fit"},
    {"Q2_K",
     "Q2_K",
     "gguf",
     "GGUF Q2_K (llama.cpp)",
     {F::kGguf},
     false,
     {},
     Tier::kLarge,
     "+3.5199 PPL on Llama-3-8B (llama-quantize)",
     "last resort: large loss"},
};

}  // namespace

std::string_view TierName(Tier tier) {
  switch (tier) {
    case Tier::kLossless:
      return "lossless";
    case Tier::kNearLossless:
      return "near-lossless";
    case Tier::kSmallLoss:
      return "small loss";
    case Tier::kModerate:
      return "moderate loss";
    case Tier::kLarge:
      return "large loss";
  }
  return "?";
}

const std::vector<Candidate>& Candidates() { return kCandidates; }

const Candidate& FindCandidate(std::string_view id) {
  for (const Candidate& c : kCandidates)
    if (c.id == id) return c;
  Fail(ErrorKind::kInternal, "recommend: no candidate '{}'", id);
}

double CandidateWeightBytes(const Candidate& candidate, const Checkpoint& model) {
  const quant::Recipe recipe = quant::LoadRecipe(std::string(candidate.preset));
  const std::vector<quant::TensorChoice> plan = quant::PlanRecipe(recipe, model);
  const bool gguf = candidate.format == "gguf";
  double bytes = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    const TensorView& t = model.tensors[i];
    const QType type = plan[i].type;
    if (gguf) {
      bytes += double(RowBytes(type, t.Cols())) * double(t.Rows());
      continue;
    }
    const bool wide = type == QType::kF32 || type == QType::kF16 || type == QType::kBF16;
    if (!plan[i].quantized || wide) {
      bytes += 2.0 * double(t.NumElements());  // 16-bit in the safetensors file
      continue;
    }
    const HfLayout& l = candidate.hf;
    const double group = l.group > 0    ? l.group
                         : l.group == 0 ? double(t.Cols())
                                        : std::numeric_limits<double>::infinity();
    bytes += double(t.NumElements()) * (l.bits + (l.scale_bits + l.zero_bits) / group) / 8.0;
  }
  return bytes;
}

}  // namespace qforge::plan
