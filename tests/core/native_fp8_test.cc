// OCP FP8 (E4M3 "fn", E5M2): all 256 codes of each against the spec's formula and constants,
// exhaustive rounding boundaries (every midpoint and its neighbours), saturation, NaN/Inf, and the
// relative error of the FP8 row codecs.
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

struct Format {
  const char* name;
  int exp_bits, man_bits;
  float (*decode)(uint8_t);
  uint8_t (*encode)(float);
  float max;
  bool has_inf;  // E5M2: exponent all ones, mantissa 0 = Inf; E4M3fn: only S.1111.111 = NaN
};
const Format kFormats[] = {{"E4M3", 4, 3, E4M3ToF32, F32ToE4M3, 448.0f, false},
                           {"E5M2", 5, 2, E5M2ToF32, F32ToE5M2, 57344.0f, true}};

// The OCP 8-bit float spec's value of a code: (-1)^s 2^(e - bias) (1 + m / 2^M) for e > 0,
// (-1)^s 2^(1 - bias) (m / 2^M) for e = 0; bias = 2^(E-1) - 1. NaN/Inf per format.
double SpecValue(const Format& f, int code) {
  const int bias = (1 << (f.exp_bits - 1)) - 1, m_max = 1 << f.man_bits;
  const int e = (code >> f.man_bits) & ((1 << f.exp_bits) - 1), m = code & (m_max - 1);
  const double sign = (code & 0x80) ? -1 : 1;
  const int e_max = (1 << f.exp_bits) - 1;
  if (f.has_inf && e == e_max) return m == 0 ? sign * INFINITY : NAN;
  if (!f.has_inf && e == e_max && m == m_max - 1) return NAN;
  if (e == 0) return sign * std::ldexp(double(m) / m_max, 1 - bias);
  return sign * std::ldexp(1.0 + double(m) / m_max, e - bias);
}

TEST(NativeFp8, EveryCodeMatchesTheSpec) {
  for (const Format& f : kFormats)
    for (int c = 0; c < 256; ++c) {
      const double want = SpecValue(f, c);
      const float got = f.decode(uint8_t(c));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << f.name << " " << c;
      } else {
        EXPECT_EQ(double(got), want) << f.name << " " << c;
        EXPECT_EQ(std::signbit(got), (c & 0x80) != 0) << f.name << " " << c;
        EXPECT_EQ(f.encode(got), c) << f.name << " " << c;  // every code round-trips, -0 included
      }
    }
  // Constants of the OCP spec (OFP8 formats, table 1).
  EXPECT_EQ(E4M3ToF32(0x7e), 448.0f);
  EXPECT_EQ(E4M3ToF32(0x08), 0x1p-6f);  // smallest normal
  EXPECT_EQ(E4M3ToF32(0x01), 0x1p-9f);  // smallest subnormal
  EXPECT_EQ(E4M3ToF32(0x38), 1.0f);
  EXPECT_TRUE(std::isnan(E4M3ToF32(0x7f)) && std::isnan(E4M3ToF32(0xff)));
  EXPECT_EQ(E5M2ToF32(0x7b), 57344.0f);
  EXPECT_EQ(E5M2ToF32(0x04), 0x1p-14f);
  EXPECT_EQ(E5M2ToF32(0x01), 0x1p-16f);
  EXPECT_EQ(E5M2ToF32(0x3c), 1.0f);
  EXPECT_EQ(E5M2ToF32(0x7c), INFINITY);
  EXPECT_EQ(E5M2ToF32(0xfc), -INFINITY);
}

// Between adjacent finite values a < b (both signs, subnormals included): the exact midpoint goes
// to the one with an even code (ties to even), one f32 ulp either side to the nearer value.
TEST(NativeFp8, RoundsToNearestEvenAtEveryBoundary) {
  for (const Format& f : kFormats) {
    std::vector<std::pair<float, int>> values;  // (value, code), finite, +0 only once
    for (int c = 0; c < 256; ++c) {
      const float v = f.decode(uint8_t(c));
      if (std::isfinite(v) && c != 0x80) values.push_back({v, c});
    }
    std::sort(values.begin(), values.end());
    for (size_t k = 1; k < values.size(); ++k) {
      const auto [a, ca] = values[k - 1];
      const auto [b, cb] = values[k];
      const float mid = (a + b) / 2;  // exact: both have few significant bits
      ASSERT_EQ(double(mid), (double(a) + double(b)) / 2);
      // The even code of the two: same sign, so the lower mantissa bit decides. Values are
      // compared, not codes, because the pair (-min_sub, +0) rounds towards -0.
      const int even = (ca & 1) == 0 ? ca : cb;
      EXPECT_EQ(f.decode(f.encode(mid)), f.decode(uint8_t(even))) << f.name << " midpoint " << mid;
      EXPECT_EQ(f.decode(f.encode(std::nextafter(mid, a))), a) << f.name << " below " << mid;
      EXPECT_EQ(f.decode(f.encode(std::nextafter(mid, b))), b) << f.name << " above " << mid;
    }
  }
}

// Saturation: beyond the largest finite value every finite input (and, for E4M3, Inf) gives
// +-max; E5M2 keeps Inf. NaN stays NaN with its sign. Tiny values round to +-0 or the smallest
// subnormal (half of it is a tie to 0, which is even).
TEST(NativeFp8, SaturatesAndHandlesSpecials) {
  for (const Format& f : kFormats) {
    const int max_code = f.encode(f.max);
    for (float x : {f.max * 1.01f, f.max * 2, 1e30f, 3.4e38f}) {
      EXPECT_EQ(f.encode(x), max_code) << f.name << " " << x;
      EXPECT_EQ(f.encode(-x), max_code | 0x80) << f.name << " " << -x;
    }
    EXPECT_EQ(f.decode(f.encode(INFINITY)), f.has_inf ? INFINITY : f.max) << f.name;
    EXPECT_TRUE(std::isnan(f.decode(f.encode(NAN)))) << f.name;
    EXPECT_TRUE(std::signbit(f.decode(f.encode(-NAN)))) << f.name;
    const float min_sub = f.decode(1);
    EXPECT_EQ(f.encode(min_sub / 2), 0) << f.name;
    EXPECT_EQ(f.encode(-min_sub / 2), 0x80) << f.name;
    EXPECT_EQ(f.encode(std::nextafter(min_sub / 2, 1.0f)), 1) << f.name;
    EXPECT_EQ(f.encode(1e-30f), 0) << f.name;
  }
}

// The row codecs: d = absmax / max in the header; for |x| / d in the normal range the relative
// error of RNE is <= 2^-(M+1) (2^-4 for E4M3, 2^-3 for E5M2), below it the absolute error is
// <= half the smallest subnormal step times d. f32 rounding of x / d and d * v adds 2 * 2^-24
// relative: bound 2^-(M+1) (1 + 2^-20).
TEST(NativeFp8, RowCodecRelativeError) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> log_mag(-6.0f, 2.0f);
  const int64_t n = 4096;
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = std::pow(10.0f, log_mag(rng)) * (rng() % 2 ? 1.0f : -1.0f);
  const struct {
    QType type;
    int man_bits;
    float max, min_normal, min_sub;
  } cases[] = {{QType::kFP8_E4M3, 3, 448.0f, 0x1p-6f, 0x1p-9f},
               {QType::kFP8_E5M2, 2, 57344.0f, 0x1p-14f, 0x1p-16f}};
  for (const auto& c : cases) {
    const QTypeTraits& t = Traits(c.type);
    std::vector<std::byte> q(RowBytes(c.type, n));
    std::vector<float> y(static_cast<size_t>(n));
    t.quantize_row(x.data(), q.data(), n);
    t.dequantize_row(q.data(), y.data(), n);
    float d;
    std::memcpy(&d, q.data(), 4);
    double amax = 0;
    for (float v : x) amax = std::max(amax, std::fabs(double(v)));
    EXPECT_NEAR(d, amax / c.max, amax / c.max * 0x1p-23) << t.name;
    const double rel = std::ldexp(1.0, -(c.man_bits + 1)) * (1 + 0x1p-20);
    for (int64_t i = 0; i < n; ++i) {
      const double xi = x[size_t(i)], err = std::fabs(double(y[size_t(i)]) - xi);
      if (std::fabs(xi) / d >= c.min_normal)
        EXPECT_LE(err, rel * std::fabs(xi)) << t.name << " " << xi;
      else
        EXPECT_LE(err, (c.min_sub / 2) * d * (1 + 0x1p-20)) << t.name << " " << xi;
    }
  }
}

// Per-tensor scale: every row's header holds absmax(tensor) / max.
TEST(NativeFp8, PerTensorScale) {
  const int64_t rows = 5, cols = 64;
  std::vector<float> x(size_t(rows * cols));
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 37) - 18) * float(1 + i / 64);
  x[200] = -300.0f;
  for (QType type : {QType::kFP8_E4M3_T, QType::kFP8_E5M2_T}) {
    const float max = type == QType::kFP8_E4M3_T ? 448.0f : 57344.0f;
    const size_t stride = RowBytes(type, cols);
    std::vector<std::byte> q(stride * rows);
    QuantizeTensor(type, x.data(), rows, cols, q.data());
    for (int64_t r = 0; r < rows; ++r) {
      float d;
      std::memcpy(&d, q.data() + r * stride, 4);
      EXPECT_EQ(d, 300.0f / max) << Traits(type).name << " row " << r;
    }
    std::vector<float> y(static_cast<size_t>(cols));
    Traits(type).dequantize_row(q.data() + 3 * stride, y.data(), cols);
    EXPECT_NEAR(y[200 - 3 * 64], -300.0f, 300.0f * 0x1p-22);  // code -max, times the scale
  }
}

}  // namespace
}  // namespace qforge
