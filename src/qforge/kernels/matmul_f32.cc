// MatMul over F32 weights: matmul-inl.h compiled for every Highway target, dispatched at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_f32.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/matmul-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void MatMulRowsF32(const MatMulArgs& a, int64_t begin, int64_t end) {
  MatMulRowsT<float>(a, begin, end);
}
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qforge::kernels {
HWY_EXPORT(MatMulRowsF32);

template <>
void MatMulRows<float>(const MatMulArgs& a, int64_t begin, int64_t end) {
  HWY_DYNAMIC_DISPATCH(MatMulRowsF32)(a, begin, end);
}
}  // namespace qforge::kernels
#endif  // HWY_ONCE
