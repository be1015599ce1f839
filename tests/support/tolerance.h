// Error bounds of the kernels, derived from the floating-point error analysis of each computation
// (STYLE.md practice 5): a SIMD kernel passes when |simd - ref| <= bound. Nothing here is tuned.
//
// Notation: u = 2^-24 is the unit roundoff of f32 (each f32 operation has relative error <= u),
// gamma_k = k u / (1 - k u) (Higham, "Accuracy and Stability of Numerical Algorithms", 3.1).
// The references accumulate in f64 (relative error ~ n 2^-53, far below u), and round to f32 once.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>

#include "qforge/core/qtype.h"

namespace qforge::test {

inline constexpr double kU = FLT_EPSILON / 2;  // 2^-24

// A sum of n products accumulated in f32 in any order (lanes, several accumulators, a tree of lane
// sums, with or without FMA): every product goes through at most n roundings, so
// |err| <= gamma_{n+1} sum |a_i b_i| (Higham Thm 3.5 / eq. 3.5); the reference's final rounding
// adds u |result| <= u sum |a_i b_i|. The factor 1.01 bounds gamma's denominator while n u < 1%.
inline double DotTolerance(double sum_abs_products, int64_t n) {
  return 1.01 * double(n + 2) * kU * sum_abs_products;
}

// One output of MatMul: a dot product of the weight row (after conversion to f32) with the
// activations. The conversion of F32, F16 and BF16 to f32 is exact (tested exactly on its own);
// qforge-native types are dequantized by the same traits dequantize_row in the kernel and in
// ref::MatMul; ggml block types are multiplied by the same 8-bit-rounded activations on both sides
// (tests/kernels/vec_dot_test.cc bounds their integer paths separately). So only the summation
// order differs, and sum_abs_products is taken over the values both sides multiply.
inline double MatmulTolerance(double sum_abs_products, int64_t n, QType /*type*/) {
  // The same bound for every storage type: both sides multiply the same f32 weight values.
  return DotTolerance(sum_abs_products, n);
}

// RmsNorm, relative to |ref|. The sum of squares has positive terms, so its relative error is
// <= gamma_{n+1}; 1/sqrt halves it to first order; the f32 rounding of the scale (u each side) and
// the two products x * scale * w (2u each side) add 6u.
inline double RmsNormRelTolerance(int64_t n) { return (0.51 * double(n + 1) + 6) * kU; }

// Softmax, relative to |ref|. Highway's Exp and libm's expf are each within 1 ulp (<= 2u) of exp:
// 4u per element. The sums then differ by <= 4u, plus <= (2 + log2 16) u for the compensated f32
// sum over at most 16 lanes; 1/sum and the final product round once each side: 4u. Total 18u; 24u
// leaves room for the f64 rounding of 1/sum. Results below FLT_MIN are subnormal and only
// accurate to FLT_MIN absolutely.
inline double SoftmaxTolerance(double ref) { return 24 * kU * std::fabs(ref) + FLT_MIN; }

// SwiGlu: exp(-g) within 4u of libm's (as above); 1 + e, the division and the product by `up`
// round once on each side: 6u. 12u covers the sum. For g < -88 the kernel clamps -g to 88
// (see vec_ops-inl.h) and returns |g up| / (1 + e^88) < |g up| 1e-38 where the reference gives 0.
inline double SwiGluTolerance(double ref, double gate, double up) {
  return 12 * kU * std::fabs(ref) + std::fabs(gate * up) * 1e-38;
}

// Axpy y + a x: the reference rounds a x and then the sum (2 roundings), an FMA kernel rounds once:
// each side is within 2u (|a x| + |y|) of the exact value, and 1.01 covers second-order terms.
inline double AxpyTolerance(double a_x, double y) {
  return 4.04 * kU * (std::fabs(a_x) + std::fabs(y));
}

// AttendHead, one element of out. The scores differ by at most `score_error` (per position: the
// dot's DotTolerance times scale, plus the f64 reference's rounding of the dot and both sides'
// product by scale, 2u |score|). Perturbing softmax inputs by <= e changes each p_j by a factor
// within exp(+-2e), 2.02 e relatively for e < 1%, on top of Softmax's own tolerance (24u, above).
// The weighted sum of values is a sum of `length` products p_j v_j (DotTolerance over
// sum_p_abs_v = sum_j p_j |v_j|), and the p_j errors add (2.02 e + 24u) sum_p_abs_v; FLT_MIN per
// position covers subnormal p_j.
inline double AttendTolerance(double score_error, double sum_p_abs_v, double max_abs_v,
                              int64_t length) {
  return DotTolerance(sum_p_abs_v, length) + (2.02 * score_error + 24 * kU) * sum_p_abs_v +
         double(length) * FLT_MIN * max_abs_v;
}

}  // namespace qforge::test
