// The fixed per-group grids GPTQ rounds onto: packed rows decode (through each type's reference
// dequantize_row, itself tested against ggml) to exactly the values the grid promised, and the
// grid of a group is the one the type's own round-to-nearest quantizer picks.
#include "qforge/quant/linear_grid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace qforge::quant {
namespace {

std::vector<float> RandomRow(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

const QType kTypes[] = {QType::kQ4_0,       QType::kQ4_1,       QType::kQ5_0,     QType::kQ5_1,
                        QType::kQ8_0,       QType::kINT8,       QType::kINT4_G32, QType::kINT4_G128_Z,
                        QType::kINT3_G64,   QType::kINT2_G128_Z, QType::kINT4_ROW, QType::kINT3_ROW_Z,
                        QType::kW8A8};

TEST(LinearGrid, PackedRowsDecodeToTheGridValues) {
  const int64_t n = 256;
  for (QType type : kTypes) {
    const auto grid = LinearGrid::For(type);
    ASSERT_TRUE(grid) << Traits(type).name;
    const std::vector<float> x = RandomRow(n, 7);
    const int64_t g = grid->group() > 0 ? grid->group() : n;
    std::vector<GroupGrid> grids;
    std::vector<int16_t> codes(static_cast<size_t>(n));
    std::vector<float> expected(static_cast<size_t>(n));
    for (int64_t b = 0; b < n / g; ++b) {
      grids.push_back(grid->Find({&x[size_t(b * g)], size_t(g)}));
      for (int64_t i = b * g; i < (b + 1) * g; ++i) {
        codes[size_t(i)] = int16_t(grid->Code(x[size_t(i)], grids.back()));
        expected[size_t(i)] = grid->Value(codes[size_t(i)], grids.back());
      }
    }
    std::vector<std::byte> bytes(RowBytes(type, n));
    grid->PackRow(codes, grids, bytes.data());
    std::vector<float> back(static_cast<size_t>(n));
    Traits(type).dequantize_row(bytes.data(), back.data(), n);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(back[size_t(i)], expected[size_t(i)]) << Traits(type).name << " element " << i;
  }
}

// Rounding each value onto its group's grid is round-to-nearest: within half a step (plus the
// clamp at the ends of the range, which only the asymmetric min/max grids reach exactly).
TEST(LinearGrid, CodesAreTheNearestGridPoint) {
  const int64_t n = 256;
  for (QType type : kTypes) {
    const auto grid = LinearGrid::For(type);
    const std::vector<float> x = RandomRow(n, 11);
    const int64_t g = grid->group() > 0 ? grid->group() : n;
    for (int64_t b = 0; b < n / g; ++b) {
      const GroupGrid gg = grid->Find({&x[size_t(b * g)], size_t(g)});
      for (int64_t i = b * g; i < (b + 1) * g; ++i) {
        const int code = grid->Code(x[size_t(i)], gg);
        const float err = std::fabs(grid->Value(code, gg) - x[size_t(i)]);
        for (int c = grid->qmin(); c <= grid->qmax(); ++c)
          ASSERT_LE(err, std::fabs(grid->Value(c, gg) - x[size_t(i)]) * (1 + 1e-6f) + 1e-12f)
              << Traits(type).name << " element " << i << " code " << code << " vs " << c;
      }
    }
  }
}

// The INT types' grids are GPTQ's find_params as their RTN quantizer implements it: the same codes
// give the same bytes as quantize_row.
TEST(LinearGrid, IntGridsReproduceTheRtnQuantizer) {
  const int64_t n = 256;
  for (QType type : {QType::kINT4_G32, QType::kINT4_G128_Z, QType::kINT3_G64, QType::kINT2_G128_Z,
                     QType::kINT4_ROW, QType::kINT3_ROW_Z, QType::kINT8}) {
    const auto grid = LinearGrid::For(type);
    const std::vector<float> x = RandomRow(n, 3);
    const int64_t g = grid->group() > 0 ? grid->group() : n;
    std::vector<GroupGrid> grids;
    std::vector<int16_t> codes(static_cast<size_t>(n));
    for (int64_t b = 0; b < n / g; ++b) {
      grids.push_back(grid->Find({&x[size_t(b * g)], size_t(g)}));
      for (int64_t i = b * g; i < (b + 1) * g; ++i)
        codes[size_t(i)] = int16_t(grid->Code(x[size_t(i)], grids.back()));
    }
    std::vector<std::byte> ours(RowBytes(type, n)), rtn(RowBytes(type, n));
    grid->PackRow(codes, grids, ours.data());
    Traits(type).quantize_row(x.data(), rtn.data(), n);
    EXPECT_EQ(ours, rtn) << Traits(type).name;
  }
}

TEST(LinearGrid, TypesWithoutAFixedGrid) {
  for (QType type : {QType::kQ4_K, QType::kQ6_K, QType::kIQ4_NL, QType::kNF4, QType::kFP8_E4M3,
                     QType::kF16, QType::kF32})
    EXPECT_FALSE(LinearGrid::For(type)) << Traits(type).name;
}

}  // namespace
}  // namespace qforge::quant
