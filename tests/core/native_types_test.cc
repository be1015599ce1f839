// Properties every qforge-native type shares: its traits row (names, no ggml id, row header in
// RowBytes), finite output for any finite input, the documented non-finite policy, and
// QuantizeTensor's argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/core/qtype.h"

namespace qforge {
namespace {

std::vector<QType> NativeTypes() {
  std::vector<QType> out;
  for (size_t i = size_t(QType::kINT8); i < kQTypeCount; ++i) out.push_back(QType(i));
  return out;
}

// A row length every native type accepts: a multiple of 128 (INT groups), 64 (NF4) and 8 (INT3).
constexpr int64_t kN = 256;

TEST(NativeTypes, TraitsRows) {
  EXPECT_EQ(NativeTypes().size(), 34u);
  for (QType type : NativeTypes()) {
    const QTypeTraits& t = Traits(type);
    EXPECT_EQ(t.ggml_type, -1) << t.name;  // not a ggml type: GGUF readers and writers refuse it
    EXPECT_EQ(QTypeFromName(std::string(t.name)), type) << t.name;
    EXPECT_NE(t.quantize_row, nullptr) << t.name;
    EXPECT_EQ(kN % t.block_size, 0) << t.name;
    EXPECT_EQ(RowBytes(type, kN), t.row_header_bytes + size_t(kN / t.block_size) * t.block_bytes);
  }
  EXPECT_FALSE(QTypeFromGgml(-1).has_value());
  EXPECT_EQ(QTypeFromName("int4_g128_z"), QType::kINT4_G128_Z);
  EXPECT_EQ(QTypeFromName("fp8_e4m3"), QType::kFP8_E4M3);
  EXPECT_EQ(Traits(QType::kFP8_E4M3).row_header_bytes, 4u);
  EXPECT_EQ(Traits(QType::kINT4_ROW_Z).row_header_bytes, 8u);
  EXPECT_EQ(Traits(QType::kNF4).row_header_bytes, 0u);
  EXPECT_EQ(Traits(QType::kQ4_0).row_header_bytes, 0u);  // the GGUF types have no header
  EXPECT_TRUE(QuantizesPerTensor(QType::kFP8_E4M3_T));
  EXPECT_TRUE(QuantizesPerTensor(QType::kNF4_DQ));
  EXPECT_FALSE(QuantizesPerTensor(QType::kFP8_E4M3));
  EXPECT_FALSE(QuantizesPerTensor(QType::kQ4_K));
}

std::vector<float> Dequantized(QType type, const std::vector<float>& x) {
  std::vector<std::byte> q(RowBytes(type, int64_t(x.size())));
  std::vector<float> y(x.size());
  Traits(type).quantize_row(x.data(), q.data(), int64_t(x.size()));
  Traits(type).dequantize_row(q.data(), y.data(), int64_t(x.size()));
  return y;
}

// Extreme finite inputs (+-1e37 next to tiny values, denormals) must not give NaN or Inf: spans
// that overflow f32 are divided before subtracting, f16 scales saturate. (Within a factor ~4 of
// FLT_MAX an asymmetric grid point d * (q - z) itself can overflow: the documented limit.)
TEST(NativeTypes, FiniteInputGivesFiniteOutput) {
  std::vector<float> x(kN);
  for (int64_t i = 0; i < kN; ++i) x[size_t(i)] = float(i % 7 - 3) * 1e-3f;
  x[3] = 1e37f;
  x[5] = -1e37f;
  x[130] = 1e-42f;  // subnormal
  x[200] = 7e5f;    // above f16's range for a group scale
  for (QType type : NativeTypes()) {
    const std::vector<float> y = Dequantized(type, x);
    for (int64_t i = 0; i < kN; ++i)
      EXPECT_TRUE(std::isfinite(y[size_t(i)])) << Traits(type).name << " [" << i << "]";
  }
}

// NaN reads as 0 and +-Inf as +-(largest finite |x| of the row): so a row with NaN decodes as if
// that element were 0 and a row with Inf as if it held the row's extreme value.
TEST(NativeTypes, NonFiniteInputPolicy) {
  std::vector<float> x(kN), clean(kN);
  for (int64_t i = 0; i < kN; ++i) x[size_t(i)] = clean[size_t(i)] = float(i % 11 - 5) * 0.1f;
  x[10] = NAN;
  clean[10] = 0.0f;
  x[20] = INFINITY;
  clean[20] = 0.5f;
  x[30] = -INFINITY;
  clean[30] = -0.5f;
  for (QType type : NativeTypes()) {
    const std::vector<float> y = Dequantized(type, x), want = Dequantized(type, clean);
    for (int64_t i = 0; i < kN; ++i)
      EXPECT_EQ(y[size_t(i)], want[size_t(i)]) << Traits(type).name << " [" << i << "]";
  }
}

TEST(NativeTypes, QuantizeTensorChecksShape) {
  std::vector<float> x(100, 1.0f);
  std::vector<std::byte> q(1024);
  EXPECT_THROW(QuantizeTensor(QType::kINT4_G128, x.data(), 1, 100, q.data()), Error);
  EXPECT_THROW(QuantizeTensor(QType::kNF4, x.data(), 1, 100, q.data()), Error);
  EXPECT_NO_THROW(QuantizeTensor(QType::kINT8, x.data(), 1, 100, q.data()));
}

// For per-row types QuantizeTensor is quantize_row on each row.
TEST(NativeTypes, QuantizeTensorRowByRow) {
  const int64_t rows = 3;
  std::vector<float> x(size_t(rows * kN));
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i)) * float(1 + i / kN);
  for (QType type : {QType::kINT8, QType::kINT3_G64_Z, QType::kNF4, QType::kFP8_E5M2}) {
    const size_t stride = RowBytes(type, kN);
    std::vector<std::byte> a(stride * rows), b(stride * rows);
    QuantizeTensor(type, x.data(), rows, kN, a.data());
    for (int64_t r = 0; r < rows; ++r)
      Traits(type).quantize_row(x.data() + r * kN, b.data() + size_t(r) * stride, kN);
    EXPECT_EQ(a, b) << Traits(type).name;
  }
}

}  // namespace
}  // namespace qforge
