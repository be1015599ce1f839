// The float half of the reference quantized dot products (see vec_dot.h): from the exact integer
// sum of each block to the row's dot product, in the order of f32 operations of ggml's generic
// vec_dot code. The SIMD kernels (vec_dot-inl.h) combine the same integers in lanes instead.
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
