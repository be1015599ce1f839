// GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative
// Pre-trained Transformers"): quantizes a linear layer's weight W [rows, cols] column by column,
// each time spreading the rounding error over the columns not yet quantized through the inverse
// Hessian of the layer's inputs, H = 2/N sum_t x_t x_t^T, so that ||W X - W' X|| rather than
// ||W - W'|| is minimised.
//
// This follows the reference implementation (IST-DASLab/gptq, AutoGPTQ/GPTQModel): dead columns
// (zero diagonal) zeroed, damping lambda * mean(diag H) added to the diagonal (raised step by step
// when the Cholesky factorisation fails, as GPTQModel does), the upper Cholesky factor of H^-1,
// lazy batch updates in blocks of `block_size` columns, optional act-order (columns by decreasing
// diagonal of H) and static groups. Differences, both deliberate:
//  - a group's grid is taken from its columns *after* the updates of earlier columns in the same
//    block (the reference reads the stale pre-block copy when the group is smaller than the block);
//  - with act-order, groups are always static (computed on the original contiguous columns before
//    any update): the storage types keep contiguous groups, so that is the form that can be
//    stored (and what llama.cpp / exllama kernels need).
// The grid per group is the storage type's own (linear_grid.h), so the output is ordinary bytes of
// that type: Q4_0 from GPTQ runs in llama.cpp unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qforge/quant/linear_grid.h"

namespace qforge::quant {

struct GptqOptions {
  double damp_percent = 0.01;         // lambda, a fraction of mean(diag H)
  double damp_auto_increment = 0.0025;  // added to lambda while the Cholesky factorisation fails
  int block_size = 128;               // columns per lazy batch update
  bool act_order = false;             // desc_act: columns by decreasing H_jj
  bool static_groups = false;         // grids from the original weights (implied by act_order)
};

struct GptqResult {
  std::vector<std::byte> bytes;  // rows * RowBytes(type, cols)
  double damp_used = 0.0;        // the lambda that factorised
  int64_t dead_columns = 0;      // inputs that were always zero
};

// `w` is row-major [rows, cols]; `hessian` is [cols, cols] (symmetric; only its values are read).
// Throws Error{kInvalidInput} when H cannot be factorised even with lambda = 1, or shapes do not
// fit the grid's group size.
GptqResult GptqQuantize(const float* w, int64_t rows, int64_t cols,
                        const std::vector<double>& hessian, const LinearGrid& grid,
                        const GptqOptions& options);

}  // namespace qforge::quant
