// The numeric kernels of the forward pass, with f32 activations.
//
// Each function has a plain scalar reference in kernels/ref/ (namespace qforge::kernels::ref) with
// the same signature; tests compare the dispatched version against it on every compiled SIMD
// target.
#pragma once

#include <cstdint>

#include "qforge/core/tensor.h"
#include "qforge/core/thread_pool.h"

namespace qforge::kernels {

// y[t, o] = sum_i x[t, i] * W[o, i] for t < n_tokens, where W is 2-D [out, in] (f32, f16 or bf16),
// x is [n_tokens, in] and y is [n_tokens, out], both row-major f32. Rows of W are split across
// the pool; each output is computed by one thread in a fixed order, so y does not depend on the
// thread count.
void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

float Dot(const float* a, const float* b, int64_t n);

// out = x / sqrt(mean(x^2) + eps) * weight. out may alias x.
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// In place: x = exp(x - max) / sum.
void Softmax(float* x, int64_t n);

// out = silu(gate) * up, silu(g) = g / (1 + exp(-g)). out may alias gate.
void SwiGlu(const float* gate, const float* up, int64_t n, float* out);

// y += a * x
void Axpy(float a, const float* x, float* y, int64_t n);

// Attention of one query head over `length` cached positions: scores_j = scale * dot(q, K_j),
// p = softmax(scores), out = sum_j p_j V_j, where K_j = k + j * stride and V_j = v + j * stride
// hold head_dim floats. `scores` is scratch of `length` floats (left holding p).
void AttendHead(const float* q, const float* k, const float* v, int64_t stride, int64_t length,
                int64_t head_dim, float scale, float* scores, float* out);

}  // namespace qforge::kernels
