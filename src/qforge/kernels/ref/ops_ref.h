// Scalar reference kernels: the definition of what every SIMD kernel must compute.
// Plain loops, double accumulation where a sum is long, no dispatch. Tests only (and the
// fallback when a type has no SIMD path yet).
#pragma once

#include <cstdint>

#include "qforge/core/tensor.h"

namespace qforge::kernels::ref {

// Block types with an integer dot product (vec_dot.h) quantize x as ggml does, then VecDotRef;
// the other types multiply their dequantized rows by x in f64.
void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y);
float Dot(const float* a, const float* b, int64_t n);
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);
void Softmax(float* x, int64_t n);
void SwiGlu(const float* gate, const float* up, int64_t n, float* out);
void Axpy(float a, const float* x, float* y, int64_t n);
void AttendHead(const float* q, const float* k, const float* v, int64_t stride, int64_t length,
                int64_t head_dim, float scale, float* scores, float* out);

}  // namespace qforge::kernels::ref
