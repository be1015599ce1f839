// QuantizeRowWeighted on synthetic rows: which types have a weighted search, edge cases (zero rows,
// zero importance), invariance to the importance's scale, and that concentrating the importance on
// some columns lowers their error. Bit-exactness against ggml is tests/calib/imatrix_llamacpp_test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "qforge/core/qblocks_weighted.h"
#include "qforge/core/qtype.h"

namespace qforge {
namespace {

constexpr QType kWeighted[] = {QType::kQ2_K, QType::kQ3_K,  QType::kQ4_K, QType::kQ5_K,
                               QType::kQ6_K, QType::kQ4_0,  QType::kQ4_1, QType::kQ5_0,
                               QType::kQ5_1, QType::kIQ4_NL};
constexpr int64_t kCols = 512;  // two k-quant super-blocks, 16 legacy blocks

// A deterministic heavy-tailed row (sum of 4 uniforms, cubed a little): weights-like values.
std::vector<float> Row(uint32_t seed, int64_t n) {
  std::vector<float> x(static_cast<size_t>(n));
  uint32_t s = seed;
  for (float& v : x) {
    float u = 0;
    for (int k = 0; k < 4; ++k) {
      s = s * 1664525u + 1013904223u;
      u += float(s >> 8) / float(1 << 24) - 0.5f;
    }
    v = 0.05f * (u + 0.3f * u * u * u);
  }
  return x;
}

std::vector<float> Dequantize(QType type, const std::vector<std::byte>& q, int64_t n) {
  std::vector<float> back(static_cast<size_t>(n));
  Traits(type).dequantize_row(q.data(), back.data(), n);
  return back;
}

TEST(WeightedQuant, OnlyGgmlsWeightedTypes) {
  for (QType t : kWeighted) EXPECT_TRUE(HasWeightedQuantizer(t)) << Traits(t).name;
  for (size_t i = 0; i < kQTypeCount; ++i) {
    const QType t = QType(i);
    bool listed = false;
    for (QType w : kWeighted) listed |= w == t;
    if (listed) continue;
    EXPECT_FALSE(HasWeightedQuantizer(t)) << Traits(t).name;
    // Nothing is written: the caller falls back to the type's own quantizer.
    std::vector<std::byte> dst(64, std::byte{0xAB});
    const std::vector<float> x(256, 1.0f), imp(256, 1.0f);
    EXPECT_FALSE(QuantizeRowWeighted(t, x.data(), dst.data(), 256, imp.data()));
    for (std::byte b : dst) ASSERT_EQ(b, std::byte{0xAB}) << Traits(t).name;
  }
}

TEST(WeightedQuant, ZeroRowsAndZeroImportanceStayFinite) {
  const std::vector<float> zeros(kCols, 0.0f), x = Row(7, kCols), no_importance(kCols, 0.0f),
                                               ones(kCols, 1.0f);
  for (QType t : kWeighted) {
    std::vector<std::byte> q(RowBytes(t, kCols));
    ASSERT_TRUE(QuantizeRowWeighted(t, zeros.data(), q.data(), kCols, ones.data()));
    for (float v : Dequantize(t, q, kCols)) ASSERT_EQ(v, 0.0f) << Traits(t).name;
    // All-zero importance: every least-squares system is singular; ggml keeps its first guess.
    ASSERT_TRUE(QuantizeRowWeighted(t, x.data(), q.data(), kCols, no_importance.data()));
    for (float v : Dequantize(t, q, kCols)) ASSERT_TRUE(std::isfinite(v)) << Traits(t).name;
  }
}

// Only ratios of importance matter: multiplying it by 4 scales every weighted sum by exactly 4 (or
// 16 for the determinants), which changes no comparison and no fitted scale.
TEST(WeightedQuant, ImportanceScaleByPowerOfTwoLeavesBytesUnchanged) {
  const std::vector<float> x = Row(11, kCols);
  std::vector<float> imp(kCols), imp4(kCols);
  for (int64_t j = 0; j < kCols; ++j) {
    imp[size_t(j)] = 0.25f + float((j * 37) % 17);
    imp4[size_t(j)] = 4 * imp[size_t(j)];
  }
  for (QType t : kWeighted) {
    std::vector<std::byte> a(RowBytes(t, kCols)), b(RowBytes(t, kCols));
    QuantizeRowWeighted(t, x.data(), a.data(), kCols, imp.data());
    QuantizeRowWeighted(t, x.data(), b.data(), kCols, imp4.data());
    EXPECT_EQ(a, b) << Traits(t).name;
  }
}

// Columns 100x more important than the rest come out closer to the input than with the reference
// quantizer (summed over 64 rows, so one unlucky block cannot decide).
TEST(WeightedQuant, ImportantColumnsGetLowerError) {
  std::vector<float> imp(kCols, 1.0f);
  for (int64_t j = 0; j < kCols; j += 8) imp[size_t(j)] = 100.0f;
  for (QType t : kWeighted) {
    double err_weighted = 0, err_reference = 0;
    for (uint32_t r = 0; r < 64; ++r) {
      const std::vector<float> x = Row(100 + r, kCols);
      std::vector<std::byte> qw(RowBytes(t, kCols)), qr(RowBytes(t, kCols));
      QuantizeRowWeighted(t, x.data(), qw.data(), kCols, imp.data());
      Traits(t).quantize_row(x.data(), qr.data(), kCols);
      const std::vector<float> bw = Dequantize(t, qw, kCols), br = Dequantize(t, qr, kCols);
      for (int64_t j = 0; j < kCols; j += 8) {
        err_weighted += std::pow(double(x[size_t(j)]) - bw[size_t(j)], 2);
        err_reference += std::pow(double(x[size_t(j)]) - br[size_t(j)], 2);
      }
    }
    EXPECT_LT(err_weighted, err_reference) << Traits(t).name;
  }
}

}  // namespace
}  // namespace qforge
