// The SIMD kernels of qforge's native types (kernels/matmul_native.h) on every compiled Highway
// target: SIMD dequantization equals the scalar codec bit for bit (every FP8 code, random INT/NF4
// rows); the fused (decode) and tiled (prefill) paths against ref::MatMul on rows with partial
// units and 1/3/17/64 tokens; bit-identical outputs at 1 and 2 threads.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/native_simd_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"

namespace qforge::kernels::test_impl {
void CheckNativeDequantizeExact(int64_t target);
void CheckNativeFp8AllCodes(int64_t target);
void CheckNativePathsMatchReference(int64_t target);
void CheckNativeDeterministic(int64_t target);
}  // namespace qforge::kernels::test_impl

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void TestNativeDequantizeExact() { test_impl::CheckNativeDequantizeExact(HWY_TARGET); }
void TestNativeFp8AllCodes() { test_impl::CheckNativeFp8AllCodes(HWY_TARGET); }
void TestNativePathsMatchReference() { test_impl::CheckNativePathsMatchReference(HWY_TARGET); }
void TestNativeDeterministic() { test_impl::CheckNativeDeterministic(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cases.h"
#include "kernels/check.h"
#include "kernels/native_cases.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/kernels/matmul_native.h"
#include "qforge/kernels/ops.h"
#include "qforge/kernels/ref/ops_ref.h"
#include "support/tolerance.h"

namespace qforge::kernels {
HWY_BEFORE_TEST(NativeSimdTest);
HWY_EXPORT_AND_TEST_P(NativeSimdTest, TestNativeDequantizeExact);
HWY_EXPORT_AND_TEST_P(NativeSimdTest, TestNativeFp8AllCodes);
HWY_EXPORT_AND_TEST_P(NativeSimdTest, TestNativePathsMatchReference);
HWY_EXPORT_AND_TEST_P(NativeSimdTest, TestNativeDeterministic);

namespace test_impl {
using test::MatMulCase;

using test::NativeTypes;

// Row lengths with partial units (row-scaled types take any multiple of 1-8 elements): around 4,
// 8 and 16 lanes times 1-8 codes per lane, rounded up to whole blocks.
std::vector<int64_t> RowLengths(QType type) {
  std::vector<int64_t> lengths;
  for (int64_t in : {1, 3, 8, 17, 40, 63, 64, 65, 136, 255, 257, 1000})
    lengths.push_back(test::WholeBlocks(in, type));
  return lengths;
}

// The same value: the same bits but for the sign of zero (the INT group kernels give +0 for a zero
// scale where the codec gives -0, native_dequant-inl.h), or both NaN.
bool SameFloat(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void ExpectSameRow(QType type, const void* row, int64_t in) {
  std::vector<float> want(static_cast<size_t>(in)), got(static_cast<size_t>(in), -7.0f);
  Traits(type).dequantize_row(row, want.data(), in);
  FindNativeKernel(type).dequantize_row(row, got.data(), in);
  int failures = 0;
  for (int64_t i = 0; i < in; ++i)
    if (!SameFloat(got[size_t(i)], want[size_t(i)]) && ++failures <= 5)
      ADD_FAILURE() << Traits(type).name << " in=" << in << " [" << i << "]: got " << got[size_t(i)]
                    << ", want " << want[size_t(i)];
}

void CheckNativeDequantizeExact(int64_t target) {
  test::ExpectActiveTarget(target);
  const std::vector<QType> types = NativeTypes();
  // INT8, 8 INT types per bit width (3 group sizes x zero or not, ROW, ROW_Z) x 3 widths, NF4,
  // NF4_DQ, FP4 and 4 FP8 types.
  EXPECT_EQ(types.size(), 32u);
  for (QType type : types)
    for (int64_t in : RowLengths(type)) {
      // Weights spread over several decades, so every code of the 16-level and fp8 types occurs.
      std::vector<float> w = test::RandomFloats(in, -1.0f, 1.0f, uint32_t(in));
      for (size_t i = 0; i < w.size(); i += 3) w[i] *= 1e-3f;
      std::vector<std::byte> row(RowBytes(type, in));
      Traits(type).quantize_row(w.data(), row.data(), in);
      ExpectSameRow(type, row.data(), in);
    }
}

// Every fp8 code (NaN, Inf, subnormals, both zeros) after a scale 0.37 in the row header.
void CheckNativeFp8AllCodes(int64_t target) {
  test::ExpectActiveTarget(target);
  for (QType type : {QType::kFP8_E4M3, QType::kFP8_E5M2, QType::kFP8_E4M3_T, QType::kFP8_E5M2_T}) {
    std::vector<uint8_t> row(sizeof(RowHeaderScale) + 256);
    const float scale = 0.37f;
    std::memcpy(row.data(), &scale, sizeof(float));
    for (int c = 0; c < 256; ++c) row[sizeof(RowHeaderScale) + size_t(c)] = uint8_t(c);
    ExpectSameRow(type, row.data(), 256);
  }
}

std::vector<float> RunPath(const NativeKernel& k, const test::MatMulInputs& in, NativePath path,
                           int64_t begin, int64_t end) {
  const MatMulCase& c = in.c;
  std::vector<float> y(size_t(c.tokens * c.out), -1.0f);
  const MatMulArgs args{
      in.storage.data(), RowBytes(c.type, c.in), c.type, 0, c.out, c.in, in.x.data(), c.tokens,
      y.data()};
  k.rows(args, begin, end, path);
  return y;
}

// Both paths, every token count, against the f64 reference. Each output is an f32 dot product of
// the exact dequantized weights (tested above) with x, in some order: test::MatmulTolerance.
void CheckNativePathsMatchReference(int64_t target) {
  test::ExpectActiveTarget(target);
  for (const MatMulCase& c : test::NativeTestCases()) {
    const NativeKernel k = FindNativeKernel(c.type);
    const test::MatMulInputs inputs = test::MakeMatMulInputs(c, uint32_t(c.in + c.tokens));
    std::vector<float> want(size_t(c.tokens * c.out));
    ref::MatMul(inputs.View(), inputs.x.data(), c.tokens, want.data());
    for (NativePath path : {NativePath::kFused, NativePath::kTiled}) {
      // Rows [3, 37): a range that starts inside a tile, as a thread's may.
      const std::vector<float> y = RunPath(k, inputs, path, 3, c.out);
      test::Comparer cmp(c.Name() + "/" + test::PathName(path));
      for (int64_t t = 0; t < c.tokens; ++t)
        for (int64_t o = 0; o < c.out; ++o) {
          const size_t idx = size_t(t * c.out + o);
          if (o < 3) {
            EXPECT_EQ(y[idx], -1.0f) << c.Name() << ": row " << o << " is outside the range";
            continue;
          }
          double sum_abs = 0;
          for (int64_t i = 0; i < c.in; ++i)
            sum_abs += std::fabs(double(inputs.w_f32[size_t(o * c.in + i)]) *
                                 inputs.x[size_t(t * c.in + i)]);
          cmp.Near(y[idx], want[idx], test::MatmulTolerance(sum_abs, c.in, c.type), int64_t(idx));
        }
    }
  }
}

// Through the public MatMul (ops.cc splits rows in groups of 8 across threads): 1 and 2 threads
// give the same bits on both sides of kFusedMaxTokens.
void CheckNativeDeterministic(int64_t target) {
  test::ExpectActiveTarget(target);
  ThreadPool one(1), two(2);
  for (QType type : NativeTypes())
    for (int64_t tokens : {1, 3, 17, 64}) {
      const MatMulCase c{523, test::WholeBlocks(320, type), tokens, type};  // > 64K MACs a thread
      const test::MatMulInputs in = test::MakeMatMulInputs(c, 5);
      std::vector<float> y1(size_t(tokens * c.out)), y2(y1.size());
      MatMul(in.View(), in.x.data(), tokens, y1.data(), one);
      MatMul(in.View(), in.x.data(), tokens, y2.data(), two);
      EXPECT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float))) << c.Name();
    }
}

}  // namespace test_impl
}  // namespace qforge::kernels
#endif  // HWY_ONCE
