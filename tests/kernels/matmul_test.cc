// MatMul on every compiled Highway target: against ref::MatMul on odd shapes, exact weight
// conversion (every finite f16 and bf16 value), and bit-identical results at 1-4 threads.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"

// The checks are plain functions compiled once (HWY_ONCE below); each target's test only selects
// the target, so no library code is compiled with a target's flags by accident.
namespace qforge::kernels::test_impl {
void CheckMatchesReference(int64_t target);
void CheckConversionExact(int64_t target);
void CheckDeterministicAcrossThreads(int64_t target);
}  // namespace qforge::kernels::test_impl

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void TestMatMulMatchesReference() { test_impl::CheckMatchesReference(HWY_TARGET); }
void TestMatMulConversionExact() { test_impl::CheckConversionExact(HWY_TARGET); }
void TestMatMulDeterministic() { test_impl::CheckDeterministicAcrossThreads(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstring>
#include <vector>

#include "kernels/cases.h"
#include "kernels/check.h"
#include "qforge/core/half.h"
#include "qforge/kernels/ops.h"
#include "qforge/kernels/ref/ops_ref.h"
#include "support/tolerance.h"

namespace qforge::kernels {
HWY_BEFORE_TEST(MatMulTest);
HWY_EXPORT_AND_TEST_P(MatMulTest, TestMatMulMatchesReference);
HWY_EXPORT_AND_TEST_P(MatMulTest, TestMatMulConversionExact);
HWY_EXPORT_AND_TEST_P(MatMulTest, TestMatMulDeterministic);

namespace test_impl {
using test::MatMulCase;

std::vector<float> RunMatMul(const test::MatMulInputs& in, ThreadPool& pool) {
  std::vector<float> y(size_t(in.c.tokens * in.c.out), -1.0f);
  MatMul(in.View(), in.x.data(), in.c.tokens, y.data(), pool);
  return y;
}

void CheckMatchesReference(int64_t target) {
  test::ExpectActiveTarget(target);
  ThreadPool pool(2);
  for (const MatMulCase& c : test::MatMulTestCases()) {
    const test::MatMulInputs in = test::MakeMatMulInputs(c, 42);
    const std::vector<float> y = RunMatMul(in, pool);
    std::vector<float> want(y.size());
    ref::MatMul(in.View(), in.x.data(), c.tokens, want.data());
    test::Comparer cmp(c.Name());
    for (int64_t t = 0; t < c.tokens; ++t)
      for (int64_t o = 0; o < c.out; ++o) {
        double sum_abs = 0;
        for (int64_t i = 0; i < c.in; ++i)
          sum_abs += std::fabs(double(in.w_f32[size_t(o * c.in + i)]) * in.x[size_t(t * c.in + i)]);
        const size_t k = size_t(t * c.out + o);
        cmp.Near(y[k], want[k], test::MatmulTolerance(sum_abs, c.in, c.type), int64_t(k));
      }
  }
}

// Every finite 16-bit pattern of `type` as a weight; one-hot activations (x[t] = e_t) make
// y[t, o] = W[o, t] exactly, since all other products are exact zeros.
void CheckConversionExact(QType type, uint16_t exponent_mask, float (*to_f32)(uint16_t)) {
  const int64_t in = 257, out = 65536 / in + 1;
  std::vector<uint16_t> w(size_t(out * in), 0);
  size_t n = 0;
  for (uint32_t bits = 0; bits < 65536; ++bits)
    if ((bits & exponent_mask) != exponent_mask) w[n++] = uint16_t(bits);  // skip Inf and NaN
  std::vector<float> x(size_t(in * in), 0.0f), y(size_t(in * out));
  for (int64_t t = 0; t < in; ++t) x[size_t(t * in + t)] = 1.0f;
  const TensorView view{
      "w", type, {out, in}, reinterpret_cast<const std::byte*>(w.data()), w.size() * 2};
  ThreadPool pool(1);
  MatMul(view, x.data(), in, y.data(), pool);
  int failures = 0;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t t = 0; t < in; ++t) {
      const uint16_t bits = w[size_t(o * in + t)];
      if (y[size_t(t * out + o)] != to_f32(bits) && ++failures <= 5)
        ADD_FAILURE() << Traits(type).name << " 0x" << std::hex << bits << ": got "
                      << y[size_t(t * out + o)] << ", want " << to_f32(bits);
    }
  EXPECT_EQ(failures, 0);
}

void CheckConversionExact(int64_t target) {
  test::ExpectActiveTarget(target);
  CheckConversionExact(QType::kF16, 0x7c00, F16ToF32);
  CheckConversionExact(QType::kBF16, 0x7f80, BF16ToF32);
}

void CheckDeterministicAcrossThreads(int64_t target) {
  test::ExpectActiveTarget(target);
  for (const MatMulCase& c : test::MatMulThreadingCases()) {
    const test::MatMulInputs in = test::MakeMatMulInputs(c, 7);
    ThreadPool one(1);
    const std::vector<float> base = RunMatMul(in, one);
    for (int threads : {2, 3, 4}) {
      ThreadPool pool(threads);
      const std::vector<float> y = RunMatMul(in, pool);
      EXPECT_EQ(0, std::memcmp(y.data(), base.data(), y.size() * sizeof(float)))
          << c.Name() << " differs at " << threads << " threads";
    }
  }
}

}  // namespace test_impl
}  // namespace qforge::kernels
#endif  // HWY_ONCE
