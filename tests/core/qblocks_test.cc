// The legacy ggml blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1): dequantization of hand-built blocks
// against ggml's formulas evaluated here field by field, and the error bound of
// quantize-then-dequantize.
#include "qforge/core/qblocks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "qforge/core/half.h"
#include "qforge/core/qtype.h"

namespace qforge {
namespace {

// f16 bit patterns of the scales used below (sign | exponent+15 | mantissa), exact in f16.
constexpr uint16_t kHalfMinus0_25 = 0xB400, kHalf0_5 = 0x3800, kHalf0_125 = 0x3000;
constexpr uint16_t kHalfMinus1_5 = 0xBE00;

TEST(QBlocks, HalfConstants) {
  EXPECT_EQ(F16ToF32(kHalfMinus0_25), -0.25f);
  EXPECT_EQ(F16ToF32(kHalf0_5), 0.5f);
  EXPECT_EQ(F16ToF32(kHalf0_125), 0.125f);
  EXPECT_EQ(F16ToF32(kHalfMinus1_5), -1.5f);
}

TEST(QBlocks, TraitsRowsMatchStructs) {
  EXPECT_EQ(Traits(QType::kQ8_0).block_bytes, 34u);
  EXPECT_EQ(Traits(QType::kQ4_0).block_bytes, 18u);
  EXPECT_EQ(Traits(QType::kQ4_1).block_bytes, 20u);
  EXPECT_EQ(Traits(QType::kQ5_0).block_bytes, 22u);
  EXPECT_EQ(Traits(QType::kQ5_1).block_bytes, 24u);
  // ggml_type ids from ggml.h.
  EXPECT_EQ(QTypeFromGgml(2), QType::kQ4_0);
  EXPECT_EQ(QTypeFromGgml(3), QType::kQ4_1);
  EXPECT_EQ(QTypeFromGgml(6), QType::kQ5_0);
  EXPECT_EQ(QTypeFromGgml(7), QType::kQ5_1);
  EXPECT_EQ(QTypeFromGgml(8), QType::kQ8_0);
  EXPECT_DOUBLE_EQ(BitsPerWeight(QType::kQ4_0), 4.5);
}

// Nibbles: element j (j < 16) gets low nibble j, element j + 16 gets high nibble 15 - j, so every
// value 0..15 appears in both halves.
uint8_t NibblePair(int j) { return uint8_t(j | ((15 - j) << 4)); }
int LowNibble(int j) { return j; }
int HighNibble(int j) { return 15 - j; }
// Q5's fifth bit of element k read byte by byte (independent of the 32-bit load in the codec).
int QhBit(const uint8_t (&qh)[4], int k) { return (qh[k / 8] >> (k % 8)) & 1; }
// Two qh patterns that are complements, so every bit is tested as 0 and as 1.
constexpr uint32_t kQhPatterns[] = {0x5AC3F00Fu, ~0x5AC3F00Fu};

TEST(QBlocks, DequantizeQ8_0) {
  BlockQ8_0 b;
  b.d = kHalfMinus0_25;
  for (int j = 0; j < 32; ++j) b.qs[j] = int8_t(j * 8 - 128);  // -128 .. 120
  float y[32];
  DequantizeRowQ8_0(&b, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], -0.25f * float(j * 8 - 128)) << j;
}

TEST(QBlocks, DequantizeQ4_0) {
  BlockQ4_0 b;
  b.d = kHalfMinus0_25;
  for (int j = 0; j < 16; ++j) b.qs[j] = NibblePair(j);
  float y[32];
  DequantizeRowQ4_0(&b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], -0.25f * float(LowNibble(j) - 8)) << j;
    EXPECT_EQ(y[j + 16], -0.25f * float(HighNibble(j) - 8)) << j + 16;
  }
}

TEST(QBlocks, DequantizeQ4_1) {
  BlockQ4_1 b;
  b.d = kHalf0_5;
  b.m = kHalfMinus1_5;
  for (int j = 0; j < 16; ++j) b.qs[j] = NibblePair(j);
  float y[32];
  DequantizeRowQ4_1(&b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * float(LowNibble(j)) - 1.5f) << j;
    EXPECT_EQ(y[j + 16], 0.5f * float(HighNibble(j)) - 1.5f) << j + 16;
  }
}

TEST(QBlocks, DequantizeQ5_0) {
  for (uint32_t pattern : kQhPatterns) {
    BlockQ5_0 b;
    b.d = kHalf0_125;
    for (int k = 0; k < 4; ++k) b.qh[k] = uint8_t(pattern >> (8 * k));
    for (int j = 0; j < 16; ++j) b.qs[j] = NibblePair(j);
    float y[32];
    DequantizeRowQ5_0(&b, y, 32);
    for (int j = 0; j < 16; ++j) {
      EXPECT_EQ(y[j], 0.125f * float((LowNibble(j) | QhBit(b.qh, j) << 4) - 16)) << j;
      EXPECT_EQ(y[j + 16], 0.125f * float((HighNibble(j) | QhBit(b.qh, j + 16) << 4) - 16))
          << j + 16;
    }
  }
}

TEST(QBlocks, DequantizeQ5_1) {
  for (uint32_t pattern : kQhPatterns) {
    BlockQ5_1 b;
    b.d = kHalf0_125;
    b.m = kHalfMinus1_5;
    for (int k = 0; k < 4; ++k) b.qh[k] = uint8_t(pattern >> (8 * k));
    for (int j = 0; j < 16; ++j) b.qs[j] = NibblePair(j);
    float y[32];
    DequantizeRowQ5_1(&b, y, 32);
    for (int j = 0; j < 16; ++j) {
      EXPECT_EQ(y[j], 0.125f * float(LowNibble(j) | QhBit(b.qh, j) << 4) - 1.5f) << j;
      EXPECT_EQ(y[j + 16], 0.125f * float(HighNibble(j) | QhBit(b.qh, j + 16) << 4) - 1.5f)
          << j + 16;
    }
  }
}

// Blocks of 32 normal values with a per-block scale from 1e-3 to 10, plus an all-zero block
// (d = 0: ggml then uses id = 0 and every code decodes to 0).
std::vector<float> RandomRow(int64_t blocks, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> log_scale(-3.0f, 1.0f);
  std::vector<float> x(size_t(blocks * 32), 0.0f);
  for (int64_t b = 1; b < blocks; ++b) {
    const float s = std::pow(10.0f, log_scale(rng));
    for (int j = 0; j < 32; ++j) x[size_t(b * 32 + j)] = s * normal(rng);
  }
  return x;
}

struct RoundTripCase {
  QType type;
  int max_code;     // largest code: 255 for Q8_0's int8, 15 for 4-bit, 31 for 5-bit
  int code_offset;  // |largest code magnitude| after the offset: 127, 8, 16, 15, 31
  bool has_min;     // asymmetric (Q4_1, Q5_1): stores min as f16 in m
  bool clamps;      // symmetric 4/5-bit: x = -max would need code 2^b, clamped to 2^b - 1
};

// The bound, derived: ggml picks the nearest code for x / d (round or floor(x/d + 0.5)), error
// <= d/2, except a clamped code (only the top code of Q4_0/Q5_0), which is at most one step from
// x: <= |d|. Storage rounds d and min to f16 (relative error <= 2^-11), which moves a value by
// <= 2^-11 (|code| |d| + |min|); f32 rounding of x/d, the offset and d*q + m adds a few 2^-24
// relative, covered by using 2^-10 instead of 2^-11.
TEST(QBlocks, QuantizeDequantizeErrorBound) {
  const RoundTripCase cases[] = {{QType::kQ8_0, 127, 127, false, false},
                                 {QType::kQ4_0, 15, 8, false, true},
                                 {QType::kQ4_1, 15, 15, true, false},
                                 {QType::kQ5_0, 31, 16, false, true},
                                 {QType::kQ5_1, 31, 31, true, false}};
  const int64_t blocks = 256, n = blocks * 32;
  const std::vector<float> x = RandomRow(blocks, 123);
  for (const RoundTripCase& c : cases) {
    const QTypeTraits& t = Traits(c.type);
    std::vector<std::byte> q(RowBytes(c.type, n));
    std::vector<float> y(static_cast<size_t>(n));
    t.quantize_row(x.data(), q.data(), n);
    t.dequantize_row(q.data(), y.data(), n);
    int failures = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      const std::byte* block = q.data() + size_t(b) * t.block_bytes;
      uint16_t d_bits, m_bits = 0;
      std::memcpy(&d_bits, block, 2);
      if (c.has_min) std::memcpy(&m_bits, block + 2, 2);
      const double d = std::fabs(F16ToF32(d_bits)), m = std::fabs(F16ToF32(m_bits));
      for (int j = 0; j < 32; ++j) {
        const size_t i = size_t(b * 32 + j);
        // The clamped code decodes to d * (max_code - offset); detect it from the output.
        const bool top =
            c.clamps && d > 0 &&
            std::fabs(double(y[i]) / F16ToF32(d_bits) - (c.max_code - c.code_offset)) < 1e-3;
        const double bound = d * ((top ? 1.0 : 0.5) + c.code_offset * 0x1p-10) + m * 0x1p-10;
        if (std::fabs(double(y[i]) - double(x[i])) > bound && ++failures <= 5)
          ADD_FAILURE() << t.name << " block " << b << " [" << j << "]: x " << x[i] << " -> "
                        << y[i] << ", bound " << bound;
      }
    }
    EXPECT_EQ(failures, 0) << t.name;
    for (int j = 0; j < 32; ++j) EXPECT_EQ(y[size_t(j)], 0.0f) << t.name << " zero block";
  }
}

}  // namespace
}  // namespace qforge
