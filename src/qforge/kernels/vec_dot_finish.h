// The float half of every quantized dot product (see vec_dot.h): from the exact integer sum of each
// block to the row's dot product, in ggml's order of f32 operations.
//
// These functions are compiled once, for the baseline target, and called by both the scalar
// reference and the SIMD kernels of every Highway target: compiled inside a target's code they
// could be contracted to FMAs there and round differently. So the float arithmetic is identical
// everywhere and only the integer half, which is exact, differs in how it is computed.
//
// Arguments: one row of weight blocks `w`, one row of activation blocks `x`, isum[b] the integer
// sum of block b (b < nb) as VecDotTraits::isums_ref computes it.
#pragma once

#include <cstdint>

namespace qforge::kernels {

// Legacy 32-element blocks (ggml-cpu/quants.c ggml_vec_dot_<w>_<act>_generic).
float FinishQ4_0(const void* w, const void* x, const int32_t* isum, int64_t nb);    // x: Q8_0
float FinishQ4_1(const void* w, const void* x, const int32_t* isum, int64_t nb);    // x: Q8_1
float FinishQ5_0(const void* w, const void* x, const int32_t* isum, int64_t nb);    // x: Q8_0
float FinishQ5_1(const void* w, const void* x, const int32_t* isum, int64_t nb);    // x: Q8_1
float FinishQ8_0(const void* w, const void* x, const int32_t* isum, int64_t nb);    // x: Q8_0
float FinishIQ4_NL(const void* w, const void* x, const int32_t* isum, int64_t nb);  // x: Q8_0

// k-quants, x: Q8_K. ggml's generic code spreads each super-block's integer sum over 8 partial
// float sums; here each super-block adds d * isum (and subtracts dmin * the min term) directly.
// Only the association of the f32 sum differs (as it does in ggml's own SIMD versions).
float FinishQ2_K(const void* w, const void* x, const int32_t* isum, int64_t nb);
float FinishQ3_K(const void* w, const void* x, const int32_t* isum, int64_t nb);
float FinishQ4_K(const void* w, const void* x, const int32_t* isum, int64_t nb);
float FinishQ5_K(const void* w, const void* x, const int32_t* isum, int64_t nb);
float FinishQ6_K(const void* w, const void* x, const int32_t* isum, int64_t nb);

}  // namespace qforge::kernels
