// MatMul rows of the k-quants with Q8_K activations: vec_dot_kquants-inl.h compiled for every
// Highway target, dispatched at run time; the k-quants take the VNNI tiles of
// vec_dot_vnni_kquants-inl.h on AVX3_DL.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_qdot_kquants.cc"
// Highway 1.0.3 compiles AVX3_DL (AVX-512 with VNNI) only on request (see matmul_int8_act.cc).
#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL
#endif
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/vec_dot_kquants-inl.h"
#include "qforge/kernels/vec_dot_vnni_kquants-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void QDotRowsQ2_KT(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni_k::Rows<vnni_k::Q2_K>(a, begin, end);
#else
  QDotRowsT<DecodeQ2_K, BlockQ2_K, BlockQ8_K>(a, begin, end, kQK_K);
#endif
}
void QDotRowsQ3_KT(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni_k::Rows<vnni_k::Q3_K>(a, begin, end);
#else
  QDotRowsT<DecodeQ3_K, BlockQ3_K, BlockQ8_K>(a, begin, end, kQK_K);
#endif
}
void QDotRowsQ4_KT(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni_k::Rows<vnni_k::Q4_K>(a, begin, end);
#else
  QDotRowsT<DecodeQ4_K, BlockQ4_K, BlockQ8_K>(a, begin, end, kQK_K);
#endif
}
void QDotRowsQ5_KT(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni_k::Rows<vnni_k::Q5_K>(a, begin, end);
#else
  QDotRowsT<DecodeQ5_K, BlockQ5_K, BlockQ8_K>(a, begin, end, kQK_K);
#endif
}
void QDotRowsQ6_KT(const MatMulArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  vnni_k::Rows<vnni_k::Q6_K>(a, begin, end);
#else
  QDotRowsT<DecodeQ6_K, BlockQ6_K, BlockQ8_K>(a, begin, end, kQK_K);
#endif
}
// Whether this target's rows for `type` are a tiled integer GEMM (fast for prefill too).
bool KQuantGemmT(QType type) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  return type == QType::kQ2_K || type == QType::kQ3_K || type == QType::kQ4_K ||
         type == QType::kQ5_K || type == QType::kQ6_K;
#else
  (void)type;
  return false;
#endif
}
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "qforge/kernels/matmul_qdot.h"

namespace qforge::kernels {
HWY_EXPORT(QDotRowsQ2_KT);
HWY_EXPORT(QDotRowsQ3_KT);
HWY_EXPORT(QDotRowsQ4_KT);
HWY_EXPORT(QDotRowsQ5_KT);
HWY_EXPORT(QDotRowsQ6_KT);
HWY_EXPORT(KQuantGemmT);

bool QDotKQuantGemm(QType type) { return HWY_DYNAMIC_DISPATCH(KQuantGemmT)(type); }

void QDotRowsQ2_K(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ2_KT)(a, begin, end);
}
void QDotRowsQ3_K(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ3_KT)(a, begin, end);
}
void QDotRowsQ4_K(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ4_KT)(a, begin, end);
}
void QDotRowsQ5_K(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ5_KT)(a, begin, end);
}
void QDotRowsQ6_K(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(QDotRowsQ6_KT)(a, begin, end);
}
}  // namespace qforge::kernels
#endif  // HWY_ONCE
