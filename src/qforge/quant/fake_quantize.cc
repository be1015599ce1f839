#include "qforge/quant/fake_quantize.h"

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/core/tensor.h"
#include "qforge/kernels/ops.h"

namespace qforge::quant {

std::vector<std::byte> QuantizeMatrix(QType type, const float* w, int64_t rows, int64_t cols,
                                      ThreadPool& pool) {
  const QTypeTraits& t = Traits(type);
  if (t.quantize_row == nullptr)
    Fail(ErrorKind::kUnsupported, "type {} has no round-to-nearest quantizer", t.name);
  const size_t stride = RowBytes(type, cols);
  std::vector<std::byte> bytes(stride * size_t(rows));
  if (QuantizesPerTensor(type)) {
    QuantizeTensor(type, w, rows, cols, bytes.data());
    return bytes;
  }
  pool.ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
          t.quantize_row(w + r * cols, bytes.data() + size_t(r) * stride, cols);
      },
      /*min_per_thread=*/16);
  return bytes;
}

std::vector<float> DequantizeMatrix(QType type, const std::byte* bytes, int64_t rows,
                                    int64_t cols) {
  std::vector<float> out(size_t(rows * cols));
  const size_t stride = RowBytes(type, cols);
  for (int64_t r = 0; r < rows; ++r)
    Traits(type).dequantize_row(bytes + size_t(r) * stride, &out[size_t(r * cols)], cols);
  return out;
}

void FakeQuantize(QType type, const float* w, int64_t rows, int64_t cols, float* out,
                  ThreadPool& pool) {
  const std::vector<std::byte> bytes = QuantizeMatrix(type, w, rows, cols, pool);
  const size_t stride = RowBytes(type, cols);
  for (int64_t r = 0; r < rows; ++r)
    Traits(type).dequantize_row(bytes.data() + size_t(r) * stride, out + r * cols, cols);
}

std::vector<float> MultiplyTransposed(const float* x, int64_t tokens, const float* w, int64_t rows,
                                      int64_t cols, ThreadPool& pool) {
  TensorView view{"w", QType::kF32, {rows, cols}, reinterpret_cast<const std::byte*>(w),
                  size_t(rows * cols) * sizeof(float)};
  std::vector<float> y(size_t(tokens * rows));
  kernels::MatMul(view, x, tokens, y.data(), pool);
  return y;
}

}  // namespace qforge::quant
