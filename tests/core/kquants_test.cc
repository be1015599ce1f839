// The k-quant, IQ4_NL, Q8_1 and Q8_K blocks: dequantization of hand-built blocks against values
// worked out by hand from the layouts documented in ggml-common.h (and restated in
// qblocks_kquants.h), and the properties quantize-then-dequantize must have on random data.
// Bit-exactness of the quantizers against llama.cpp is tested in tests/io/llamacpp_kquants_test.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "qforge/core/half.h"
#include "qforge/core/qblocks_kquants.h"
#include "qforge/core/qtype.h"

namespace qforge {
namespace {

// f16 bit patterns of the scales used below, exact in f16 (checked in HalfConstants).
constexpr uint16_t kHalf0_5 = 0x3800, kHalf0_25 = 0x3400, kHalf0_125 = 0x3000;
constexpr uint16_t kHalf0_0625 = 0x2C00;

TEST(KQuants, HalfConstants) {
  EXPECT_EQ(F16ToF32(kHalf0_5), 0.5f);
  EXPECT_EQ(F16ToF32(kHalf0_25), 0.25f);
  EXPECT_EQ(F16ToF32(kHalf0_125), 0.125f);
  EXPECT_EQ(F16ToF32(kHalf0_0625), 0.0625f);
}

TEST(KQuants, TraitsRowsMatchGgml) {
  struct Row {
    QType type;
    int ggml_id;
    int64_t block_size;
    size_t block_bytes;
    double bits;
  };
  // ggml ids from ggml.h's enum ggml_type; sizes from ggml-common.h's static_asserts.
  const Row rows[] = {{QType::kQ2_K, 10, 256, 84, 2.625},   {QType::kQ3_K, 11, 256, 110, 3.4375},
                      {QType::kQ4_K, 12, 256, 144, 4.5},    {QType::kQ5_K, 13, 256, 176, 5.5},
                      {QType::kQ6_K, 14, 256, 210, 6.5625}, {QType::kIQ4_NL, 20, 32, 18, 4.5},
                      {QType::kQ8_1, 9, 32, 36, 9.0},       {QType::kQ8_K, 15, 256, 292, 9.125}};
  for (const Row& r : rows) {
    const QTypeTraits& t = Traits(r.type);
    EXPECT_EQ(QTypeFromGgml(r.ggml_id), r.type) << t.name;
    EXPECT_EQ(QTypeFromName(t.name), r.type) << t.name;
    EXPECT_EQ(t.block_size, r.block_size) << t.name;
    EXPECT_EQ(t.block_bytes, r.block_bytes) << t.name;
    EXPECT_DOUBLE_EQ(BitsPerWeight(r.type), r.bits) << t.name;
    EXPECT_NE(t.quantize_row, nullptr) << t.name;
    EXPECT_NE(t.dequantize_row, nullptr) << t.name;
  }
}

// ------------------------------------------------------------------ hand-built blocks: Q4_K, Q5_K

// Eight 6-bit scales and mins and their 12 bytes packed by hand: bytes 0..3 hold sc0..3 with the
// top two bits of sc4..7 in bits 6..7 (17 >> 4 = 1, 33 >> 4 = 2, 48 >> 4 = 3, 62 >> 4 = 3), bytes
// 4..7 hold m0..3 with the top bits of m4..7 (21 -> 1, 40 -> 2, 15 -> 0, 59 -> 3), bytes 8..11
// hold the low nibbles (sc4..7 low, m4..7 high): 1|5<<4, 1|8<<4, 0|15<<4, 14|11<<4.
constexpr uint8_t kSc[8] = {1, 2, 3, 63, 17, 33, 48, 62};
constexpr uint8_t kMin[8] = {0, 5, 63, 7, 21, 40, 15, 59};
constexpr uint8_t kScaleBytes[12] = {0x41, 0x82, 0xC3, 0xFF, 0x40, 0x85,
                                     0x3F, 0xC7, 0x51, 0x81, 0xF0, 0xBE};

TEST(KQuants, SixBitScalesAndMins) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    KScaleMin(j, kScaleBytes, sc, m);
    EXPECT_EQ(sc, kSc[j]) << j;
    EXPECT_EQ(m, kMin[j]) << j;
  }
}

// qs[k] = k: element e of 64-chunk c = e / 64, lane l = e % 32, reads byte 32c + l, low nibble in
// the chunk's first 32 elements, high nibble in its last 32.
template <class Block>
void FillScaleMinBlock(Block& b) {
  b.d = kHalf0_5;
  b.dmin = kHalf0_125;
  std::memcpy(b.scales, kScaleBytes, 12);
  for (int k = 0; k < 128; ++k) b.qs[k] = uint8_t(k);
}

TEST(KQuants, DequantizeQ4_K) {
  BlockQ4_K b;
  FillScaleMinBlock(b);
  float y[256];
  DequantizeRowQ4_K(&b, y, 256);
  // x = 0.5 sc_j q - 0.125 m_j, j = e / 32, worked out for a few elements:
  EXPECT_EQ(y[0], 0.0f);        // byte 0 low 0; sc 1, m 0
  EXPECT_EQ(y[5], 2.5f);        // byte 5 low 5: 0.5 * 1 * 5
  EXPECT_EQ(y[37], -0.625f);    // byte 5 high 0; sub-block 1: -0.125 * 5
  EXPECT_EQ(y[70], 1.125f);     // byte 38 = 0x26 low 6; sub-block 2: 9 - 7.875
  EXPECT_EQ(y[127], 93.625f);   // byte 63 = 0x3F high 3; sub-block 3: 94.5 - 0.875
  EXPECT_EQ(y[200], 190.125f);  // byte 104 = 0x68 low 8; sub-block 6: 192 - 1.875
  EXPECT_EQ(y[255], 209.625f);  // byte 127 = 0x7F high 7; sub-block 7: 217 - 7.375
  for (int e = 0; e < 256; ++e) {
    const int c = e / 64, l = e % 32, j = e / 32;
    const int q = (e % 64) < 32 ? (32 * c + l) & 0xF : (32 * c + l) >> 4;
    EXPECT_EQ(y[e], 0.5f * float(kSc[j]) * float(q) - 0.125f * float(kMin[j])) << e;
  }
}

TEST(KQuants, DequantizeQ5_K) {
  BlockQ5_K b;
  FillScaleMinBlock(b);
  // Fifth bit of element e is bit e / 32 of qh[e % 32]: set when e / 32 == (e % 32) % 8.
  for (int l = 0; l < 32; ++l) b.qh[l] = uint8_t(1 << (l % 8));
  float y[256];
  DequantizeRowQ5_K(&b, y, 256);
  EXPECT_EQ(y[0], 8.0f);        // code 0 + 16; sc 1: 0.5 * 16
  EXPECT_EQ(y[37], -0.625f);    // qh[5] = 0x20 has no bit 1: code 0
  EXPECT_EQ(y[165], 325.0f);    // bit 5 of qh[5]; byte 69 = 0x45 high 4: 0.5 * 33 * 20 - 5
  EXPECT_EQ(y[255], 705.625f);  // bit 7 of qh[31]; byte 127 high 7: 0.5 * 62 * 23 - 7.375
  for (int e = 0; e < 256; ++e) {
    const int c = e / 64, l = e % 32, j = e / 32;
    const int low = (e % 64) < 32 ? (32 * c + l) & 0xF : (32 * c + l) >> 4;
    const int q = low + (j == l % 8 ? 16 : 0);
    EXPECT_EQ(y[e], 0.5f * float(kSc[j]) * float(q) - 0.125f * float(kMin[j])) << e;
  }
}

// ------------------------------------------------------------------ hand-built blocks: Q2_K, Q3_K

// 2-bit fields: element e = 128h + 32s + l sits in bits 2s of qs[32h + l]. Byte 0xE4 holds codes
// 0,1,2,3 for s = 0..3 and 0x1B holds 3,2,1,0; even lanes of half 0 and odd lanes of half 1 get
// 0xE4, so each code is read at every shift in both halves.
void FillTwoBit(uint8_t* qs) {
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 32; ++l) qs[32 * h + l] = ((l % 2 == 0) == (h == 0)) ? 0xE4 : 0x1B;
}
int TwoBitCode(int e) {
  const int h = e / 128, s = (e % 128) / 32, l = e % 32;
  return ((l % 2 == 0) == (h == 0)) ? s : 3 - s;
}

TEST(KQuants, DequantizeQ2_K) {
  BlockQ2_K b;
  b.d = kHalf0_5;
  b.dmin = kHalf0_25;
  for (int j = 0; j < 16; ++j) b.scales[j] = uint8_t(j | (15 - j) << 4);  // sc = j, m = 15 - j
  FillTwoBit(b.qs);
  float y[256];
  DequantizeRowQ2_K(&b, y, 256);
  EXPECT_EQ(y[0], -3.75f);    // code 0; sub-block 0: -0.25 * 15
  EXPECT_EQ(y[40], -2.25f);   // s = 1, even lane: code 1; sub-block 2: 0.5 * 2 - 0.25 * 13
  EXPECT_EQ(y[130], 10.25f);  // half 1, s = 0, even lane: code 3; sub-block 8: 12 - 1.75
  for (int e = 0; e < 256; ++e) {
    const int j = e / 16;
    EXPECT_EQ(y[e], 0.5f * float(j) * float(TwoBitCode(e)) - 0.25f * float(15 - j)) << e;
  }
}

// Sixteen biased 6-bit scales and their 12 bytes packed by hand: bytes 0..7 hold the low nibbles
// of s0..7 (low) and s8..15 (high); byte 8 + k holds the top two bits of s_k, s_k+4, s_k+8,
// s_k+12 at bits 0, 2, 4, 6. Stored value is s - 32.
constexpr int kQ3Biased[16] = {0, 1, 31, 32, 33, 63, 10, 20, 47, 5, 62, 16, 48, 15, 40, 7};
constexpr uint8_t kQ3ScaleBytes[12] = {0xF0, 0x51, 0xEF, 0x00, 0x01, 0xFF,
                                       0x8A, 0x74, 0xE8, 0x0C, 0xB1, 0x16};

TEST(KQuants, Q3KSignedScales) {
  for (int j = 0; j < 16; ++j) EXPECT_EQ(Q3KScale(j, kQ3ScaleBytes), kQ3Biased[j] - 32) << j;
}

TEST(KQuants, DequantizeQ3_K) {
  BlockQ3_K b;
  b.d = kHalf0_25;
  std::memcpy(b.scales, kQ3ScaleBytes, 12);
  FillTwoBit(b.qs);
  // High bit of element e is bit e / 32 of hmask[e % 32]; a clear bit subtracts 4.
  for (int l = 0; l < 32; ++l) b.hmask[l] = l % 2 ? 0xF0 : 0x0F;
  float y[256];
  DequantizeRowQ3_K(&b, y, 256);
  EXPECT_EQ(y[0], 0.0f);      // code 0, hbit set; scale -32
  EXPECT_EQ(y[33], 0.5f);     // odd lane s = 1: code 2, hbit 1 of 0xF0 clear: -2; scale -1
  EXPECT_EQ(y[100], -16.5f);  // even lane s = 3: code 3, hbit 3 of 0x0F set; scale -22
  EXPECT_EQ(y[230], -8.0f);   // half 1 even lane s = 3: code 0, hbit 7 of 0x0F clear: -4; scale 8
  for (int e = 0; e < 256; ++e) {
    const int hbit = (b.hmask[e % 32] >> (e / 32)) & 1;
    const int q = TwoBitCode(e) - (hbit ? 0 : 4);
    EXPECT_EQ(y[e], 0.25f * float(kQ3Biased[e / 16] - 32) * float(q)) << e;
  }
}

// ------------------------------------------------------------------------ hand-built blocks: Q6_K

TEST(KQuants, DequantizeQ6_K) {
  BlockQ6_K b;
  std::memset(&b, 0, sizeof(b));
  b.d = kHalf0_0625;
  const int8_t scales[16] = {-128, 127, 3, -1, 2, 0, -7, 64, 1, 1, 1, 1, 1, 1, 1, -5};
  std::memcpy(b.scales, scales, 16);
  // Elements 0, 32, 64, 96 share lane 0 of half 0: low nibbles in ql[0] (0 low, 64 high) and
  // ql[32] (32 low, 96 high), top bits in qh[0] at bits 0, 2, 4, 6 (0xE4: 0, 1, 2, 3).
  b.ql[0] = 0x5A;   // element 0: 10, element 64: 5
  b.ql[32] = 0x3C;  // element 32: 12, element 96: 3
  b.qh[0] = 0xE4;
  b.ql[64 + 33] = 0x70;  // half 1, lane 1: element 161 low 0, element 225 low 7
  b.qh[32 + 1] = 0x40;   // element 225 top bits 1 (bits 6..7)
  float y[256];
  DequantizeRowQ6_K(&b, y, 256);
  EXPECT_EQ(y[0], 176.0f);      // code 10 - 32 = -22; scale -128: 0.0625 * -128 * -22
  EXPECT_EQ(y[32], -0.75f);     // code 12 | 1 << 4 = 28 -> -4; scale[2] = 3
  EXPECT_EQ(y[64], 0.625f);     // code 5 | 2 << 4 = 37 -> 5; scale[4] = 2
  EXPECT_EQ(y[96], -8.3125f);   // code 3 | 3 << 4 = 51 -> 19; scale[6] = -7
  EXPECT_EQ(y[1], 256.0f);      // code 0 -> -32; scale -128
  EXPECT_EQ(y[161], -2.0f);     // half 1, s = 1, lane 1: ql[97] low 0, no top bits -> -32; scale 1
  EXPECT_EQ(y[225], -0.5625f);  // s = 3, lane 1: ql[97] high 7 | 1 << 4 = 23 -> -9; scale 1
}

// Every element at once: codes (7e + 3) mod 64 packed by the rule in qblocks_kquants.h.
TEST(KQuants, DequantizeQ6_KAllElements) {
  BlockQ6_K b;
  std::memset(&b, 0, sizeof(b));
  b.d = kHalf0_0625;
  for (int j = 0; j < 16; ++j) b.scales[j] = int8_t(16 * j - 128);
  auto code = [](int e) { return (7 * e + 3) % 64; };
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, s = (e % 128) / 32, l = e % 32;
    b.ql[64 * h + 32 * (s % 2) + l] |= uint8_t((code(e) & 15) << (4 * (s / 2)));
    b.qh[32 * h + l] |= uint8_t((code(e) >> 4) << (2 * s));
  }
  float y[256];
  DequantizeRowQ6_K(&b, y, 256);
  for (int e = 0; e < 256; ++e)
    EXPECT_EQ(y[e], 0.0625f * float(16 * (e / 16) - 128) * float(code(e) - 32)) << e;
}

// ---------------------------------------------------------------------- IQ4_NL, Q8_K and Q8_1

TEST(KQuants, DequantizeIQ4_NL) {
  // ggml-common.h's kvalues_iq4nl.
  const int kTable[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  BlockIQ4_NL b;
  b.d = kHalf0_5;
  for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | (15 - j) << 4);
  float y[32];
  DequantizeRowIQ4_NL(&b, y, 32);
  EXPECT_EQ(y[0], -63.5f);  // nibble 0 -> -127
  EXPECT_EQ(y[8], 0.5f);    // nibble 8 -> 1
  EXPECT_EQ(y[16], 56.5f);  // element 16 is the high nibble of qs[0]: 15 -> 113
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * float(kTable[j])) << j;
    EXPECT_EQ(y[j + 16], 0.5f * float(kTable[15 - j])) << j + 16;
  }
}

TEST(KQuants, Q8_KCodesAndBsums) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> x(512);
  for (float& v : x) v = normal(rng);
  x[300] = -9.0f;  // block 1's signed abs-max x_m maps to code -127: d = 1 / (-127 / x_m)
  BlockQ8_K b[2];
  QuantizeRowQ8_K(x.data(), b, 512);
  EXPECT_EQ(b[1].d, 1 / (-127.f / -9.0f));
  EXPECT_EQ(b[1].qs[300 - 256], -127);
  for (const BlockQ8_K& blk : b)
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += blk.qs[16 * j + k];
      EXPECT_EQ(blk.bsums[j], sum) << j;
    }
  // An all-zero block has d = 0 and zero codes and sums.
  std::vector<float> zeros(256, 0.0f);
  QuantizeRowQ8_K(zeros.data(), b, 256);
  EXPECT_EQ(b[0].d, 0.0f);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(b[0].qs[j], 0);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b[0].bsums[j], 0);
}

TEST(KQuants, Q8_1SumField) {
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = float(j) - 10.5f;  // amax 20.5 at j = 31
  BlockQ8_1 b;
  QuantizeRowQ8_1(x, &b, 32);
  const float d = 20.5f / 127;
  EXPECT_EQ(b.d, F32ToF16(d));
  int sum = 0;
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(b.qs[j], int(std::roundf(x[j] * (1.0f / d)))) << j;  // ggml multiplies by 1/d
    sum += b.qs[j];
  }
  EXPECT_EQ(b.qs[31], 127);
  // s is d * sum(qs) with the f32 d (before its f16 rounding), then rounded to f16.
  EXPECT_EQ(b.s, F32ToF16(float(sum) * d));
}

// ---------------------------------------------------------------- quantize, then dequantize

// Rows of 4 super-blocks of 256 values with per-super-block scales from 1e-3 to 10, and the shapes
// that take the searches' special branches: an all-zero super-block, an all-positive one (the min
// clamps to 0), a constant one (max == min) and one with a single outlier 1000x the rest.
std::vector<float> RandomRow(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> log_scale(-3.0f, 1.0f);
  std::vector<float> x(8 * 256, 0.0f);  // super-block 0 stays zero
  for (int b = 1; b < 8; ++b) {
    const float s = std::pow(10.0f, log_scale(rng));
    for (int j = 0; j < 256; ++j) x[size_t(b * 256 + j)] = s * normal(rng);
  }
  for (int j = 0; j < 256; ++j) x[size_t(5 * 256 + j)] = std::fabs(x[size_t(5 * 256 + j)]) + 0.5f;
  for (int j = 0; j < 256; ++j) x[size_t(6 * 256 + j)] = 0.75f;
  x[7 * 256 + 77] *= 1000.0f;
  return x;
}

// The values element e of a block can decode to, from the block's stored fields.
using GridFn = std::function<std::vector<float>(const void* block, int e)>;

std::vector<float> AffineGrid(float step, float offset, int first, int last) {
  std::vector<float> g;
  for (int q = first; q <= last; ++q) g.push_back(step * float(q) - offset);
  return g;
}

template <class Block>
GridFn ScaleMinGrid(int nmax) {
  return [nmax](const void* p, int e) {
    const Block& b = *static_cast<const Block*>(p);
    uint8_t sc, m;
    KScaleMin(e / 32, b.scales, sc, m);
    return AffineGrid(F16ToF32(b.d) * float(sc), F16ToF32(b.dmin) * float(m), 0, nmax);
  };
}

struct GridCase {
  QType type;
  GridFn grid;
  // Extra error allowed relative to the nearest grid value, in units of the largest |grid value|
  // of the element's sub-block. k-quants choose each code for the stored (f16, 4/6/8-bit) scale
  // and min, so only f32 rounding of (x + dm) / d and of d * q - m separates them from the nearest
  // value: a few 2^-24 relative, 2^-20 with margin. IQ4_NL chooses codes for its f32 scale before
  // that is rounded to f16 (relative error <= 2^-11), which moves every grid value by up to
  // 2^-11 of it, on both sides: 2^-10.
  float slack;
};

std::vector<GridCase> GridCases() {
  return {
      {QType::kQ2_K,
       [](const void* p, int e) {
         const BlockQ2_K& b = *static_cast<const BlockQ2_K*>(p);
         const uint8_t sc = b.scales[e / 16];
         return AffineGrid(F16ToF32(b.d) * float(sc & 0xF), F16ToF32(b.dmin) * float(sc >> 4), 0,
                           3);
       },
       0x1p-20f},
      {QType::kQ3_K,
       [](const void* p, int e) {
         const BlockQ3_K& b = *static_cast<const BlockQ3_K*>(p);
         return AffineGrid(F16ToF32(b.d) * float(Q3KScale(e / 16, b.scales)), 0.0f, -4, 3);
       },
       0x1p-20f},
      {QType::kQ4_K, ScaleMinGrid<BlockQ4_K>(15), 0x1p-20f},
      {QType::kQ5_K, ScaleMinGrid<BlockQ5_K>(31), 0x1p-20f},
      {QType::kQ6_K,
       [](const void* p, int e) {
         const BlockQ6_K& b = *static_cast<const BlockQ6_K*>(p);
         return AffineGrid(F16ToF32(b.d) * float(b.scales[e / 16]), 0.0f, -32, 31);
       },
       0x1p-20f},
      {QType::kIQ4_NL,
       [](const void* p, int) {
         const float d = F16ToF32(static_cast<const BlockIQ4_NL*>(p)->d);
         std::vector<float> g;
         for (int8_t v : kIQ4NLValues) g.push_back(d * float(v));
         return g;
       },
       0x1p-10f},
  };
}

// The bound, derived: after the scale search, every code is chosen again as the nearest one for
// the scale (and min) that the block stores, so each value decodes to the grid value nearest to
// it (up to the slack above). This holds whatever scales the searches picked, in every branch
// (all zero, min clamped, constant, outlier); that the searches pick ggml's scales is the
// bit-exactness test's job.
TEST(KQuants, QuantizeDecodesToNearestGridValue) {
  for (const GridCase& c : GridCases()) {
    const QTypeTraits& t = Traits(c.type);
    for (uint32_t seed : {1u, 2u, 3u}) {
      const std::vector<float> x = RandomRow(seed);
      const int64_t n = int64_t(x.size());
      std::vector<std::byte> q(RowBytes(c.type, n));
      std::vector<float> y(x.size());
      t.quantize_row(x.data(), q.data(), n);
      t.dequantize_row(q.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const void* block = q.data() + size_t(i / t.block_size) * t.block_bytes;
        const std::vector<float> grid = c.grid(block, int(i % t.block_size));
        float nearest = INFINITY, largest = 0;
        for (float g : grid) {
          nearest = std::min(nearest, std::fabs(x[size_t(i)] - g));
          largest = std::max(largest, std::fabs(g));
        }
        const float err = std::fabs(x[size_t(i)] - y[size_t(i)]);
        ASSERT_LE(err, nearest + c.slack * largest + 0x1p-20f * std::fabs(x[size_t(i)]))
            << t.name << " seed " << seed << " element " << i << ": x " << x[size_t(i)] << " -> "
            << y[size_t(i)];
      }
    }
  }
}

// Q8_K and Q8_1 have no clamp (the abs-max maps to +-127 exactly), so rounding to the nearest code
// errs by <= d/2. Q8_K stores d in f32: the products add ~2^-23 |x|. Q8_1 stores d in f16
// (relative error <= 2^-11), which moves a value of code q by <= 2^-11 |d q| <= 2^-11 amax.
TEST(KQuants, Q8ActivationRoundTripWithinHalfStep) {
  for (QType type : {QType::kQ8_K, QType::kQ8_1}) {
    const QTypeTraits& t = Traits(type);
    const std::vector<float> x = RandomRow(4);
    const int64_t n = int64_t(x.size());
    std::vector<std::byte> q(RowBytes(type, n));
    std::vector<float> y(x.size());
    t.quantize_row(x.data(), q.data(), n);
    t.dequantize_row(q.data(), y.data(), n);
    for (int64_t b = 0; b < n / t.block_size; ++b) {
      float amax = 0;
      for (int64_t j = 0; j < t.block_size; ++j)
        amax = std::max(amax, std::fabs(x[size_t(b * t.block_size + j)]));
      const float d = amax / 127;
      const float bound = type == QType::kQ8_K ? d / 2 + 0x1p-21f * amax : d / 2 + 0x1p-10f * amax;
      for (int64_t j = 0; j < t.block_size; ++j) {
        const size_t i = size_t(b * t.block_size + j);
        ASSERT_LE(std::fabs(x[i] - y[i]), bound) << t.name << " element " << i;
      }
    }
  }
}

}  // namespace
}  // namespace qforge
