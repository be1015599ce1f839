// Kernel entry points: argument checks, threading, and runtime dispatch to the Highway kernels
// (vec_ops-inl.h here; MatMul through the per-type units matmul_<type>.cc).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/ops.cc"
// AVX3_DL too, as the quantized MatMul units (matmul_qdot_*.cc): ActiveTarget() then names the
// target their VNNI kernels run on, which the tests check.
#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL
#endif
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/kernels/vec_ops-inl.h"

#if HWY_ONCE
#include <algorithm>
#include <cstddef>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/kernels/dispatch.h"
#include "qforge/kernels/matmul.h"
#include "qforge/kernels/matmul_int8_act.h"
#include "qforge/kernels/matmul_qdot.h"
#include "qforge/kernels/ops.h"
#include "qforge/kernels/quantize_act.h"
#include "qforge/kernels/vec_dot.h"

namespace qforge::kernels {
namespace {
// Threads take whole groups of rows: a multiple of every tile height, so tiles stay full.
constexpr int64_t kRowGroup = 8;
// Below about 64K multiply-adds (~5 us on one core) waking another thread costs more than it
// saves, so small products (a 64x64 GEMV) stay on the calling thread.
constexpr int64_t kMinMacsPerThread = 1 << 16;

// From this many tokens on, a quantized MatMul multiplies the dequantized weights by the
// dequantized 8-bit activations with the f32 GEMM instead of taking integer dot products: the
// same values up to f32 rounding, and the tiled f32 kernel is faster once the cost of dequantizing
// the weights is shared by enough tokens. Measured on one AVX-512 core (768x256 and 2048x2048):
// the integer path is 3-9x faster for 1 token and ~2x slower for 256 (Q6_K: about even); the
// break-even is 6-30 tokens for Q8_0, Q4_0 and Q4_K.
constexpr int64_t kDequantizedMinTokens = 32;

// Weight types with an integer dot product multiply 8-bit activations (vec_dot.h): quantize every
// token's row once, before the threads split the weight rows, so all of them share it. Tokens are
// independent, so splitting them across threads changes nothing in the result. The rows are the
// bytes of core's scalar quantize_row, vectorized (quantize_act.h).
void QuantizeActivations(const VecDotTraits& q, MatMulArgs& args, std::vector<std::byte>& xq,
                         ThreadPool& pool) {
  args.xq_stride = RowBytes(q.act, args.in);
  xq.resize(args.xq_stride * size_t(args.n_tokens));
  pool.ParallelFor(
      args.n_tokens,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
          QuantizeActivationRow(q.act, args.x + size_t(t * args.in),
                                xq.data() + size_t(t) * args.xq_stride, args.in);
      },
      std::max<int64_t>(1, kMinMacsPerThread / args.in));
  args.xq = xq.data();
}
}  // namespace

HWY_EXPORT(DotImpl);
HWY_EXPORT(RmsNormImpl);
HWY_EXPORT(SoftmaxImpl);
HWY_EXPORT(SwiGluImpl);
HWY_EXPORT(AxpyImpl);
HWY_EXPORT(AttendHeadImpl);
HWY_EXPORT(TargetNameImpl);

void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  QF_CHECK(w.shape.size() == 2);
  QF_CHECK(n_tokens >= 0);
  QF_CHECK(w.shape[1] % Traits(w.type).block_size == 0);  // rows are whole blocks
  MatMulArgs args{w.data, w.RowStride(), w.type, 0, w.shape[0], w.shape[1], x, n_tokens, y};
  const int64_t groups = (args.out + kRowGroup - 1) / kRowGroup;
  const int64_t macs_per_group = std::max<int64_t>(1, kRowGroup * args.in * n_tokens);
  const int64_t min_groups = std::max<int64_t>(1, kMinMacsPerThread / macs_per_group);
  if (n_tokens == 0) return;
  const auto run = [&]<typename T>() {
    pool.ParallelFor(
        groups,
        [&](int64_t begin, int64_t end) {
          MatMulRows<T>(args, begin * kRowGroup, std::min(end * kRowGroup, args.out));
        },
        min_groups);
  };
  // W8A8 and LLM_INT8 multiply per-token int8 activations (matmul_int8_act.h).
  if (IsInt8ActType(w.type)) return MatMulInt8Act(w, x, n_tokens, y, pool);
  // The vec_dot table decides which block types take the integer path; the rest (f32, f16, bf16,
  // block types without a dot product) go through the one bridge to their storage type.
  if (const VecDotTraits* q = FindVecDot(w.type)) {
    // Reused by every call on this thread: decode makes hundreds of MatMul calls per token.
    thread_local std::vector<std::byte> xq;
    QuantizeActivations(*q, args, xq, pool);
    // Q8_1 (Q4_1, Q5_1) applies the weight mins through its field s = f16(d sum(q)), rounded
    // differently from the codes' d: a dequantized x cannot carry that, so they stay integer.
    // Types whose rows are a tiled integer GEMM on this CPU (VNNI) stay integer at any count.
    if (n_tokens < kDequantizedMinTokens || q->act == QType::kQ8_1 || QDotGemm(w.type))
      return run.template operator()<QDotRows>();
    // x rounded as ggml rounds it: dequantize(quantize(x)), exact for Q8_0/Q8_1 (f16 d times an
    // int8), one rounding for Q8_K (f32 d).
    std::vector<float> rounded(size_t(n_tokens * args.in));
    const DequantizeRowFn dequantize = Traits(q->act).dequantize_row;
    for (int64_t t = 0; t < n_tokens; ++t)
      dequantize(xq.data() + size_t(t) * args.xq_stride, &rounded[size_t(t * args.in)], args.in);
    args.x = rounded.data();
    VisitQType(w.type, run);
  } else {
    VisitQType(w.type, run);
  }
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

void AttendHead(const float* q, const float* k, const float* v, int64_t stride, int64_t length,
                int64_t head_dim, float scale, float* scores, float* out) {
  QF_CHECK(length > 0 && head_dim > 0 && stride >= head_dim);
  HWY_DYNAMIC_DISPATCH(AttendHeadImpl)(q, k, v, stride, length, head_dim, scale, scores, out);
}

const char* ActiveTarget() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

}  // namespace qforge::kernels
#endif  // HWY_ONCE
