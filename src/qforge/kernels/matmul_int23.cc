// Native-type MatMul (matmul_native.h) for the 3- and 2-bit INT types (groups of 32/64/128 and per
// row, with and without zero point), per Highway target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_int23.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/matmul_native-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
NativeKernel FindInt23(QType type) {
  switch (type) {
    case QType::kINT3_G32:
      return KernelOf<IntGroupCodec<3, 32, false>>();
    case QType::kINT3_G64:
      return KernelOf<IntGroupCodec<3, 64, false>>();
    case QType::kINT3_G128:
      return KernelOf<IntGroupCodec<3, 128, false>>();
    case QType::kINT3_G32_Z:
      return KernelOf<IntGroupCodec<3, 32, true>>();
    case QType::kINT3_G64_Z:
      return KernelOf<IntGroupCodec<3, 64, true>>();
    case QType::kINT3_G128_Z:
      return KernelOf<IntGroupCodec<3, 128, true>>();
    case QType::kINT3_ROW:
      return KernelOf<IntRowCodec<3, false>>();
    case QType::kINT3_ROW_Z:
      return KernelOf<IntRowCodec<3, true>>();
    case QType::kINT2_G32:
      return KernelOf<IntGroupCodec<2, 32, false>>();
    case QType::kINT2_G64:
      return KernelOf<IntGroupCodec<2, 64, false>>();
    case QType::kINT2_G128:
      return KernelOf<IntGroupCodec<2, 128, false>>();
    case QType::kINT2_G32_Z:
      return KernelOf<IntGroupCodec<2, 32, true>>();
    case QType::kINT2_G64_Z:
      return KernelOf<IntGroupCodec<2, 64, true>>();
    case QType::kINT2_G128_Z:
      return KernelOf<IntGroupCodec<2, 128, true>>();
    case QType::kINT2_ROW:
      return KernelOf<IntRowCodec<2, false>>();
    case QType::kINT2_ROW_Z:
      return KernelOf<IntRowCodec<2, true>>();
    default:  // another family's type
      return {};
  }
}
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qforge::kernels {
HWY_EXPORT(FindInt23);
NativeKernel FindNativeKernelInt23(QType type) { return HWY_DYNAMIC_DISPATCH(FindInt23)(type); }
}  // namespace qforge::kernels
#endif  // HWY_ONCE
