// MatMul on weights stored in one qforge-native type per family (INT8, INT4_G128_Z, NF4,
// FP8_E4M3; each with a row header or group blocks) against the product of the dequantized
// weights accumulated in f64 here, independently of the kernels and of ref::MatMul.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "qforge/core/qblocks_native.h"
#include "qforge/core/qtype.h"
#include "qforge/core/tensor.h"
#include "qforge/core/thread_pool.h"
#include "qforge/kernels/ops.h"
#include "support/tolerance.h"

namespace qforge::kernels {
namespace {

TEST(NativeMatMul, MatchesDequantizedProduct) {
  const int64_t out = 37, in = 384, tokens = 5;  // 37 rows: not a multiple of any tile height
  std::mt19937 rng(17);
  std::normal_distribution<float> normal;
  std::vector<float> w(size_t(out * in)), x(size_t(tokens * in));
  for (float& v : w) v = 0.05f * normal(rng);
  for (float& v : x) v = normal(rng);
  ThreadPool pool(2);
  for (QType type : {QType::kINT8, QType::kINT4_G128_Z, QType::kNF4, QType::kFP8_E4M3}) {
    const size_t stride = RowBytes(type, in);
    std::vector<std::byte> q(stride * out);
    QuantizeTensor(type, w.data(), out, in, q.data());
    std::vector<float> wd(w.size());
    for (int64_t o = 0; o < out; ++o)
      Traits(type).dequantize_row(q.data() + size_t(o) * stride, wd.data() + o * in, in);
    const TensorView view{"w", type, {out, in}, q.data(), q.size()};
    std::vector<float> y(size_t(tokens * out));
    MatMul(view, x.data(), tokens, y.data(), pool);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t o = 0; o < out; ++o) {
        double sum = 0, sum_abs = 0;
        for (int64_t i = 0; i < in; ++i) {
          const double p = double(wd[size_t(o * in + i)]) * x[size_t(t * in + i)];
          sum += p;
          sum_abs += std::fabs(p);
        }
        // The kernel multiplies the same dequantized f32 weights: only summation order differs.
        EXPECT_NEAR(y[size_t(t * out + o)], sum, test::DotTolerance(sum_abs, in))
            << Traits(type).name << " token " << t << " row " << o;
      }
  }
}

}  // namespace
}  // namespace qforge::kernels
