// QuantizeTensor: whole-tensor quantization, where the per-tensor types (FP8_*_T, NF4_DQ) need
// statistics of all rows; every other type is its traits row codec applied row by row.
#include <algorithm>
#include <cmath>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/core/qblocks_native_util.h"

namespace qforge {
namespace {

// FP8 with one scale per tensor: scale = absmax(tensor) / max, stored in every row's header.
void QuantizeFp8PerTensor(QType type, const float* src, int64_t rows, int64_t cols,
                          std::byte* dst) {
  const int64_t n = rows * cols;
  std::vector<float> buf;
  src = native::FiniteRow(src, n, buf);  // the same non-finite policy, over the whole tensor
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(src[i]));
  const bool e4m3 = type == QType::kFP8_E4M3_T;
  const float scale = amax / (e4m3 ? kE4M3Max : kE5M2Max);
  const size_t stride = RowBytes(type, cols);
  for (int64_t r = 0; r < rows; ++r) {
    if (e4m3)
      QuantizeRowFP8E4M3WithScale(src + r * cols, dst + size_t(r) * stride, cols, scale);
    else
      QuantizeRowFP8E5M2WithScale(src + r * cols, dst + size_t(r) * stride, cols, scale);
  }
}

}  // namespace

bool QuantizesPerTensor(QType type) {
  return type == QType::kFP8_E4M3_T || type == QType::kFP8_E5M2_T || type == QType::kNF4_DQ;
}

void QuantizeTensor(QType type, const float* src, int64_t rows, int64_t cols, void* dst) {
  const QTypeTraits& t = Traits(type);
  if (rows < 0 || cols < 0 || cols % t.block_size != 0)
    Fail(ErrorKind::kInvalidInput, "cannot quantize a [{}, {}] tensor to {} (blocks of {})", rows,
         cols, t.name, t.block_size);
  if (!t.quantize_row)
    Fail(ErrorKind::kUnsupported, "{} needs a quantization method, not plain rounding", t.name);
  auto* out = static_cast<std::byte*>(dst);
  if (type == QType::kFP8_E4M3_T || type == QType::kFP8_E5M2_T)
    return QuantizeFp8PerTensor(type, src, rows, cols, out);
  if (type == QType::kNF4_DQ) return QuantizeTensorNF4DQ(src, rows, cols, out);
  const size_t stride = RowBytes(type, cols);
  for (int64_t r = 0; r < rows; ++r) t.quantize_row(src + r * cols, out + size_t(r) * stride, cols);
}

}  // namespace qforge
