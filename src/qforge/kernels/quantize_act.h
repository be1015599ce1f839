// Activation rows quantized for the integer dot products (Q8_0, Q8_1, Q8_K) with Highway.
//
// MatMul over a quantized weight type quantizes every token's activations to its vec_dot partner
// type (vec_dot.h) before the dot products. The bytes written here are the bytes of core's scalar
// quantize_row for that type (QuantizeRowQ8_0 / Q8_1 / Q8_K, which reproduce ggml's *_ref
// functions), on every Highway target:
//  - the abs-max of a block is exact in any lane order (max does not round);
//  - every per-element float operation is the scalar's (x * id, or iscale * x), with the same
//    rounding to an integer (half away from zero for Q8_0/Q8_1 as roundf, half to even for Q8_K
//    as ggml's nearest_int);
//  - the sums of codes (Q8_1's s, Q8_K's bsums) are sums of small integers, exact in f32 in any
//    order (|sum| <= 256 * 127 < 2^24);
//  - per-block scalars (d, id, f16 rounding) are computed by the same scalar expressions.
// A block holding a NaN or an Inf is handed to the scalar function, whose (ggml's) treatment of
// them is not repeated here.
#pragma once

#include <cstdint>

#include "qforge/core/qtype.h"

namespace qforge::kernels {

// dst receives RowBytes(act, n) bytes; act is Q8_0, Q8_1 or Q8_K (else kInvalidInput) and n a
// multiple of its block size (checked).
void QuantizeActivationRow(QType act, const float* x, void* dst, int64_t n);

// The Highway target QuantizeActivationRow dispatches to (tests check it follows the target they
// select).
const char* QuantizeActTarget();

}  // namespace qforge::kernels
