// Scalar references of the W8A8 and LLM.int8() matrix products (kernels/matmul_int8_act.h defines
// them): plain loops, int32 sums, and the f32 operations in the order the header states. The SIMD
// kernels must equal these bit for bit.
#pragma once

#include <cstdint>

#include "qforge/core/tensor.h"

namespace qforge::kernels::ref {

// W of type W8A8, LLM_INT8 or INT8 (the same bytes), [out, in]; x [n_tokens, in]; y [n_tokens,
// out].
void MatMulW8A8(const TensorView& w, const float* x, int64_t n_tokens, float* y);

// LLM.int8() with the given outlier threshold (0: none).
void MatMulLlmInt8(const TensorView& w, const float* x, int64_t n_tokens, float threshold,
                   float* y);

}  // namespace qforge::kernels::ref
