// MatMul over BF16 weights: matmul-inl.h compiled for every Highway target, dispatched at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_bf16.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/matmul-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void MatMulRowsBF16(const MatMulArgs& a, int64_t begin, int64_t end) {
  MatMulRowsT<hwy::bfloat16_t>(a, begin, end);
}
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qforge::kernels {
HWY_EXPORT(MatMulRowsBF16);

template <>
void MatMulRows<hwy::bfloat16_t>(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(MatMulRowsBF16)(a, begin, end);
}
}  // namespace qforge::kernels
#endif  // HWY_ONCE
