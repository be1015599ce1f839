// Dot, RmsNorm, Softmax, SwiGlu, Axpy and AttendHead on every compiled Highway target against
// kernels/ref, on lengths around the vector widths, with tolerances from support/tolerance.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/vec_ops_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"

// Plain checks compiled once (HWY_ONCE below); each target's test only selects the target.
namespace qforge::kernels::test_impl {
void CheckDot(int64_t target);
void CheckRmsNorm(int64_t target);
void CheckSoftmax(int64_t target);
void CheckSwiGlu(int64_t target);
void CheckAxpy(int64_t target);
void CheckAttendHead(int64_t target);
}  // namespace qforge::kernels::test_impl

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void TestDot() { test_impl::CheckDot(HWY_TARGET); }
void TestRmsNorm() { test_impl::CheckRmsNorm(HWY_TARGET); }
void TestSoftmax() { test_impl::CheckSoftmax(HWY_TARGET); }
void TestSwiGlu() { test_impl::CheckSwiGlu(HWY_TARGET); }
void TestAxpy() { test_impl::CheckAxpy(HWY_TARGET); }
void TestAttendHead() { test_impl::CheckAttendHead(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cases.h"
#include "kernels/check.h"
#include "qforge/kernels/ops.h"
#include "qforge/kernels/ref/ops_ref.h"
#include "support/tolerance.h"

namespace qforge::kernels {
HWY_BEFORE_TEST(VecOpsTest);
HWY_EXPORT_AND_TEST_P(VecOpsTest, TestDot);
HWY_EXPORT_AND_TEST_P(VecOpsTest, TestRmsNorm);
HWY_EXPORT_AND_TEST_P(VecOpsTest, TestSoftmax);
HWY_EXPORT_AND_TEST_P(VecOpsTest, TestSwiGlu);
HWY_EXPORT_AND_TEST_P(VecOpsTest, TestAxpy);
HWY_EXPORT_AND_TEST_P(VecOpsTest, TestAttendHead);

namespace test_impl {
using test::RandomFloats;
using test::VectorTestLengths;

std::string Name(const char* op, int64_t n) { return std::string(op) + " n=" + std::to_string(n); }

void CheckDot(int64_t target) {
  test::ExpectActiveTarget(target);
  for (int64_t n : VectorTestLengths()) {
    const std::vector<float> a = RandomFloats(n, -1, 1, 1), b = RandomFloats(n, -1, 1, 2);
    double sum_abs = 0;
    for (int64_t i = 0; i < n; ++i) sum_abs += std::fabs(double(a[size_t(i)]) * b[size_t(i)]);
    test::Comparer(Name("Dot", n))
        .Near(Dot(a.data(), b.data(), n), ref::Dot(a.data(), b.data(), n),
              test::DotTolerance(sum_abs, n), 0);
  }
}

void CheckRmsNorm(int64_t target) {
  test::ExpectActiveTarget(target);
  for (int64_t n : VectorTestLengths()) {
    const std::vector<float> x = RandomFloats(n, -3, 3, 3), w = RandomFloats(n, 0.5f, 1.5f, 4);
    std::vector<float> want(x.size()), got = x;
    ref::RmsNorm(x.data(), w.data(), n, 1e-5f, want.data());
    RmsNorm(got.data(), w.data(), n, 1e-5f, got.data());  // in place: out may alias x
    test::Comparer cmp(Name("RmsNorm", n));
    for (size_t i = 0; i < want.size(); ++i)
      cmp.Near(got[i], want[i], test::RmsNormRelTolerance(n) * std::fabs(want[i]), int64_t(i));
  }
}

void CheckSoftmax(const std::vector<float>& x, const std::string& name) {
  std::vector<float> want = x, got = x;
  ref::Softmax(want.data(), int64_t(want.size()));
  Softmax(got.data(), int64_t(got.size()));
  test::Comparer cmp(name);
  for (size_t i = 0; i < want.size(); ++i)
    cmp.Near(got[i], want[i], test::SoftmaxTolerance(want[i]), int64_t(i));
}

void CheckSoftmax(int64_t target) {
  test::ExpectActiveTarget(target);
  for (int64_t n : VectorTestLengths()) {
    CheckSoftmax(RandomFloats(n, -10, 10, 5), Name("Softmax", n));
    // Logit-like range, and masked (-inf) positions as in causal attention.
    std::vector<float> wide = RandomFloats(n, -60, 30, 6);
    for (size_t i = 1; i < wide.size(); i += 3) wide[i] = -std::numeric_limits<float>::infinity();
    CheckSoftmax(wide, Name("Softmax masked", n));
  }
}

void CheckSwiGlu(int64_t target) {
  test::ExpectActiveTarget(target);
  for (int64_t n : VectorTestLengths()) {
    std::vector<float> gate = RandomFloats(n, -12, 12, 7), up = RandomFloats(n, -4, 4, 8);
    // Saturated gates: exp(-g) overflows in the reference below g = -88.7.
    for (size_t i = 0; i < gate.size(); i += 5) gate[i] = (i % 2 ? 1 : -1) * 100.0f;
    std::vector<float> want(gate.size()), got = gate;
    ref::SwiGlu(gate.data(), up.data(), n, want.data());
    SwiGlu(got.data(), up.data(), n, got.data());  // in place: out may alias gate
    test::Comparer cmp(Name("SwiGlu", n));
    for (size_t i = 0; i < want.size(); ++i)
      cmp.Near(got[i], want[i], test::SwiGluTolerance(want[i], gate[i], up[i]), int64_t(i));
  }
}

void CheckAxpy(int64_t target) {
  test::ExpectActiveTarget(target);
  const float a = 0.7f;
  for (int64_t n : VectorTestLengths()) {
    const std::vector<float> x = RandomFloats(n, -2, 2, 9), y = RandomFloats(n, -2, 2, 10);
    std::vector<float> want = y, got = y;
    ref::Axpy(a, x.data(), want.data(), n);
    Axpy(a, x.data(), got.data(), n);
    test::Comparer cmp(Name("Axpy", n));
    for (size_t i = 0; i < want.size(); ++i)
      cmp.Near(got[i], want[i], test::AxpyTolerance(double(a) * x[i], y[i]), int64_t(i));
  }
}

// Heads of stories260K (8), odd widths around the vector lengths, llama (64, 128); cache rows
// wider than a head (the other KV heads sit between); one to a few hundred positions.
void CheckAttendHead(int64_t target) {
  test::ExpectActiveTarget(target);
  for (int64_t hd : {8, 17, 64, 128}) {
    for (int64_t length : {1, 3, 65, 300}) {
      const int64_t stride = 2 * hd + 3;
      const float scale = 1.0f / std::sqrt(float(hd));
      const std::vector<float> q = RandomFloats(hd, -2, 2, 11);
      const std::vector<float> k = RandomFloats(length * stride, -2, 2, 12);
      const std::vector<float> v = RandomFloats(length * stride, -3, 3, 13);
      std::vector<float> want_p(static_cast<size_t>(length)), got_p(want_p.size());
      std::vector<float> want(static_cast<size_t>(hd)), got(want.size());
      ref::AttendHead(q.data(), k.data(), v.data(), stride, length, hd, scale, want_p.data(),
                      want.data());
      AttendHead(q.data(), k.data(), v.data(), stride, length, hd, scale, got_p.data(), got.data());
      double score_error = 0, max_abs_v = 0;
      for (int64_t j = 0; j < length; ++j) {
        double sum_abs = 0, dot = 0;
        for (int64_t d = 0; d < hd; ++d) {
          sum_abs += std::fabs(double(q[size_t(d)]) * k[size_t(j * stride + d)]);
          dot += double(q[size_t(d)]) * k[size_t(j * stride + d)];
          max_abs_v = std::max(max_abs_v, double(std::fabs(v[size_t(j * stride + d)])));
        }
        score_error = std::max(score_error, scale * test::DotTolerance(sum_abs, hd) +
                                                2 * test::kU * std::fabs(dot * scale));
      }
      test::Comparer cmp("AttendHead hd=" + std::to_string(hd) +
                         " length=" + std::to_string(length));
      for (int64_t d = 0; d < hd; ++d) {
        double sum_p_abs_v = 0;
        for (int64_t j = 0; j < length; ++j)
          sum_p_abs_v += want_p[size_t(j)] * std::fabs(v[size_t(j * stride + d)]);
        cmp.Near(got[size_t(d)], want[size_t(d)],
                 test::AttendTolerance(score_error, sum_p_abs_v, max_abs_v, length), d);
      }
    }
  }
}

}  // namespace test_impl
}  // namespace qforge::kernels
#endif  // HWY_ONCE
