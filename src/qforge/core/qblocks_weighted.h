// Importance-weighted quantization of one row (llama.cpp's imatrix path), bit-exact with ggml.
//
// Given an importance per input column (llama.cpp's imatrix: the mean of x^2 of the activations
// that column multiplies, over calibration tokens), llama-quantize calls ggml_quantize_chunk with
// it, and ggml replaces the reference scale searches by weighted ones (quantize_row_*_impl):
//  - the k-quants Q2_K..Q5_K weight element j of a super-block by
//      w_j = imp_j * sqrt(sigma2 + x_j^2),   sigma2 = c * mean(x^2) over the 256 elements
//    (c = 1 for Q2_K, 2 for Q3_K..Q5_K), fit each sub-block with make_qkx3_quants / make_qx_quants,
//    then quantize the sub-block scales with make_qp_quants / make_qx_quants weighted by the
//    sub-block's sum of w; Q6_K uses imp_j itself as the weight;
//  - Q4_0, Q4_1, Q5_0, Q5_1 do the same per 32-element block with sigma2 = mean(x^2) over the
//    whole row (they are plain min/max rounding without an imatrix);
//  - IQ4_NL uses sigma2 = 2 mean(x^2) over its 32-element block.
// Q8_0, F16 and qforge's own types have no weighted search: ggml ignores the imatrix there.
#pragma once

#include <cstdint>

#include "qforge/core/qtype.h"

namespace qforge {

// True for the types whose quantization ggml changes when it is given an importance matrix:
// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL.
bool HasWeightedQuantizer(QType type);

// Quantizes one row of n elements (a multiple of the type's block size; the whole row, because
// the legacy types take sigma2 over the row) as ggml_quantize_chunk does with a non-null imatrix.
// `importance` holds n non-negative finite values, one per column. Returns false, writing
// nothing, for a type without a weighted search (the caller falls back to round-to-nearest).
bool QuantizeRowWeighted(QType type, const float* src, void* dst, int64_t n,
                         const float* importance);

// Internal to core/qblocks_weighted_*.cc: the per-type row quantizers behind QuantizeRowWeighted.
namespace weighted {
void QuantizeRowQ2_K(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ3_K(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ4_K(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ5_K(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ6_K(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ4_0(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ4_1(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ5_0(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowQ5_1(const float* x, void* dst, int64_t n, const float* imp);
void QuantizeRowIQ4_NL(const float* x, void* dst, int64_t n, const float* imp);
}  // namespace weighted

}  // namespace qforge
