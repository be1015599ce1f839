// GPTQ against known answers: with uncorrelated inputs (diagonal H) the error feedback is zero and
// GPTQ is round-to-nearest byte for byte; on a small layer whose optimum is found by exhaustive
// search, GPTQ lands between the optimum and RTN; damping rescues a singular H; act-order keeps
// the contiguous groups the storage types need.
#include "qforge/quant/gptq.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "qforge/core/error.h"

namespace qforge::quant {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float sigma = 0.05f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

// H = 2/N X^T X for inputs X [n, cols] with correlated channels: x = z A.
std::vector<double> CorrelatedHessian(int64_t cols, int64_t tokens, uint32_t seed) {
  const std::vector<float> z = Random(size_t(tokens * cols), seed, 1.0f);
  const std::vector<float> a = Random(size_t(cols * cols), seed + 1, 1.0f);
  std::vector<double> x(size_t(tokens * cols), 0.0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t j = 0; j < cols; ++j)
      for (int64_t k = 0; k < cols; ++k) x[size_t(t * cols + j)] += z[size_t(t * cols + k)] * a[size_t(k * cols + j)];
  std::vector<double> h(size_t(cols * cols), 0.0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j) h[size_t(i * cols + j)] += 2.0 / tokens * x[size_t(t * cols + i)] * x[size_t(t * cols + j)];
  return h;
}

// (w - q)^T H (w - q) per row, summed: proportional to ||W X - W' X||^2.
double OutputError(const std::vector<float>& w, const std::vector<float>& q, int64_t rows, int64_t cols,
                   const std::vector<double>& h) {
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        total += (double(w[size_t(r * cols + i)]) - q[size_t(r * cols + i)]) * h[size_t(i * cols + j)] *
                 (double(w[size_t(r * cols + j)]) - q[size_t(r * cols + j)]);
  return total;
}

std::vector<float> Dequantize(QType type, const std::vector<std::byte>& bytes, int64_t rows, int64_t cols) {
  std::vector<float> out(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    Traits(type).dequantize_row(bytes.data() + size_t(r) * RowBytes(type, cols), &out[size_t(r * cols)], cols);
  return out;
}

std::vector<std::byte> Rtn(QType type, const std::vector<float>& w, int64_t rows, int64_t cols) {
  std::vector<std::byte> out(RowBytes(type, cols) * size_t(rows));
  for (int64_t r = 0; r < rows; ++r)
    Traits(type).quantize_row(&w[size_t(r * cols)], out.data() + size_t(r) * RowBytes(type, cols), cols);
  return out;
}

TEST(Gptq, DiagonalHessianIsRoundToNearest) {
  const int64_t rows = 16, cols = 256;
  const std::vector<float> w = Random(size_t(rows * cols), 1);
  std::vector<double> h(size_t(cols * cols), 0.0);
  for (int64_t j = 0; j < cols; ++j) h[size_t(j * cols + j)] = 0.5 + 0.01 * double(j);
  for (QType type : {QType::kINT4_G32, QType::kINT4_G128_Z, QType::kINT3_ROW, QType::kINT8}) {
    const GptqResult g = GptqQuantize(w.data(), rows, cols, h, *LinearGrid::For(type), {});
    EXPECT_EQ(g.bytes, Rtn(type, w, rows, cols)) << Traits(type).name;
  }
}

// One row of 8 weights on a fixed 2-bit grid (INT2_ROW: the grid comes from the whole row before
// any update): all 4^8 code vectors are tried to find the exact optimum of (w-q)^T H (w-q).
TEST(Gptq, SmallLayerBetweenOptimumAndRtn) {
  const int64_t cols = 8;
  const std::vector<double> h = CorrelatedHessian(cols, 64, 5);
  const auto grid = *LinearGrid::For(QType::kINT2_ROW);
  double sum_gptq = 0, sum_rtn = 0, sum_best = 0;
  for (uint32_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> w = Random(size_t(cols), 100 + seed);
    GptqOptions opts;
    opts.damp_percent = 0.0;  // exact H: the optimum below uses it too
    opts.damp_auto_increment = 0.0;
    const GptqResult g = GptqQuantize(w.data(), 1, cols, h, grid, opts);
    const double e_gptq = OutputError(w, Dequantize(QType::kINT2_ROW, g.bytes, 1, cols), 1, cols, h);
    const double e_rtn =
        OutputError(w, Dequantize(QType::kINT2_ROW, Rtn(QType::kINT2_ROW, w, 1, cols), 1, cols), 1, cols, h);
    const GroupGrid gg = grid.Find(w);
    double best = INFINITY;
    std::vector<float> q(static_cast<size_t>(cols));
    for (int code = 0; code < (1 << (2 * cols)); ++code) {
      for (int64_t j = 0; j < cols; ++j) q[size_t(j)] = grid.Value((code >> (2 * j)) & 3, gg);
      best = std::min(best, OutputError(w, q, 1, cols, h));
    }
    EXPECT_GE(e_gptq, best * (1 - 1e-9));
    sum_gptq += e_gptq;
    sum_rtn += e_rtn;
    sum_best += best;
  }
  // Measured: GPTQ 0.73 of RTN's error, the optimum 0.60 (20 random rows).
  EXPECT_LT(sum_gptq, 0.9 * sum_rtn);
  RecordProperty("gptq_over_rtn", std::to_string(sum_gptq / sum_rtn));
  RecordProperty("optimum_over_rtn", std::to_string(sum_best / sum_rtn));
  std::printf("GPTQ/RTN %.3f, optimum/RTN %.3f\n", sum_gptq / sum_rtn, sum_best / sum_rtn);
}

TEST(Gptq, CorrelatedInputsBeatRtnForEveryType) {
  const int64_t rows = 32, cols = 128;
  const std::vector<double> h = CorrelatedHessian(cols, 512, 9);
  const std::vector<float> w = Random(size_t(rows * cols), 2);
  for (QType type : {QType::kQ4_0, QType::kQ4_1, QType::kQ5_0, QType::kQ8_0, QType::kINT4_G128,
                     QType::kINT4_G32_Z, QType::kINT3_G64, QType::kINT2_G32_Z, QType::kINT4_ROW, QType::kINT8}) {
    for (bool act_order : {false, true}) {
      GptqOptions opts;
      opts.act_order = act_order;
      const GptqResult g = GptqQuantize(w.data(), rows, cols, h, *LinearGrid::For(type), opts);
      const double e = OutputError(w, Dequantize(type, g.bytes, rows, cols), rows, cols, h);
      const double e_rtn = OutputError(w, Dequantize(type, Rtn(type, w, rows, cols), rows, cols), rows, cols, h);
      EXPECT_LT(e, e_rtn) << Traits(type).name << (act_order ? " act-order" : "");
    }
  }
}

TEST(Gptq, DeadColumnsAndSingularHessian) {
  const int64_t rows = 4, cols = 64;
  const std::vector<float> w = Random(size_t(rows * cols), 4);
  // Rank one: every input is the same signal; column 5 never fires.
  std::vector<double> h(size_t(cols * cols), 1.0);
  for (int64_t j = 0; j < cols; ++j) h[size_t(5 * cols + j)] = h[size_t(j * cols + 5)] = 0.0;
  GptqOptions opts;
  opts.damp_percent = 0.0;  // singular: the factorisation needs the automatic increase
  const GptqResult g = GptqQuantize(w.data(), rows, cols, h, *LinearGrid::For(QType::kINT4_G32), opts);
  EXPECT_EQ(g.dead_columns, 1);
  EXPECT_GT(g.damp_used, 0.0);
  const std::vector<float> q = Dequantize(QType::kINT4_G32, g.bytes, rows, cols);
  for (int64_t r = 0; r < rows; ++r) EXPECT_EQ(q[size_t(r * cols + 5)], 0.0f);
  opts.damp_auto_increment = 0.0;
  EXPECT_THROW(GptqQuantize(w.data(), rows, cols, h, *LinearGrid::For(QType::kINT4_G32), opts), Error);
}

TEST(Gptq, DeterministicBytes) {
  const int64_t rows = 8, cols = 128;
  const std::vector<double> h = CorrelatedHessian(cols, 256, 3);
  const std::vector<float> w = Random(size_t(rows * cols), 8);
  const auto grid = *LinearGrid::For(QType::kQ4_0);
  EXPECT_EQ(GptqQuantize(w.data(), rows, cols, h, grid, {}).bytes,
            GptqQuantize(w.data(), rows, cols, h, grid, {}).bytes);
}

}  // namespace
}  // namespace qforge::quant
