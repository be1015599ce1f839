// MatMul rows of the 32-element block types (legacy and IQ4_NL) with 8-bit activations:
// vec_dot-inl.h compiled for every Highway target, dispatched at run time; Q4_0, Q5_0, IQ4_NL
// and Q8_0 take the VNNI tiles of vec_dot_vnni-inl.h on AVX3_DL.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_qdot_legacy.cc"
// Highway 1.0.3 compiles AVX3_DL (AVX-512 with VNNI) only on request (see matmul_int8_act.cc).
#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL
#endif
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/vec_dot-inl.h"
#include "qforge/kernels/vec_dot_vnni-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void QDotRowsQ4_0T(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni::Rows<vnni::Q4_0Pair>(a, begin, end);
#else
  QDotRowsT<DecodeQ4_0, BlockQ4_0, BlockQ8_0>(a, begin, end, kLegacyBlockSize);
#endif
}
void QDotRowsQ4_1T(const MatMulArgs& a, int64_t begin, int64_t end) {
  QDotRowsT<DecodeQ4_1, BlockQ4_1, BlockQ8_1>(a, begin, end, kLegacyBlockSize);
}
void QDotRowsQ5_0T(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni::Rows<vnni::Q5_0Pair>(a, begin, end);
#else
  QDotRowsT<DecodeQ5_0, BlockQ5_0, BlockQ8_0>(a, begin, end, kLegacyBlockSize);
#endif
}
void QDotRowsQ5_1T(const MatMulArgs& a, int64_t begin, int64_t end) {
  QDotRowsT<DecodeQ5_1, BlockQ5_1, BlockQ8_1>(a, begin, end, kLegacyBlockSize);
}
void QDotRowsQ8_0T(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni::Rows<vnni::Q8_0Pair>(a, begin, end);
#else
  QDotRowsT<DecodeQ8_0, BlockQ8_0, BlockQ8_0>(a, begin, end, kLegacyBlockSize);
#endif
}
// Whether this target's rows for `type` are a tiled integer GEMM (fast for prefill too).
bool LegacyGemmT(QType type) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  return type == QType::kQ4_0 || type == QType::kQ5_0 || type == QType::kIQ4_NL ||
         type == QType::kQ8_0;
#else
  (void)type;
  return false;
#endif
}
void QDotRowsIQ4_NLT(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni::Rows<vnni::IQ4_NLPair>(a, begin, end);
#else
  QDotRowsT<DecodeIQ4_NL, BlockIQ4_NL, BlockQ8_0>(a, begin, end, kQK4_NL);
#endif
}
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "qforge/kernels/matmul_qdot.h"

namespace qforge::kernels {
HWY_EXPORT(QDotRowsQ4_0T);
HWY_EXPORT(QDotRowsQ4_1T);
HWY_EXPORT(QDotRowsQ5_0T);
HWY_EXPORT(QDotRowsQ5_1T);
HWY_EXPORT(QDotRowsQ8_0T);
HWY_EXPORT(QDotRowsIQ4_NLT);
HWY_EXPORT(LegacyGemmT);

bool QDotLegacyGemm(QType type) { return HWY_DYNAMIC_DISPATCH(LegacyGemmT)(type); }

void QDotRowsQ4_0(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ4_0T)(a, begin, end);
}
void QDotRowsQ4_1(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ4_1T)(a, begin, end);
}
void QDotRowsQ5_0(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ5_0T)(a, begin, end);
}
void QDotRowsQ5_1(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ5_1T)(a, begin, end);
}
void QDotRowsQ8_0(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ8_0T)(a, begin, end);
}
void QDotRowsIQ4_NL(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsIQ4_NLT)(a, begin, end);
}
}  // namespace qforge::kernels
#endif  // HWY_ONCE
