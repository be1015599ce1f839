// AWQ (Lin et al. 2023, "AWQ: Activation-aware Weight Quantization for LLM Compression and
// Acceleration"): a few input channels carry much larger activations than the rest, and the
// weights that multiply them matter most. Scaling those weight columns up by s (and the inputs down
// by 1/s, folded into the preceding RMSNorm or linear layer, so the model computes the same function)
// gives them a finer share of the quantization grid.
//
// As in the reference (mit-han-lab/llm-awq, AutoAWQ): s = mean|x|^ratio, normalised by
// sqrt(max s * min s), with ratio on a grid of 20 points in [0, 1); the ratio chosen minimises the
// squared output error of the layers sharing the input, measured on a sample of calibration tokens
// with the storage type's own round-to-nearest (any type: INT groups, k-quants, NF4, ...). ratio 0
// is plain RTN, so the search never does worse than RTN on its sample. Then a clip search: per
// group (the type's block, or the row for per-row types), the weights are clamped to a shrinking
// fraction of their max (1, 0.95, ..., 0.55) when that lowers the group's output error (skipped for
// attn_q / attn_k, as the reference does).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "qforge/core/qtype.h"
#include "qforge/core/thread_pool.h"

namespace qforge::quant {

struct AwqOptions {
  int grid = 20;            // ratio = k / grid, k = 0 .. grid - 1
  bool clip = true;         // search a clipping ratio per group
  int clip_grid = 20;       // clipping fractions 1 - k / clip_grid ...
  double max_shrink = 0.5;  // ... for k < max_shrink * clip_grid
};

// One linear layer that reads the searched input: weights row-major [rows, in], modified in place.
struct AwqLinear {
  float* w = nullptr;
  int64_t rows = 0;
  QType type = QType::kF32;
};

struct AwqScales {
  std::vector<float> scales;  // s, one per input channel: W[:, j] *= s_j, x_j /= s_j
  double ratio = 0.0;         // the chosen exponent
  double rtn_loss = 0.0;      // mean squared output error at ratio 0 (plain RTN)
  double loss = 0.0;          // ... at the chosen ratio
};

// x: [tokens, in], a sample of the inputs; mean_abs: mean |x_j| over all calibration tokens.
AwqScales AwqSearchScales(const float* x, int64_t tokens, int64_t in,
                          std::span<const float> mean_abs, std::span<const AwqLinear> linears,
                          const AwqOptions& options, ThreadPool& pool);

// W[:, j] *= s_j.
void ScaleColumns(float* w, int64_t rows, int64_t cols, std::span<const float> s);
// W[j, :] /= s_j (a preceding linear layer whose outputs are the scaled inputs).
void DivideRows(float* w, int64_t rows, int64_t cols, std::span<const float> s);

// Clamps each group of `linear` to the fraction of its max |w| that minimises the group's output
// error on x [tokens, in] (already in the scaled coordinates). Per-tensor types are left alone.
// Returns the fraction of groups that were clipped.
double AwqClip(const AwqLinear& linear, const float* x, int64_t tokens, int64_t in,
               const AwqOptions& options, ThreadPool& pool);

}  // namespace qforge::quant
