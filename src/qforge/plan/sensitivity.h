// Per-tensor sensitivity: how much each tensor alone hurts the model when a recipe quantizes it.
//
// For every tensor the recipe quantizes, the candidate is the baseline with only that tensor
// replaced by its round-to-nearest form at the recipe's type (the other tensors are the baseline's
// own views, never copied). Both run llama.cpp's perplexity chunks (eval/perplexity.h) and every
// scored token is compared by eval/kld.h's CompareToken and DistributionStats, so a tensor's
// numbers are exactly what `qforge eval` reports for a checkpoint where only that tensor is
// quantized. The baseline's logits are computed once and kept (chunks x (ctx/2 - 1) x vocab
// floats); ScanSensitivity refuses to start when that exceeds kMaxBaselineBytes.
//
// Calibrated methods (GPTQ, AWQ, SmoothQuant) and importance matrices are out of scope: a recipe
// naming a method is scanned at its types with round-to-nearest, and the result says so (note).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"
#include "qforge/eval/perplexity.h"
#include "qforge/quant/recipe.h"

namespace qforge::plan {

// The baseline distributions kept in memory: above this the scan refuses (fewer chunks fit).
inline constexpr uint64_t kMaxBaselineBytes = uint64_t(2) << 30;  // 2 GiB

struct SensitivityOptions {
  std::vector<int> tokens;        // the fixed text slice (tokenized once, BOS first)
  eval::PerplexityOptions ppl;    // context and chunk count: llama.cpp's perplexity chunks
  std::vector<std::string> only;  // optional name globs restricting the scan; each must match
};

struct TensorSensitivity {
  std::string name;
  QType source = QType::kF32, type = QType::kF32;  // as stored, and the recipe's type for it
  uint64_t bytes_source = 0, bytes_type = 0;       // RowBytes x rows in each type
  double kld_mean = 0, kld_unc = 0;  // KLD vs the baseline when only this tensor is quantized
  double ppl_ratio = 1;              // PPL(cand)/PPL(base)
  double same_top = 1;               // rate of scored tokens whose top token is unchanged
  // False for a 2-D tensor the recipe leaves as stored (type == source): listed, so that two
  // scans of the same model cover the same tensors, with KLD 0 by construction and no passes.
  bool scanned = true;
};

struct SensitivityResult {
  std::string recipe;                      // recipe name
  std::vector<TensorSensitivity> tensors;  // ranked, most damaging first (ties by name)
  int64_t forward_passes = 0;              // chunk forward passes in all (baseline included)
  int chunks = 0;                          // chunks per run
  int n_ctx = 0;
  int64_t scored_tokens = 0;    // per run
  double ppl_base = 0;          // the baseline's perplexity on the slice
  uint64_t baseline_bytes = 0;  // memory held by the baseline's logits
  double seconds = 0;
  std::string note;  // e.g. a calibrated method scanned with round-to-nearest
};

// Progress: (tensors done, tensors to scan).
//
// Throws Error{kInvalidInput} when a glob in options.only matches no 2-D tensor, when the text is
// too short or the context does not fit the model (eval::PlanChunks), or when the baseline would
// need more than kMaxBaselineBytes. Bit-identical at any thread count.
SensitivityResult ScanSensitivity(const Checkpoint& base, const quant::Recipe& recipe,
                                  const SensitivityOptions& options, ThreadPool& pool,
                                  const std::function<void(int, int)>& progress = {});

// Ranks by kld_mean, highest first, ties by name (ScanSensitivity's order).
void RankByKld(std::vector<TensorSensitivity>& tensors);

}  // namespace qforge::plan
