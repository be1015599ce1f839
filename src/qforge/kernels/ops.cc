// Kernel entry points. Scalar placeholder routing to the reference until the Highway
// implementations land (kernels/*-inl.h).
#include "qforge/kernels/ops.h"

#include "qforge/core/error.h"
#include "qforge/kernels/ref/ops_ref.h"

#include <vector>

namespace qforge::kernels {

void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  QF_CHECK(w.shape.size() == 2);
  const int64_t out = w.shape[0], in = w.shape[1];
  pool.ParallelFor(out, [&](int64_t begin, int64_t end) {
    TensorView part = w;
    part.shape[0] = end - begin;
    part.data = w.Row(begin);
    std::vector<float> y_part(size_t(n_tokens * (end - begin)));
    ref::MatMul(part, x, n_tokens, y_part.data());
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t o = begin; o < end; ++o) y[t * out + o] = y_part[size_t(t * (end - begin) + o - begin)];
  }, 16);
  (void)in;
}

float Dot(const float* a, const float* b, int64_t n) { return ref::Dot(a, b, n); }
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  ref::RmsNorm(x, weight, n, eps, out);
}
void Softmax(float* x, int64_t n) { ref::Softmax(x, n); }
void SwiGlu(const float* gate, const float* up, int64_t n, float* out) { ref::SwiGlu(gate, up, n, out); }
void Axpy(float a, const float* x, float* y, int64_t n) { ref::Axpy(a, x, y, n); }

}  // namespace qforge::kernels
