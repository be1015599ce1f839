// Activation-row quantization (quantize_act.h): type checks and runtime dispatch; the blocks are
// quantize_act-inl.h, compiled here for every Highway target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/quantize_act.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/quantize_act-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void QuantizeQ8_0T(const float* x, void* dst, int64_t blocks) {
  quantize_act::RowQ8_0(x, static_cast<BlockQ8_0*>(dst), blocks);
}
void QuantizeQ8_1T(const float* x, void* dst, int64_t blocks) {
  quantize_act::RowQ8_1(x, static_cast<BlockQ8_1*>(dst), blocks);
}
void QuantizeQ8_KT(const float* x, void* dst, int64_t blocks) {
  quantize_act::RowQ8_K(x, static_cast<BlockQ8_K*>(dst), blocks);
}
const char* QuantizeActTargetT() { return hwy::TargetName(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "qforge/core/error.h"
#include "qforge/kernels/quantize_act.h"

namespace qforge::kernels {
HWY_EXPORT(QuantizeQ8_0T);
HWY_EXPORT(QuantizeQ8_1T);
HWY_EXPORT(QuantizeQ8_KT);
HWY_EXPORT(QuantizeActTargetT);

void QuantizeActivationRow(QType act, const float* x, void* dst, int64_t n) {
  using RowFn = void (*)(const float*, void*, int64_t);
  RowFn row = nullptr;
  if (act == QType::kQ8_0) row = HWY_DYNAMIC_DISPATCH(QuantizeQ8_0T);
  if (act == QType::kQ8_1) row = HWY_DYNAMIC_DISPATCH(QuantizeQ8_1T);
  if (act == QType::kQ8_K) row = HWY_DYNAMIC_DISPATCH(QuantizeQ8_KT);
  if (row == nullptr)
    Fail(ErrorKind::kInvalidInput,
         "QuantizeActivationRow: {} is not an activation type (Q8_0, Q8_1 or Q8_K)",
         Traits(act).name);
  const int64_t block = Traits(act).block_size;
  QF_CHECK(n >= 0 && n % block == 0);  // MatMul's rows are whole blocks
  row(x, dst, n / block);
}

const char* QuantizeActTarget() { return HWY_DYNAMIC_DISPATCH(QuantizeActTargetT)(); }

}  // namespace qforge::kernels
#endif  // HWY_ONCE
