// bitsandbytes' NF4 / FP4 blocks and NF4 double quantization: the tables and decision trees
// against bnb's constants, nibble order, nearest-level quantization, tie behaviour, and bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "qforge/core/qblocks_native.h"
#include "qforge/core/qtype.h"

namespace qforge {
namespace {

// Half the largest gap between adjacent levels of a sorted table: the worst rounding error of a
// value inside [min, max] when rounded to the nearest level.
double HalfLargestGap(std::vector<double> levels) {
  std::sort(levels.begin(), levels.end());
  double gap = 0;
  for (size_t k = 1; k < levels.size(); ++k) gap = std::max(gap, levels[k] - levels[k - 1]);
  return gap / 2;
}

std::vector<double> Levels(const float* table) { return std::vector<double>(table, table + 16); }

// bnb's NF4 table (functional.py get_4bit_type) is sorted, symmetric at the ends and has an exact
// 0.
TEST(NativeNF4, Tables) {
  for (int k = 1; k < 16; ++k) EXPECT_LT(kNF4Levels[k - 1], kNF4Levels[k]);
  EXPECT_EQ(kNF4Levels[0], -1.0f);
  EXPECT_EQ(kNF4Levels[7], 0.0f);
  EXPECT_EQ(kNF4Levels[15], 1.0f);
  // FP4: magnitudes 0, 0.0625, 8, 12, 4, 6, 2, 3 over 12 (functional.py), as bnb's f32 literals.
  const double fp4[8] = {0, 0.0625, 8, 12, 4, 6, 2, 3};
  for (int k = 0; k < 8; ++k) {
    EXPECT_NEAR(kFP4Levels[k], fp4[k] / 12, 0x1p-23) << k;  // 8-digit literals, rounded to f32
    EXPECT_EQ(kFP4Levels[k + 8], -kFP4Levels[k]) << k;
  }
  EXPECT_EQ(Traits(QType::kNF4).block_size, 64);
  EXPECT_DOUBLE_EQ(BitsPerWeight(QType::kNF4), 4.5);
}

// Each code is the nearest level (the trees' pivots are the midpoints): checked for normalized
// values on a fine grid, skipping values within 1e-6 of a midpoint where f32 literals decide.
void CheckNearest(uint8_t (*code)(float), const float* table) {
  for (int i = -100000; i <= 100000; ++i) {
    const float x = float(i) / 100000.0f;
    int best = 0;
    double best_err = 1e9, second = 1e9;
    for (int k = 0; k < 16; ++k) {
      const double err = std::fabs(double(table[k]) - x);
      if (err < best_err) {
        second = best_err;
        best_err = err;
        best = k;
      } else if (err < second && table[k] != table[best]) {
        second = err;
      }
    }
    if (second - best_err < 2e-6) continue;  // a tie up to the literals' precision
    EXPECT_EQ(table[code(x)], table[best]) << x;
  }
}

TEST(NativeNF4, TreesPickNearestLevel) {
  CheckNearest(NF4Code, kNF4Levels);
  CheckNearest(FP4Code, kFP4Levels);
}

// Ties: bnb compares with '>', so a value exactly on a pivot takes the lower code; FP4 decides
// the sign from x < 0, so -0 and tiny negatives that round to zero get the -0 code (0b1000).
TEST(NativeNF4, TieBehaviourIsBnbs) {
  EXPECT_EQ(NF4Code(0.03979014977812767f), 0b0111);
  EXPECT_EQ(NF4Code(std::nextafter(0.03979014977812767f, 1.0f)), 0b1000);
  EXPECT_EQ(NF4Code(-0.8480964004993439f), 0b0000);
  EXPECT_EQ(FP4Code(0.29166667f), 0b0111);  // between 3/12 and 4/12: stays at 3/12
  EXPECT_EQ(FP4Code(std::nextafter(0.29166667f, 1.0f)), 0b0100);
  EXPECT_EQ(FP4Code(-0.0f), 0b0000);
  EXPECT_EQ(FP4Code(-0.001f), 0b1000);
  EXPECT_EQ(FP4Code(-1.0f), 0b1011);
  EXPECT_EQ(NF4Code(NAN), 0);  // what bnb's tree gives 0 * (1 / 0) in an all-zero block
}

// Nibble order: element 2j in the high nibble (bnb's packing), x = table[code] * absmax.
TEST(NativeNF4, DequantizeHandBuiltBlock) {
  BlockNF4 b;
  b.absmax = 2.5f;
  for (int j = 0; j < 32; ++j) b.qs[j] = uint8_t((j % 16) << 4 | (15 - j % 16));
  float y[64];
  DequantizeRowNF4(&b, y, 64);
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(y[2 * j], kNF4Levels[j % 16] * 2.5f) << j;
    EXPECT_EQ(y[2 * j + 1], kNF4Levels[15 - j % 16] * 2.5f) << j;
  }
  DequantizeRowFP4(&b, y, 64);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[2 * j], kFP4Levels[j % 16] * 2.5f) << j;
}

std::vector<float> RandomRow(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[size_t(i)] = 0.02f * normal(rng) * float(1 + (i / 64) % 5);
  for (int j = 0; j < 64; ++j) x[size_t(64 + j)] = 0.0f;  // an all-zero block decodes to zeros
  return x;
}

// |x - x'| <= (half the largest gap between levels) * absmax, the brief's bound; the absmax
// entry is max |x| exactly, and f32 rounding of x * (1/absmax) and level * absmax adds a few
// 2^-24 relative: 2^-20 absmax.
TEST(NativeNF4, RoundTripWithinHalfGap) {
  const int64_t n = 64 * 40;
  const std::vector<float> x = RandomRow(n, 11);
  for (QType type : {QType::kNF4, QType::kFP4}) {
    const QTypeTraits& t = Traits(type);
    std::vector<BlockNF4> q(size_t(n / 64));
    std::vector<float> y(static_cast<size_t>(n));
    t.quantize_row(x.data(), q.data(), n);
    t.dequantize_row(q.data(), y.data(), n);
    const double half_gap = HalfLargestGap(Levels(type == QType::kNF4 ? kNF4Levels : kFP4Levels));
    for (int64_t b = 0; b < n / 64; ++b) {
      double amax = 0;
      for (int j = 0; j < 64; ++j) amax = std::max(amax, std::fabs(double(x[size_t(b * 64 + j)])));
      EXPECT_EQ(q[size_t(b)].absmax, float(amax)) << t.name << " " << b;
      for (int j = 0; j < 64; ++j) {
        const size_t i = size_t(b * 64 + j);
        EXPECT_LE(std::fabs(double(y[i]) - x[i]), (half_gap + 0x1p-20) * amax) << t.name << i;
      }
    }
  }
}

// bnb's dynamic map: 127 positive and 127 negative values, 0 and 1; the largest magnitudes are
// the midpoints of linspace(0.1, 1, 65) (times 10^0): +-(1 + 0.9859375) / 2 = +-0.99296875.
TEST(NativeNF4, DynamicMap) {
  const float* map = DynamicMap8();
  for (int k = 1; k < 256; ++k) EXPECT_LT(map[k - 1], map[k]) << k;
  EXPECT_NEAR(map[0], -0.99296875f, 1e-7);
  EXPECT_EQ(map[255], 1.0f);
  EXPECT_EQ(std::count(map, map + 256, 0.0f), 1);
  EXPECT_NEAR(map[1], -0.97890625f, 1e-7);  // next midpoint down: (0.9859375 + 0.971875) / 2
  // The smallest positive value: 10^-6 * (0.1 + 1) / 2 (one fraction item at i = 0).
  EXPECT_NEAR(map[128], 0.55e-6f, 1e-12);
  // The search returns the nearest code, except exactly at midpoints.
  for (int k = 0; k < 256; ++k) EXPECT_EQ(DynamicMapCode(map[k]), k) << k;
  EXPECT_EQ(DynamicMapCode(-1.0f), 0);
}

// NF4_DQ over a tensor: codes equal NF4's; each absmax is replaced by code[q] * absmax2 + offset,
// within (half the largest map gap) * absmax2 of the true absmax (plus f32 rounding).
TEST(NativeNF4, DoubleQuantizedAbsmax) {
  const int64_t rows = 40, cols = 512, n = rows * cols;  // 320 blocks: two 256-groups of absmax
  const std::vector<float> x = RandomRow(n, 5);
  std::vector<BlockNF4> plain(size_t(n / 64)), dq(size_t(n / 64));
  QuantizeRowNF4(x.data(), plain.data(), n);
  QuantizeTensor(QType::kNF4_DQ, x.data(), rows, cols, dq.data());
  // The exporter's view: u8 codes, one absmax2 per 256 blocks, and the same dequantized values.
  std::vector<float> exact(plain.size());
  for (size_t b = 0; b < plain.size(); ++b) exact[b] = plain[b].absmax;
  const NF4DoubleQuant parts = DoubleQuantizeAbsmax(exact.data(), int64_t(exact.size()));
  EXPECT_EQ(parts.codes.size(), plain.size());
  EXPECT_EQ(parts.absmax2.size(), 2u);
  for (size_t b = 0; b < plain.size(); ++b) EXPECT_EQ(parts.Absmax(int64_t(b)), dq[b].absmax);
  std::vector<double> map(DynamicMap8(), DynamicMap8() + 256);
  const double half_gap = HalfLargestGap(map);
  double mean = 0;
  for (const BlockNF4& b : plain) mean += b.absmax;
  mean /= double(plain.size());
  for (size_t g = 0; g < plain.size(); g += 256) {
    double amax2 = 0;
    for (size_t b = g; b < std::min(plain.size(), g + 256); ++b)
      amax2 = std::max(amax2, std::fabs(plain[b].absmax - mean));
    for (size_t b = g; b < std::min(plain.size(), g + 256); ++b) {
      EXPECT_EQ(std::memcmp(plain[b].qs, dq[b].qs, 32), 0) << b;
      EXPECT_NEAR(dq[b].absmax, plain[b].absmax, half_gap * amax2 + 0x1p-20 * mean) << b;
    }
  }
}

}  // namespace
}  // namespace qforge
