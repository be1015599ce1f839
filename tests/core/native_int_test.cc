// The integer native types (INT8, INTb_Gg[_Z], INTb_ROW[_Z]): bit packing, dequantization of
// hand-built blocks against x = d (q - z), GPTQ's special cases, and the error bound of every INT
// row of the traits table on random rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "qforge/core/half.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/core/qblocks_native_util.h"
#include "qforge/core/qtype.h"

namespace qforge {
namespace {

// What a type's name says: bits, group size (0 = the whole row) and whether it has a zero point.
struct IntType {
  QType type;
  int bits;
  int group;
  bool zero;
};

std::vector<IntType> IntTypes() {
  std::vector<IntType> out;
  for (size_t i = 0; i < kQTypeCount; ++i) {
    const std::string name(Traits(QType(i)).name);
    if (name.rfind("INT", 0) != 0 || name == "INT8") continue;
    IntType t{QType(i), name[3] - '0', 0, name.size() > 2 && name.substr(name.size() - 2) == "_Z"};
    const size_t g = name.find("_G");
    if (g != std::string::npos) t.group = std::stoi(name.substr(g + 2));
    out.push_back(t);
  }
  return out;
}

TEST(NativeInt, TableHasEveryIntType) {
  EXPECT_EQ(IntTypes().size(), 24u);                      // 3 widths x (3 groups x 2 + 2 per-row)
  EXPECT_EQ(Traits(QType::kINT4_G128).block_bytes, 66u);  // 2 + 128 * 4 / 8
  EXPECT_EQ(Traits(QType::kINT4_G128_Z).block_bytes, 67u);
  EXPECT_DOUBLE_EQ(BitsPerWeight(QType::kINT4_G128), 4.125);
  EXPECT_DOUBLE_EQ(BitsPerWeight(QType::kINT3_G128), 3.125);
  EXPECT_DOUBLE_EQ(BitsPerWeight(QType::kINT2_G32), 2.5);
  // Per-row types: the header comes first, then the packed codes.
  EXPECT_EQ(RowBytes(QType::kINT4_ROW, 256), 4u + 128u);
  EXPECT_EQ(RowBytes(QType::kINT4_ROW_Z, 256), 8u + 128u);
  EXPECT_EQ(RowBytes(QType::kINT3_ROW, 256), 4u + 96u);
  EXPECT_EQ(RowBytes(QType::kINT2_ROW_Z, 256), 8u + 64u);
  EXPECT_EQ(RowBytes(QType::kINT8, 256), 4u + 256u);
}

// The packed stream is the integer sum of c_i << (i * bits), stored little-endian.
template <int kBits>
void CheckPacking() {
  std::mt19937 rng(kBits);
  const int n = 64;
  std::vector<uint8_t> codes(n), packed(n * kBits / 8);
  for (uint8_t& c : codes) c = uint8_t(rng() % (1u << kBits));
  native::PackCodes<kBits>(codes.data(), n, packed.data());
  for (int unit = 0; unit < n / 8; ++unit) {  // 8 codes = kBits whole bytes
    uint32_t want = 0;
    for (int j = 0; j < 8; ++j) want |= uint32_t(codes[size_t(unit * 8 + j)]) << (j * kBits);
    for (int k = 0; k < kBits; ++k)
      EXPECT_EQ(packed[size_t(unit * kBits + k)], uint8_t(want >> (8 * k))) << kBits << " " << unit;
  }
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(native::UnpackCode<kBits>(packed.data(), i), codes[size_t(i)]) << kBits << " " << i;
}

TEST(NativeInt, PackingIsLittleEndianBitStream) {
  CheckPacking<4>();
  CheckPacking<3>();
  CheckPacking<2>();
}

// x = d * (q - z) on a hand-built INT4_G32_Z block and an INT3_G32 block (z = 4).
TEST(NativeInt, DequantizeHandBuiltBlocks) {
  constexpr uint16_t kHalf0_25 = 0x3400;  // 0.25 in f16
  BlockIntAsym<4, 32> a;
  a.d = kHalf0_25;
  a.z = 3;
  uint8_t codes[32];
  for (int j = 0; j < 32; ++j) codes[j] = uint8_t((j * 7) % 16);
  native::PackCodes<4>(codes, 32, a.qs);
  float y[32];
  DequantizeRowIntGroup<4, 32, true>(&a, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.25f * float(codes[j] - 3)) << j;

  BlockIntSym<3, 32> s;
  s.d = kHalf0_25;
  for (int j = 0; j < 32; ++j) codes[j] = uint8_t((j * 5) % 8);
  native::PackCodes<3>(codes, 32, s.qs);
  DequantizeRowIntGroup<3, 32, false>(&s, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.25f * float(codes[j] - 4)) << j;
}

// GPTQ's all-zero group: xmin = -1, xmax = 1, so scale = 2 / maxq and (asymmetric) zero =
// round(1 / scale) = round(7.5) = 8 with ties to even; every code is the zero point, x' = 0.
TEST(NativeInt, ZeroGroupFollowsGptq) {
  const std::vector<float> x(32, 0.0f);
  BlockIntAsym<4, 32> a;
  QuantizeRowIntGroup<4, 32, true>(x.data(), &a, 32);
  EXPECT_EQ(a.d, F32ToF16(2.0f / 15.0f));
  EXPECT_EQ(a.z, 8);
  float y[32];
  DequantizeRowIntGroup<4, 32, true>(&a, y, 32);
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

// GPTQ's asymmetric rule worked by hand: xmin = -0.3, xmax = 1.2, scale = 1.5 / 15 = 0.1, stored
// as f16 d = 0.0999755859375; zero = round(0.3 / d) = round(3.0007) = 3; x = -0.3 -> code
// round(-3.0007) + 3 = 0 -> d * (0 - 3); x = 1.2 -> round(12.003) + 3 = 15 -> d * 12; x = 0 -> 3.
TEST(NativeInt, AsymmetricGridByHand) {
  std::vector<float> x(32, 0.0f);
  x[0] = -0.3f;
  x[1] = 1.2f;
  BlockIntAsym<4, 32> a;
  QuantizeRowIntGroup<4, 32, true>(x.data(), &a, 32);
  EXPECT_EQ(F16ToF32(a.d), 0.0999755859375f);
  EXPECT_EQ(a.z, 3);
  EXPECT_EQ(native::UnpackCode<4>(a.qs, 0), 0);
  EXPECT_EQ(native::UnpackCode<4>(a.qs, 1), 15);
  EXPECT_EQ(native::UnpackCode<4>(a.qs, 2), 3);
  float y[32];
  DequantizeRowIntGroup<4, 32, true>(&a, y, 32);
  EXPECT_EQ(y[0], 0.0999755859375f * -3);
  EXPECT_EQ(y[1], 0.0999755859375f * 12);
  EXPECT_EQ(y[2], 0.0f);
}

// round(x / d) rounds half to even, as torch.round: with d = 0.25 (x = 15 * d / 7.5 = 1.875 sets
// the scale to 2 * 1.875 / 15 = 0.25 exactly), x = 0.125 is 0.5 steps -> 0 and 0.375 is 1.5 -> 2.
TEST(NativeInt, RoundsHalfToEven) {
  std::vector<float> x(32, 0.0f);
  x[0] = 1.875f;
  x[1] = 0.125f;
  x[2] = 0.375f;
  x[3] = -0.125f;
  BlockIntSym<4, 32> s;
  QuantizeRowIntGroup<4, 32, false>(x.data(), &s, 32);
  ASSERT_EQ(F16ToF32(s.d), 0.25f);
  float y[32];
  DequantizeRowIntGroup<4, 32, false>(&s, y, 32);
  EXPECT_EQ(y[0], 1.75f);  // 7.5 steps: rounds to 8, clamped to code 15 = +7 steps
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[3], 0.0f);
}

// Rows of groups with per-group magnitudes from 1e-2 to 10, one all-positive group (GPTQ would
// clip it; qforge covers [-amax, amax], header deviation (1)) and one outlier group.
std::vector<float> RandomRow(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> log_scale(-2.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t g = 0; g < n / 32; ++g) {
    const float s = std::pow(10.0f, log_scale(rng));
    for (int j = 0; j < 32; ++j) x[size_t(g * 32 + j)] = s * normal(rng);
  }
  for (int j = 0; j < 32; ++j) x[size_t(32 + j)] = std::fabs(x[size_t(32 + j)]);
  x[100] = 50.0f;
  return x;
}

// Scale (and zero) of group g as stored: f16 d (+ u8 z) at the start of block g, or the row
// header's f32 d (+ i32 z).
void StoredGrid(const IntType& it, const std::byte* row, int64_t g, double& d, int& z) {
  const QTypeTraits& t = Traits(it.type);
  z = 1 << (it.bits - 1);
  if (it.group > 0) {
    const std::byte* block = row + size_t(g) * t.block_bytes;
    uint16_t bits;
    std::memcpy(&bits, block, 2);
    d = F16ToF32(bits);
    if (it.zero) z = int(uint8_t(block[2]));
  } else {
    float f;
    std::memcpy(&f, row, 4);
    d = f;
    if (it.zero) std::memcpy(&z, row + 4, 4);
  }
}

// The bound, derived. GPTQ's scale s = (xmax - xmin) / maxq makes the grid d (q - z), q in
// [0, maxq], span [xmin, xmax] up to the rounding of d (f16 for groups: |d - s| <= 2^-11 s) and
// of the zero point (asymmetric: the grid shifts by up to d / 2). Inside the grid x is within
// d / 2 of a point; outside, the clamped error is the distance to the end. Hence
//   symmetric:   |x - x'| <= d/2 + maxq 2^-11 s          (brief: "scale/2")
//   asymmetric:  |x - x'| <= d   + maxq 2^-11 s          (brief: "scale/2 + zero rounding")
// plus f32 rounding of x / d and d (q - z): a few 2^-24 |x|, covered by 2^-20 max|x|.
TEST(NativeInt, RoundTripWithinDerivedBound) {
  const int64_t n = 1024;
  const std::vector<float> x = RandomRow(n, 7);
  for (const IntType& it : IntTypes()) {
    const QTypeTraits& t = Traits(it.type);
    std::vector<std::byte> q(RowBytes(it.type, n));
    std::vector<float> y(static_cast<size_t>(n));
    t.quantize_row(x.data(), q.data(), n);
    t.dequantize_row(q.data(), y.data(), n);
    const int64_t group = it.group > 0 ? it.group : n;
    const int maxq = (1 << it.bits) - 1;
    int failures = 0;
    for (int64_t g = 0; g < n / group; ++g) {
      double xmin = 0, xmax = 0, d;
      int z;
      for (int64_t j = 0; j < group; ++j) {
        xmin = std::min(xmin, double(x[size_t(g * group + j)]));
        xmax = std::max(xmax, double(x[size_t(g * group + j)]));
      }
      StoredGrid(it, q.data(), g, d, z);
      const double s = it.zero ? (xmax - xmin) / maxq : 2 * std::max(xmax, -xmin) / maxq;
      const double amax = std::max(xmax, -xmin);
      const double bound = (it.zero ? d : d / 2) + maxq * 0x1p-11 * s + 0x1p-20 * amax;
      EXPECT_GE(z, 0);
      EXPECT_LE(z, maxq);
      for (int64_t j = 0; j < group; ++j) {
        const size_t i = size_t(g * group + j);
        if (std::fabs(double(y[i]) - x[i]) > bound && ++failures <= 5)
          ADD_FAILURE() << t.name << " group " << g << " [" << j << "]: " << x[i] << " -> " << y[i]
                        << ", bound " << bound;
      }
    }
    EXPECT_EQ(failures, 0) << t.name;
  }
}

// INT8: d = absmax / 127 in the header, codes in [-127, 127], |x - x'| <= d / 2 (+ f32 rounding).
TEST(NativeInt, Int8WithinHalfStep) {
  const int64_t n = 1000;
  const std::vector<float> x = RandomRow(n - n % 32 + 32, 3);
  std::vector<std::byte> q(RowBytes(QType::kINT8, n));
  std::vector<float> y(static_cast<size_t>(n));
  QuantizeRowInt8(x.data(), q.data(), n);
  DequantizeRowInt8(q.data(), y.data(), n);
  float d;
  std::memcpy(&d, q.data(), 4);
  double amax = 0;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(double(x[size_t(i)])));
  EXPECT_NEAR(d, amax / 127, amax * 0x1p-23);
  for (int64_t i = 0; i < n; ++i) {
    const auto code = int8_t(q[size_t(4 + i)]);
    EXPECT_GE(code, -127);
    EXPECT_LE(std::fabs(double(y[size_t(i)]) - x[size_t(i)]), d / 2 + 0x1p-20 * amax) << i;
  }
}

}  // namespace
}  // namespace qforge
