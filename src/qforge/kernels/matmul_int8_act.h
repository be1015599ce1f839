// Matrix products with int8 activations over INT8-stored weights: W8A8 (SmoothQuant's runtime) and
// LLM.int8() (bitsandbytes' inference from int8 weights, has_fp16_weights=False).
//
// Both QTypes store a weight row o as INT8 does (core/qblocks_native.h): an f32 scale d_o, then one
// int8 code qw[o, i] per element (w = d_o qw). Only the product differs from INT8's (which
// dequantizes the weights and multiplies by f32 activations):
//
//   W8A8      per token t: s_t = max_i |x[t, i]| / 127, qx[t, i] = round(x[t, i] / s_t) clamped to
//             [-127, 127], round half to even (core's QuantizeRowInt8, the INT8 row codec:
//             activations are an INT8 row); then
//               y[t, o] = f32(isum) * f32(s_t d_o),  isum = sum_i qx[t, i] qw[o, i]
//             with isum an exact int32.
//   LLM_INT8  per call, the outlier columns C = {i : |x[t, i]| >= threshold for some token t}
//             (bitsandbytes' test, `A.abs() >= threshold`); they are zeroed before the per-token
//             quantization above (so s_t is the absmax over the other columns), and
//               y[t, o] = fma(f32(isum), f32(s_t d_o), r),  r = f32 sum over c in C, in increasing
//             c, of fma(x[t, c], d_o f32(qw[o, c]), r)
//             i.e. the outlier columns meet the dequantized weights in f32 (the paper's 16-bit
//             path; bitsandbytes computes it in fp16 from the same dequantized int8 columns).
//             One deviation: bitsandbytes' absmax excludes only the outlier elements, not whole
//             outlier columns; excluding the columns gives a finer scale for the int8 part.
//             Threshold 0 disables the decomposition (every column int8), as in bitsandbytes.
//
// Every float operation is written out (fma where a sum meets a product), so the SIMD kernels
// (matmul_int8_act-inl.h) equal the scalar reference (ref/matmul_int8_act_ref.h) bit for bit:
// the integer sums are exact, the rest is the same sequence of f32 operations. Each output is
// computed by one thread, so y is identical at any thread count.
//
// Exactness bound: |isum| <= 127 * 127 * in, and the VNNI kernel adds 128 to the activation codes
// (u8 x s8 products, <= 255 * 127 * in); both stay below 2^31 for in <= kInt8ActMaxIn.
#pragma once

#include <cstdint>

#include "qforge/core/qtype.h"
#include "qforge/core/tensor.h"
#include "qforge/core/thread_pool.h"

namespace qforge::kernels {

inline constexpr int64_t kInt8ActMaxIn = 65536;          // 255 * 127 * 65536 < 2^31
inline constexpr float kLlmInt8DefaultThreshold = 6.0f;  // bitsandbytes' llm_int8_threshold

// True for the types MatMulInt8Act computes (W8A8, LLM_INT8).
bool IsInt8ActType(QType type);

// y[t, o] for t < n_tokens as described above; W is [out, in] of type W8A8 or LLM_INT8, x is
// [n_tokens, in] and y [n_tokens, out], row-major f32. Output rows are split across the pool.
// Throws Error{kInvalidInput} when in > kInt8ActMaxIn.
void MatMulInt8Act(const TensorView& w, const float* x, int64_t n_tokens, float* y,
                   ThreadPool& pool);

// LLM.int8()'s outlier threshold for every later MatMul (process-wide, like bitsandbytes'
// per-model llm_int8_threshold; the CLI sets it from --llm-int8-threshold before running).
// Throws Error{kInvalidInput} unless threshold >= 0 (0: no outlier columns).
void SetLlmInt8Threshold(float threshold);
float LlmInt8Threshold();

// Summed over LLM_INT8 MatMul calls since the last reset: the outlier columns found (|C|) and the
// columns seen (in), once per call, so the counts do not depend on the thread count.
struct LlmInt8Counters {
  int64_t outlier_columns = 0;
  int64_t columns = 0;
};
LlmInt8Counters GetLlmInt8Counters();
void ResetLlmInt8Counters();

// The Highway target MatMulInt8Act dispatches to ("AVX3_DL" where AVX-512 VNNI is present).
// Tests compare it with the target they select.
const char* Int8ActTarget();

}  // namespace qforge::kernels
