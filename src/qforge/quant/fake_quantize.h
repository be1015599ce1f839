// A float matrix through a storage type and back: what the calibrated methods search with (AWQ's
// scale and clip grids) and measure against (round-to-nearest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qforge/core/qtype.h"
#include "qforge/core/thread_pool.h"

namespace qforge::quant {

// The bytes of row-major w [rows, cols] stored as `type` (per-tensor types use the whole matrix).
// Rows are independent, so the bytes do not depend on the thread count.
std::vector<std::byte> QuantizeMatrix(QType type, const float* w, int64_t rows, int64_t cols,
                                      ThreadPool& pool);

// out = dequantize(quantize(w)); out may alias w.
void FakeQuantize(QType type, const float* w, int64_t rows, int64_t cols, float* out,
                  ThreadPool& pool);

// Dequantizes `bytes` (rows of `type`) to row-major f32.
std::vector<float> DequantizeMatrix(QType type, const std::byte* bytes, int64_t rows,
                                    int64_t cols);

// y [tokens, rows] = x [tokens, cols] * w^T for an f32 matrix w [rows, cols] (kernels' GEMM).
std::vector<float> MultiplyTransposed(const float* x, int64_t tokens, const float* w, int64_t rows,
                                      int64_t cols, ThreadPool& pool);

}  // namespace qforge::quant
