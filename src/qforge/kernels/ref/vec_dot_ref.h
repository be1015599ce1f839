// Scalar references of the integer half of the quantized dot products (vec_dot.h): plain loops
// over the codes as in ggml-cpu/quants.c's *_generic functions, with the VecDotISumsFn signature.
// isum[b] is the exact integer sum of (super-)block b of one weight row and one activation row.
#pragma once

#include <cstdint>

namespace qforge::kernels::ref {

// Per 32-element block: sum_j code_w[j] * code_x[j], where code_w is the stored integer (Q4_0:
// nibble - 8, Q5_0: 5-bit code - 16, Q4_1/Q5_1: the unsigned code, Q8_0: the int8, IQ4_NL: the
// code book value) and code_x the activation's int8.
void ISumsQ4_0(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ4_1(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ5_0(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ5_1(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ8_0(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsIQ4_NL(const void* w, const void* x, int64_t nb, int32_t* isum);

// Per 256-element super-block: sum over sub-blocks j of scale_j * sum_{i in j} code_w[i] *
// code_x[i] with the sub-block's integer scale (Q3_K: s - 32, Q6_K: the int8) and the signed code
// (Q3_K: q - 4, Q6_K: q - 32; Q2_K, Q4_K, Q5_K: the unsigned code, their mins are applied in the
// float half from the activation block sums bsums).
void ISumsQ2_K(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ3_K(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ4_K(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ5_K(const void* w, const void* x, int64_t nb, int32_t* isum);
void ISumsQ6_K(const void* w, const void* x, int64_t nb, int32_t* isum);

}  // namespace qforge::kernels::ref
