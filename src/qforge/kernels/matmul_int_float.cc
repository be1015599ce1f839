// Native-type MatMul (matmul_native.h) for INT8, the 16-level tables NF4, NF4_DQ and FP4, and FP8
// E4M3/E5M2 (per row and per tensor), per Highway target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_int_float.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/matmul_native-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
NativeKernel FindFloat(QType type) {
  switch (type) {
    case QType::kINT8:
      return KernelOf<Int8Codec>();
    case QType::kNF4:
    case QType::kNF4_DQ:  // the same blocks; only the quantizer differs
      return KernelOf<Nf4Codec<kNF4Levels>>();
    case QType::kFP4:
      return KernelOf<Nf4Codec<kFP4Levels>>();
    case QType::kFP8_E4M3:
    case QType::kFP8_E4M3_T:  // the per-tensor scale is repeated in every row's header
      return KernelOf<Fp8Codec<false>>();
    case QType::kFP8_E5M2:
    case QType::kFP8_E5M2_T:
      return KernelOf<Fp8Codec<true>>();
    default:  // another family's type
      return {};
  }
}
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qforge::kernels {
HWY_EXPORT(FindFloat);
NativeKernel FindNativeKernelFloat(QType type) { return HWY_DYNAMIC_DISPATCH(FindFloat)(type); }

NativeKernel FindNativeKernel(QType type) {
  for (auto find : {FindNativeKernelInt4, FindNativeKernelInt23, FindNativeKernelFloat})
    if (const NativeKernel k = find(type); k.rows) return k;
  return {};
}
}  // namespace qforge::kernels
#endif  // HWY_ONCE
