// fp16/bf16 conversions against their IEEE definitions: exhaustive over all 65536 halves.
#include "qforge/core/half.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qforge {
namespace {

TEST(Half, F16RoundTripIsExactForEveryHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = F16ToF32(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(f))));
      continue;
    }
    EXPECT_EQ(F32ToF16(f), uint16_t(h)) << h;
  }
}

// The definition: (-1)^s 2^(e-15) (1 + m/1024) for e in 1..30, (-1)^s 2^-14 (m/1024) for e = 0.
TEST(Half, F16DecodesEveryHalfByDefinition) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const float f = F16ToF32(uint16_t(h));
    EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << h;
    if (e == 31) {
      EXPECT_TRUE(m == 0 ? std::isinf(f) : std::isnan(f)) << h;
      continue;
    }
    const double want = e == 0 ? std::ldexp(double(m), -24) : std::ldexp(1024.0 + m, int(e) - 25);
    EXPECT_EQ(double(std::fabs(f)), want) << h;
  }
}

TEST(Half, F16DecodesKnownValues) {
  EXPECT_EQ(F16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(F16ToF32(0xc000), -2.0f);
  EXPECT_EQ(F16ToF32(0x7bff), 65504.0f);
  EXPECT_EQ(F16ToF32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(F16ToF32(0x7c00)));
}

TEST(Half, F16RoundsToNearestEven) {
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
  EXPECT_EQ(F32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3*2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even).
  EXPECT_EQ(F32ToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00);  // rounds past the largest half: Inf
  EXPECT_EQ(F32ToF16(65519.0f), 0x7bff);
  // Halfway between the two smallest subnormals rounds to even (0x0000 vs 0x0001 -> 0x0000).
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(F32ToF16(std::ldexp(3.0f, -25)), 0x0002);
}

TEST(Half, BF16RoundTripAndRounding) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = BF16ToF32(uint16_t(b));
    if (std::isnan(f)) continue;
    EXPECT_EQ(F32ToBF16(f), uint16_t(b));
  }
  // 1 + 2^-8 is halfway between bf16 1.0 and 1 + 2^-7: tie to even gives 1.0.
  EXPECT_EQ(F32ToBF16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_TRUE(std::isnan(BF16ToF32(F32ToBF16(NAN))));
}

}  // namespace
}  // namespace qforge
