// Activation quantization (kernels/quantize_act.h): on every compiled Highway target, the bytes of
// QuantizeActivationRow equal core's scalar quantize_row (ggml's *_ref rounding) for Q8_0, Q8_1
// and Q8_K: random rows, exact ties, zero blocks, huge and tiny values, NaN/Inf blocks,
// n = 32..4096. Exact equality is the contract, so there is no tolerance.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/quantize_act_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"

namespace qforge::kernels::test_impl {
void CheckQuantizeActMatchesScalar(int64_t target);
}  // namespace qforge::kernels::test_impl

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void TestQuantizeActMatchesScalar() { test_impl::CheckQuantizeActMatchesScalar(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/core/qtype.h"
#include "qforge/kernels/quantize_act.h"

namespace qforge::kernels {
HWY_BEFORE_TEST(QuantizeActTest);
HWY_EXPORT_AND_TEST_P(QuantizeActTest, TestQuantizeActMatchesScalar);

constexpr QType kActTypes[] = {QType::kQ8_0, QType::kQ8_1, QType::kQ8_K};

namespace test_impl {
namespace {

// One row through both paths; reports the first differing byte.
void ExpectSameBytes(QType act, const std::vector<float>& x, const std::string& what) {
  const int64_t n = int64_t(x.size());
  std::vector<std::byte> want(RowBytes(act, n), std::byte{0xAA});
  std::vector<std::byte> got(want.size(), std::byte{0x55});  // a different fill: all bytes written
  Traits(act).quantize_row(x.data(), want.data(), n);
  QuantizeActivationRow(act, x.data(), got.data(), n);
  for (size_t i = 0; i < want.size(); ++i)
    if (got[i] != want[i]) {
      ADD_FAILURE() << Traits(act).name << " " << what << " n=" << n << ": byte " << i << " of "
                    << want.size() << " is " << int(got[i]) << ", scalar " << int(want[i]);
      return;
    }
}

// Rows of n values from `gen` (called with the element index).
std::vector<float> Row(int64_t n, const std::function<float(int64_t)>& gen) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[size_t(i)] = gen(i);
  return x;
}

void CheckRows(QType act, int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  ExpectSameBytes(act, Row(n, [&](int64_t) { return normal(rng); }), "normal");
  ExpectSameBytes(act, Row(n, [&](int64_t) { return uniform(rng); }), "uniform");
  // Steps of exactly 1 after scaling (amax 127 in every block, so d = 1 and id = 1): every
  // element is a tie k + 0.5, where roundf (away from zero) and nearest_int (to even) differ.
  ExpectSameBytes(act,
                  Row(n, [](int64_t i) { return i % 32 == 0 ? 127.0f : float(i % 11 - 5) + 0.5f; }),
                  "ties");
  // Ties with the negative maximum first (Q8_K's sign of max; iscale = 127 / 127).
  ExpectSameBytes(act,
                  Row(n,
                      [](int64_t i) {
                        return i % 32 == 0 ? -127.0f
                                           : (i % 32 == 1 ? 127.0f : float(i % 9 - 4) - 0.5f);
                      }),
                  "ties, -max first");
  ExpectSameBytes(act, Row(n, [](int64_t) { return 0.0f; }), "zeros");
  ExpectSameBytes(act, Row(n, [](int64_t i) { return i % 2 ? -0.0f : 0.0f; }), "signed zeros");
  // Zero blocks between random ones.
  ExpectSameBytes(act, Row(n, [&](int64_t i) { return (i / 32) % 3 == 1 ? 0.0f : normal(rng); }),
                  "some zero blocks");
  ExpectSameBytes(act, Row(n, [&](int64_t) { return 1e37f * normal(rng); }), "huge");
  ExpectSameBytes(act, Row(n, [&](int64_t) { return 3e38f * uniform(rng); }), "near FLT_MAX");
  ExpectSameBytes(act, Row(n, [&](int64_t) { return 1e-30f * normal(rng); }), "tiny");
  // Subnormal d or an overflowing 1 / d: these blocks take the scalar path (quantize_act-inl.h).
  ExpectSameBytes(act, Row(n, [&](int64_t) { return 1e-37f * normal(rng); }), "subnormal d");
  ExpectSameBytes(act, Row(n, [&](int64_t) { return 1e-44f * uniform(rng); }), "subnormal x");
  // A dominant element (most codes round to 0 or +-1).
  ExpectSameBytes(act, Row(n, [&](int64_t i) { return i % 97 == 3 ? 1e4f : normal(rng); }),
                  "outlier");
  // NaN and Inf blocks go to the scalar function; the other blocks stay on the vector path.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ExpectSameBytes(act, Row(n, [&](int64_t i) { return i == n / 2 ? nan : normal(rng); }), "NaN");
  ExpectSameBytes(act, Row(n, [&](int64_t i) { return i == n - 1 ? -inf : normal(rng); }), "Inf");
}

}  // namespace

void CheckQuantizeActMatchesScalar(int64_t target) {
  EXPECT_STREQ(hwy::TargetName(target), QuantizeActTarget());
  std::mt19937 rng(uint32_t(target % 1000003));
  for (QType act : kActTypes)
    for (int64_t n : {32, 64, 96, 256, 512, 768, 1024, 2048, 4096}) {
      if (n % Traits(act).block_size != 0) continue;
      CheckRows(act, n, rng);
    }
}

}  // namespace test_impl

TEST(QuantizeActTest, ZeroLengthRowWritesNothing) {
  for (QType act : kActTypes) QuantizeActivationRow(act, nullptr, nullptr, 0);
}

TEST(QuantizeActTest, RejectsNonActivationType) {
  const std::vector<float> x(32, 1.0f);
  std::vector<std::byte> dst(64);
  EXPECT_THROW(QuantizeActivationRow(QType::kQ4_0, x.data(), dst.data(), 32), Error);
}

}  // namespace qforge::kernels

#endif  // HWY_ONCE
