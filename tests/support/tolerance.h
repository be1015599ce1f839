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
// activations. The conversion of F32, F16 and BF16 to f32 is exact (tested exactly on its own),
// so only the accumulation error remains. Block types (Q8_0 ... Q5_1) are dequantized by the same
// traits dequantize_row in the kernel and in ref::MatMul, so both multiply the same f32 weights
// (sum_abs_products is taken over them) and again only the summation order differs.
inline double MatmulTolerance(double sum_abs_products, int64_t n, QType type) {
  switch (type) {
    case QType::kF32:
    case QType::kF16:
    case QType::kBF16:
    case QType::kQ8_0:
    case QType::kQ4_0:
    case QType::kQ4_1:
    case QType::kQ5_0:
    case QType::kQ5_1:
    case QType::kQ2_K:  // the k-quants, IQ4_NL and Q8_1/Q8_K likewise
    case QType::kQ3_K:
    case QType::kQ4_K:
    case QType::kQ5_K:
    case QType::kQ6_K:
    case QType::kIQ4_NL:
    case QType::kQ8_1:
    case QType::kQ8_K:
    case QType::kINT8:  // the qforge-native types likewise (core/qblocks_native.h)
    case QType::kINT4_G32:
    case QType::kINT4_G64:
    case QType::kINT4_G128:
    case QType::kINT4_G32_Z:
    case QType::kINT4_G64_Z:
    case QType::kINT4_G128_Z:
    case QType::kINT4_ROW:
    case QType::kINT4_ROW_Z:
    case QType::kINT3_G32:
    case QType::kINT3_G64:
    case QType::kINT3_G128:
    case QType::kINT3_G32_Z:
    case QType::kINT3_G64_Z:
    case QType::kINT3_G128_Z:
    case QType::kINT3_ROW:
    case QType::kINT3_ROW_Z:
    case QType::kINT2_G32:
    case QType::kINT2_G64:
    case QType::kINT2_G128:
    case QType::kINT2_G32_Z:
    case QType::kINT2_G64_Z:
    case QType::kINT2_G128_Z:
    case QType::kINT2_ROW:
    case QType::kINT2_ROW_Z:
    case QType::kNF4:
    case QType::kNF4_DQ:
    case QType::kFP4:
    case QType::kFP8_E4M3:
    case QType::kFP8_E5M2:
    case QType::kFP8_E4M3_T:
    case QType::kFP8_E5M2_T:
      return DotTolerance(sum_abs_products, n);
    case QType::kCount:
      break;
  }
  return 0;  // no tolerance for an unknown type: the test fails loudly
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

}  // namespace qforge::test
