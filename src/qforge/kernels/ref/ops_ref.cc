// Scalar reference kernels.
#include "qforge/kernels/ref/ops_ref.h"

#include <cmath>
#include <cstddef>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/kernels/matmul_int8_act.h"
#include "qforge/kernels/ref/matmul_int8_act_ref.h"
#include "qforge/kernels/vec_dot.h"

namespace qforge::kernels::ref {

namespace {
// Block types with an integer dot product: activations quantized as ggml does (vec_dot.h).
void QuantizedMatMul(const VecDotTraits& q, const TensorView& w, const float* x, int64_t n_tokens,
                     float* y) {
  const int64_t out = w.shape[0], in = w.shape[1];
  const size_t stride = RowBytes(q.act, in);
  std::vector<std::byte> xq(stride * size_t(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t)
    Traits(q.act).quantize_row(x + t * in, xq.data() + size_t(t) * stride, in);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t t = 0; t < n_tokens; ++t)
      y[t * out + o] = VecDotRef(q, w.Row(o), xq.data() + size_t(t) * stride, in);
}
}  // namespace

void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y) {
  QF_CHECK(w.shape.size() == 2);
  if (const VecDotTraits* q = FindVecDot(w.type)) return QuantizedMatMul(*q, w, x, n_tokens, y);
  if (w.type == QType::kW8A8) return MatMulW8A8(w, x, n_tokens, y);
  if (w.type == QType::kLLM_INT8) return MatMulLlmInt8(w, x, n_tokens, LlmInt8Threshold(), y);
  const int64_t out = w.shape[0], in = w.shape[1];
  std::vector<float> row(static_cast<size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    Traits(w.type).dequantize_row(w.Row(o), row.data(), in);
    for (int64_t t = 0; t < n_tokens; ++t) {
      double sum = 0;
      for (int64_t i = 0; i < in; ++i) sum += double(row[size_t(i)]) * double(x[t * in + i]);
      y[t * out + o] = float(sum);
    }
  }
}

float Dot(const float* a, const float* b, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += double(a[i]) * double(b[i]);
  return float(sum);
}

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += double(x[i]) * double(x[i]);
  const float scale = float(1.0 / std::sqrt(ss / double(n) + double(eps)));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void Softmax(float* x, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = float(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void Axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void AttendHead(const float* q, const float* k, const float* v, int64_t stride, int64_t length,
                int64_t head_dim, float scale, float* scores, float* out) {
  for (int64_t j = 0; j < length; ++j) {
    double dot = 0;
    for (int64_t d = 0; d < head_dim; ++d) dot += double(q[d]) * k[j * stride + d];
    scores[j] = float(dot) * scale;
  }
  Softmax(scores, length);
  for (int64_t d = 0; d < head_dim; ++d) {
    double sum = 0;
    for (int64_t j = 0; j < length; ++j) sum += double(scores[j]) * v[j * stride + d];
    out[d] = float(sum);
  }
}

}  // namespace qforge::kernels::ref
