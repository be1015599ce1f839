// W8A8 and LLM.int8() MatMul: argument checks, outlier columns, per-token activation quantization
// and the threads; the rows are matmul_int8_act-inl.h, compiled here for every Highway target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qforge/kernels/matmul_int8_act.cc"
// Highway 1.0.3 compiles AVX3_DL (AVX-512 with VNNI) only on request; this unit asks for it so
// that its VNNI kernel exists. The request is local: other units keep their target lists.
#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL
#endif
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "qforge/core/qblocks_native.h"
#include "qforge/kernels/matmul_int8_act-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void Int8ActRowsT(const Int8ActArgs& a, int64_t begin, int64_t end) {
  int8_act::Rows(a, begin, end);
}
// One token's INT8 row: vectorized, or core's row codec for a row with NaN or Inf.
void QuantizeTokenT(const float* x, int64_t in, std::byte* dst) {
  if (!int8_act::QuantizeFiniteRow(x, in, dst)) QuantizeRowInt8(x, dst, in);
}
const char* Int8ActTargetT() { return hwy::TargetName(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/kernels/matmul_int8_act.h"

namespace qforge::kernels {
HWY_EXPORT(Int8ActRowsT);
HWY_EXPORT(QuantizeTokenT);
HWY_EXPORT(Int8ActTargetT);

namespace {
// As ops.cc: threads take groups of 8 rows (a multiple of the tile height), and keep at least
// 64K multiply-adds each, below which waking a thread costs more than it saves.
constexpr int64_t kRowGroup = 8;
constexpr int64_t kMinMacsPerThread = 1 << 16;

std::atomic<float> g_threshold{kLlmInt8DefaultThreshold};
std::atomic<int64_t> g_outlier_columns{0}, g_columns{0};

// Columns with |x[t, i]| >= threshold for some token, in increasing order (none for threshold 0).
std::vector<int64_t> OutlierColumns(const float* x, int64_t n_tokens, int64_t in, float threshold) {
  std::vector<int64_t> cols;
  if (threshold <= 0) return cols;
  std::vector<char> is_outlier(size_t(in), 0);
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t i = 0; i < in; ++i)
      if (std::fabs(x[t * in + i]) >= threshold) is_outlier[size_t(i)] = 1;
  for (int64_t i = 0; i < in; ++i)
    if (is_outlier[size_t(i)]) cols.push_back(i);
  return cols;
}

// Each token's row, outlier columns zeroed, as an INT8 row (per-token absmax scale).
void QuantizeTokens(const float* x, int64_t n_tokens, int64_t in,
                    const std::vector<int64_t>& outliers, std::vector<std::byte>& xq, size_t stride,
                    ThreadPool& pool) {
  pool.ParallelFor(
      n_tokens,
      [&](int64_t begin, int64_t end) {
        std::vector<float> row(outliers.empty() ? 0 : size_t(in));
        for (int64_t t = begin; t < end; ++t) {
          const float* src = x + t * in;
          if (!outliers.empty()) {
            std::memcpy(row.data(), src, size_t(in) * sizeof(float));
            for (int64_t c : outliers) row[size_t(c)] = 0.0f;
            src = row.data();
          }
          HWY_DYNAMIC_DISPATCH(QuantizeTokenT)(src, in, xq.data() + size_t(t) * stride);
        }
      },
      std::max<int64_t>(1, kMinMacsPerThread / in));
}
}  // namespace

bool IsInt8ActType(QType type) { return type == QType::kW8A8 || type == QType::kLLM_INT8; }

void MatMulInt8Act(const TensorView& w, const float* x, int64_t n_tokens, float* y,
                   ThreadPool& pool) {
  QF_CHECK(w.shape.size() == 2 && IsInt8ActType(w.type) && n_tokens >= 0);
  const int64_t out = w.shape[0], in = w.shape[1];
  if (in > kInt8ActMaxIn)
    Fail(ErrorKind::kInvalidInput,
         "{}: {} rows of {} elements exceed the {} whose int8 products sum exactly in int32",
         w.name, Traits(w.type).name, in, kInt8ActMaxIn);
  if (n_tokens == 0 || out == 0) return;
  std::vector<int64_t> outliers;
  if (w.type == QType::kLLM_INT8) {
    outliers = OutlierColumns(x, n_tokens, in, LlmInt8Threshold());
    g_outlier_columns += int64_t(outliers.size());
    g_columns += in;
  }
  const size_t stride = RowBytes(QType::kINT8, in);
  std::vector<std::byte> xq(stride * size_t(n_tokens));
  QuantizeTokens(x, n_tokens, in, outliers, xq, stride, pool);
  const Int8ActArgs args{w.data,
                         w.RowStride(),
                         out,
                         in,
                         xq.data(),
                         stride,
                         n_tokens,
                         x,
                         outliers.data(),
                         int64_t(outliers.size()),
                         y};
  const int64_t groups = (out + kRowGroup - 1) / kRowGroup;
  const int64_t macs_per_group = std::max<int64_t>(1, kRowGroup * in * n_tokens);
  pool.ParallelFor(
      groups,
      [&](int64_t begin, int64_t end) {
        HWY_DYNAMIC_DISPATCH(Int8ActRowsT)(args, begin * kRowGroup, std::min(end * kRowGroup, out));
      },
      std::max<int64_t>(1, kMinMacsPerThread / macs_per_group));
}

void SetLlmInt8Threshold(float threshold) {
  if (!(threshold >= 0.0f))  // also rejects NaN
    Fail(ErrorKind::kInvalidInput, "LLM.int8() threshold must be >= 0 (0: no outliers), got {}",
         threshold);
  g_threshold = threshold;
}

float LlmInt8Threshold() { return g_threshold; }

LlmInt8Counters GetLlmInt8Counters() { return {g_outlier_columns, g_columns}; }

void ResetLlmInt8Counters() {
  g_outlier_columns = 0;
  g_columns = 0;
}

const char* Int8ActTarget() { return HWY_DYNAMIC_DISPATCH(Int8ActTargetT)(); }

}  // namespace qforge::kernels
#endif  // HWY_ONCE
