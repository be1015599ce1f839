// Native-type MatMul (matmul_native.h) for INT4_G32/64/128[_Z] and INT4_ROW[_Z], per Highway
// target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_int4.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/matmul_native-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
NativeKernel FindInt4(QType type) {
  switch (type) {
    case QType::kINT4_G32:
      return KernelOf<IntGroupCodec<4, 32, false>>();
    case QType::kINT4_G64:
      return KernelOf<IntGroupCodec<4, 64, false>>();
    case QType::kINT4_G128:
      return KernelOf<IntGroupCodec<4, 128, false>>();
    case QType::kINT4_G32_Z:
      return KernelOf<IntGroupCodec<4, 32, true>>();
    case QType::kINT4_G64_Z:
      return KernelOf<IntGroupCodec<4, 64, true>>();
    case QType::kINT4_G128_Z:
      return KernelOf<IntGroupCodec<4, 128, true>>();
    case QType::kINT4_ROW:
      return KernelOf<IntRowCodec<4, false>>();
    case QType::kINT4_ROW_Z:
      return KernelOf<IntRowCodec<4, true>>();
    default:  // another family's type
      return {};
  }
}
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qforge::kernels {
HWY_EXPORT(FindInt4);
NativeKernel FindNativeKernelInt4(QType type) { return HWY_DYNAMIC_DISPATCH(FindInt4)(type); }
}  // namespace qforge::kernels
#endif  // HWY_ONCE
