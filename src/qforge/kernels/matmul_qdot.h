// Per-type SIMD MatMul rows with 8-bit activations (QDotRowsFn of vec_dot.h), each dispatched at
// run time to the best compiled Highway target. Defined in matmul_qdot_<family>.cc, which compile
// vec_dot-inl.h per target; the VecDotTraits table (vec_dot.cc) points at them.
#pragma once

#include <cstdint>

#include "qforge/core/qtype.h"
#include "qforge/kernels/matmul.h"

namespace qforge::kernels {

void QDotRowsQ4_0(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ4_1(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ5_0(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ5_1(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ8_0(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsIQ4_NL(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ2_K(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ3_K(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ4_K(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ5_K(const MatMulArgs& args, int64_t begin, int64_t end);
void QDotRowsQ6_K(const MatMulArgs& args, int64_t begin, int64_t end);

// Whether the rows of `type` on the dispatched target are a tiled integer GEMM (VNNI,
// vec_dot_vnni-inl.h), faster than dequantizing to the f32 GEMM at any token count.
bool QDotLegacyGemm(QType type);
bool QDotKQuantGemm(QType type);
inline bool QDotGemm(QType type) { return QDotLegacyGemm(type) || QDotKQuantGemm(type); }

}  // namespace qforge::kernels
