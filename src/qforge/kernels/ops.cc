// Kernel entry points: argument checks, threading, and runtime dispatch to the Highway kernels
// (vec_ops-inl.h here; MatMul through the per-type units matmul_<type>.cc).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/ops.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/vec_ops-inl.h"

#if HWY_ONCE
#include <algorithm>

#include "qforge/core/error.h"
#include "qforge/kernels/dispatch.h"
#include "qforge/kernels/matmul.h"
#include "qforge/kernels/ops.h"

namespace qforge::kernels {
namespace {
// Threads take whole groups of rows: a multiple of every tile height, so tiles stay full.
constexpr int64_t kRowGroup = 8;
// Below about 64K multiply-adds (~5 us on one core) waking another thread costs more than it
// saves, so small products (a 64x64 GEMV) stay on the calling thread.
constexpr int64_t kMinMacsPerThread = 1 << 16;
}  // namespace

HWY_EXPORT(DotImpl);
HWY_EXPORT(RmsNormImpl);
HWY_EXPORT(SoftmaxImpl);
HWY_EXPORT(SwiGluImpl);
HWY_EXPORT(AxpyImpl);
HWY_EXPORT(TargetNameImpl);

void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  QF_CHECK(w.shape.size() == 2);
  QF_CHECK(n_tokens >= 0);
  QF_CHECK(w.shape[1] % Traits(w.type).block_size == 0);  // rows are whole blocks
  const MatMulArgs args{w.data, w.RowStride(), w.type, 0, w.shape[0], w.shape[1], x, n_tokens, y};
  const int64_t groups = (args.out + kRowGroup - 1) / kRowGroup;
  const int64_t macs_per_group = std::max<int64_t>(1, kRowGroup * args.in * n_tokens);
  const int64_t min_groups = std::max<int64_t>(1, kMinMacsPerThread / macs_per_group);
  if (n_tokens == 0) return;
  VisitQType(w.type, [&]<typename T>() {
    pool.ParallelFor(
        groups,
        [&](int64_t begin, int64_t end) {
          MatMulRows<T>(args, begin * kRowGroup, std::min(end * kRowGroup, args.out));
        },
        min_groups);
  });
}

float Dot(const float* a, const float* b, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotImpl)(a, b, n);
}

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  QF_CHECK(n > 0);
  HWY_DYNAMIC_DISPATCH(RmsNormImpl)(x, weight, n, eps, out);
}

void Softmax(float* x, int64_t n) {
  QF_CHECK(n > 0);
  HWY_DYNAMIC_DISPATCH(SoftmaxImpl)(x, n);
}

void SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(SwiGluImpl)(gate, up, n, out);
}

void Axpy(float a, const float* x, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyImpl)(a, x, y, n);
}

const char* ActiveTarget() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

}  // namespace qforge::kernels
#endif  // HWY_ONCE
