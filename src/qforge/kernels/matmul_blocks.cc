// MatMul over block-quantized weights. qforge's native types (INT*, NF4, FP4, FP8) have SIMD
// kernels (matmul_native.h: fused dequantize-dot for decode, SIMD dequantize + f32 GEMM for
// prefill). The rest (ggml block types reached without an integer dot product) dequantize a group
// of rows to f32 with the scalar codec, then run the f32 kernel.
#include <algorithm>
#include <vector>

#include "qforge/core/qtype.h"
#include "qforge/kernels/matmul.h"
#include "qforge/kernels/matmul_native.h"

namespace qforge::kernels {
namespace {
// Rows dequantized at once: a multiple of the GEMV and GEMM tile heights (8 and 4) so the f32
// kernel's tiles stay full, and 8 rows of a 16K-wide layer (512 KB) still fit in L2.
constexpr int64_t kDequantRows = 8;
}  // namespace

void MatMulRowsScalarDequant(const MatMulArgs& a, int64_t begin, int64_t end) {
  const DequantizeRowFn dequantize = Traits(a.type).dequantize_row;
  // Per call, hence per thread: ParallelFor hands each thread its own row range.
  std::vector<float> buf(size_t(kDequantRows * a.in));
  MatMulArgs f32 = a;
  f32.type = QType::kF32;
  f32.w = buf.data();
  f32.w_stride = size_t(a.in) * sizeof(float);
  for (int64_t o0 = begin; o0 < end; o0 += kDequantRows) {
    const int64_t o1 = std::min(end, o0 + kDequantRows);
    for (int64_t o = o0; o < o1; ++o)
      dequantize(static_cast<const char*>(a.w) + size_t(o) * a.w_stride,
                 buf.data() + size_t((o - o0) * a.in), a.in);
    f32.w_first_row = o0;
    // Each output's f32 sum depends only on its row and token (matmul-inl.h), not on o0.
    MatMulRows<float>(f32, o0, o1);
  }
}

template <>
void MatMulRows<BlockRows>(const MatMulArgs& a, int64_t begin, int64_t end) {
  if (const NativeKernel k = FindNativeKernel(a.type); k.rows)
    return k.rows(a, begin, end, NativePath::kAuto);
  MatMulRowsScalarDequant(a, begin, end);
}

}  // namespace qforge::kernels
