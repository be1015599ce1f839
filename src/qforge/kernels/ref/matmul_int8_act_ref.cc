// Scalar references of the W8A8 and LLM.int8() products.
#include "qforge/kernels/ref/matmul_int8_act_ref.h"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"

namespace qforge::kernels::ref {
namespace {

// An INT8 row: f32 scale, then the codes.
float RowScale(const void* row) {
  float d;
  std::memcpy(&d, row, sizeof(d));
  return d;
}
const int8_t* RowCodes(const void* row) {
  return reinterpret_cast<const int8_t*>(static_cast<const std::byte*>(row) + sizeof(float));
}

// Columns with |x[t, i]| >= threshold for some token (none when threshold is 0).
std::vector<int64_t> OutlierColumns(const float* x, int64_t n_tokens, int64_t in, float threshold) {
  std::vector<int64_t> cols;
  if (threshold <= 0) return cols;
  for (int64_t i = 0; i < in; ++i)
    for (int64_t t = 0; t < n_tokens; ++t)
      if (std::fabs(x[t * in + i]) >= threshold) {
        cols.push_back(i);
        break;
      }
  return cols;
}

void Product(const TensorView& w, const float* x, int64_t n_tokens,
             const std::vector<int64_t>& outliers, float* y) {
  QF_CHECK(w.shape.size() == 2);
  const int64_t out = w.shape[0], in = w.shape[1];
  // Activations as INT8 rows, outlier columns zeroed first.
  const size_t stride = RowBytes(QType::kINT8, in);
  std::vector<std::byte> xq(stride * size_t(n_tokens));
  std::vector<float> row(static_cast<size_t>(in));
  for (int64_t t = 0; t < n_tokens; ++t) {
    std::memcpy(row.data(), x + t * in, size_t(in) * sizeof(float));
    for (int64_t c : outliers) row[size_t(c)] = 0.0f;
    QuantizeRowInt8(row.data(), xq.data() + size_t(t) * stride, in);
  }
  for (int64_t o = 0; o < out; ++o) {
    const float d = RowScale(w.Row(o));
    const int8_t* qw = RowCodes(w.Row(o));
    for (int64_t t = 0; t < n_tokens; ++t) {
      const std::byte* xrow = xq.data() + size_t(t) * stride;
      const int8_t* qx = RowCodes(xrow);
      int32_t isum = 0;
      for (int64_t i = 0; i < in; ++i) isum += int32_t(qx[i]) * int32_t(qw[i]);
      const float scale = RowScale(xrow) * d;
      if (outliers.empty()) {
        y[t * out + o] = float(isum) * scale;
        continue;
      }
      float r = 0.0f;
      for (int64_t c : outliers) r = std::fma(x[t * in + c], d * float(qw[c]), r);
      y[t * out + o] = std::fma(float(isum), scale, r);
    }
  }
}

}  // namespace

void MatMulW8A8(const TensorView& w, const float* x, int64_t n_tokens, float* y) {
  Product(w, x, n_tokens, {}, y);
}

void MatMulLlmInt8(const TensorView& w, const float* x, int64_t n_tokens, float threshold,
                   float* y) {
  Product(w, x, n_tokens, OutlierColumns(x, n_tokens, w.shape[1], threshold), y);
}

}  // namespace qforge::kernels::ref
