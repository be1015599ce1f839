// W8A8 and LLM.int8() products (kernels/matmul_int8_act.h):
// (a) MatMul on every compiled Highway target (AVX3_DL's VNNI kernel included) equals the scalar
//     reference bit for bit, on odd shapes and token counts;
// (b) W8A8 is within the derived rounding bound of the f64 product of the unquantized x and W;
// (c) LLM.int8(): outlier columns alone give the f32 product of those columns; with both kinds
//     of columns the error stays within the int8 bound of the other columns; on a layer with
//     injected outlier channels its error is far below W8A8's;
// (d) identical results at 1-4 threads; counters, threshold and bad input.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/int8_act_test.cc"
// The kernel unit compiles AVX3_DL (VNNI) too; so must the test, to run it (matmul_int8_act.cc).
#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL
#endif
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"

namespace qforge::kernels::test_impl {
void CheckInt8ActMatchesReference(int64_t target);
}  // namespace qforge::kernels::test_impl

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void TestInt8ActMatchesReference() { test_impl::CheckInt8ActMatchesReference(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "kernels/check.h"
#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/kernels/matmul_int8_act.h"
#include "qforge/kernels/ops.h"
#include "qforge/kernels/ref/matmul_int8_act_ref.h"
#include "support/tolerance.h"

namespace qforge::kernels {
HWY_BEFORE_TEST(Int8ActTest);
HWY_EXPORT_AND_TEST_P(Int8ActTest, TestInt8ActMatchesReference);

namespace test_impl {
namespace {

// f32 weights, their INT8 rows (W8A8 and LLM_INT8 share INT8's bytes) and dequantized values.
struct Layer {
  int64_t out, in;
  std::vector<float> w;
  std::vector<std::byte> q;
  std::vector<float> wd;

  TensorView View(QType type) const { return TensorView{"w", type, {out, in}, q.data(), q.size()}; }
};

Layer MakeLayer(int64_t out, int64_t in, uint32_t seed) {
  Layer l{out, in, std::vector<float>(size_t(out * in)), {}, std::vector<float>(size_t(out * in))};
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (float& v : l.w) v = 0.05f * normal(rng);
  const size_t stride = RowBytes(QType::kW8A8, in);
  l.q.resize(stride * size_t(out));
  for (int64_t o = 0; o < out; ++o) {
    QuantizeRowInt8(&l.w[size_t(o * in)], l.q.data() + size_t(o) * stride, in);
    DequantizeRowInt8(l.q.data() + size_t(o) * stride, &l.wd[size_t(o * in)], in);
  }
  return l;
}

// N(0, 1) activations with the given columns scaled by `outlier_scale` (LLM.int8()'s emergent
// outlier features: a few hidden dimensions, large in most tokens).
std::vector<float> MakeActivations(int64_t tokens, int64_t in, const std::vector<int64_t>& cols,
                                   float outlier_scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(size_t(tokens * in));
  for (float& v : x) v = normal(rng);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c : cols) x[size_t(t * in + c)] *= outlier_scale;
  return x;
}

std::vector<float> RunMatMul(const TensorView& w, const std::vector<float>& x, int64_t tokens,
                             int threads) {
  ThreadPool pool(threads);
  std::vector<float> y(size_t(tokens * w.shape[0]), -1.0f);
  MatMul(w, x.data(), tokens, y.data(), pool);
  return y;
}

void ExpectSameBits(const std::vector<float>& got, const std::vector<float>& want,
                    const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  int failures = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && ++failures <= 5)
      ADD_FAILURE() << what << " [" << i << "]: got " << got[i] << ", want " << want[i];
  EXPECT_EQ(failures, 0) << what;
}

// Per-token int8 scale s_t = absmax / 127 over the columns not in `skip`.
float TokenStep(const float* x, int64_t in, const std::vector<int64_t>& skip) {
  std::vector<float> row(x, x + in);
  for (int64_t c : skip) row[size_t(c)] = 0.0f;
  float amax = 0.0f;
  for (float v : row) amax = std::max(amax, std::fabs(v));
  return amax / 127.0f;
}

// Rounding bound of one int8 product (b). With s the activation step and d the weight step,
// qx = round(fl(x / s)): |fl(x / s) - x / s| <= u |x / s| <= 127 u (1 + 2u) and rounding to the
// nearest integer adds at most 1/2, so |x - s qx| <= s h with h = 1/2 + 128 u (no clamping:
// fl(x / s) <= 127 (1 + u)^2 / (1 - u) < 127.5). Likewise |w - d qw| <= d h. Then
//   x w - (s qx)(d qw) = x (w - d qw) + (x - s qx) (d qw),
// so |sum x w - sum x^ w^| <= h (d sum |x_i| + s sum |w^_i|) over the int8 columns (w^ = d qw).
// The float half rounds f32(isum), s d and their product: 3 roundings of |s d isum| <=
// sum |x^ w^|, and an f32 sum of the outlier columns (LLM.int8()) adds gamma_{|C|+1} of theirs
// (tolerance.h DotTolerance). 1.01 covers second-order terms.
struct Bound {
  double int8 = 0, product_abs = 0, outlier_abs = 0;
  int64_t outliers = 0;
  double Value() const {
    return int8 + 1.01 * 3 * test::kU * product_abs +
           (outliers ? test::DotTolerance(outlier_abs, outliers) : 0.0);
  }
};

// Exact (f64) y of x and `w` (original or dequantized weights) for one (t, o), with the bound.
struct Expected {
  double y;
  Bound bound;
};
Expected ExpectedOutput(const Layer& l, const std::vector<float>& w, const float* x, int64_t o,
                        const std::vector<int64_t>& outliers, bool weights_rounded) {
  const float s = TokenStep(x, l.in, outliers);
  const float d = [&] {
    float v;
    std::memcpy(&v, l.q.data() + size_t(o) * RowBytes(QType::kW8A8, l.in), 4);
    return v;
  }();
  std::vector<char> is_outlier(size_t(l.in), 0);
  for (int64_t c : outliers) is_outlier[size_t(c)] = 1;
  const double h = 0.5 + 128 * test::kU;
  Expected e{0, {}};
  e.bound.outliers = int64_t(outliers.size());
  double sum_x = 0, sum_w = 0;
  for (int64_t i = 0; i < l.in; ++i) {
    const double xi = x[i], wi = w[size_t(o * l.in + i)], wdi = l.wd[size_t(o * l.in + i)];
    e.y += xi * wi;
    if (is_outlier[size_t(i)]) {
      e.bound.outlier_abs += std::fabs(xi * wdi);
      continue;
    }
    sum_x += std::fabs(xi);
    sum_w += std::fabs(wdi);
    e.bound.product_abs += (std::fabs(xi) + h * s) * std::fabs(wdi);
  }
  // Dequantized weights: only the activations are rounded, and the outlier columns multiply the
  // dequantized weights in both; original weights: their rounding (d h per element) counts too.
  e.bound.int8 = h * s * sum_w + (weights_rounded ? h * d * sum_x : 0.0);
  if (weights_rounded)
    for (int64_t c : outliers)
      e.bound.int8 += std::fabs(double(x[c])) * h * d;  // f32 path uses the dequantized columns
  return e;
}

// Restores the process-wide threshold when a test changes it.
struct ThresholdGuard {
  float saved = LlmInt8Threshold();
  ~ThresholdGuard() { SetLlmInt8Threshold(saved); }
};

}  // namespace

// (a) Bit-exact against the reference on every target. Row lengths around the vector widths
// (16/32/64 codes) and the VNNI step; 37 rows and 1/3/5/9 tokens: partial row and token tiles.
void CheckInt8ActMatchesReference(int64_t target) {
  EXPECT_STREQ(hwy::TargetName(target), Int8ActTarget());
  for (int64_t in : {1, 3, 17, 63, 64, 65, 127, 128, 255, 257, 1000})
    for (int64_t tokens : {1, 3, 5, 9}) {
      const Layer l = MakeLayer(37, in, uint32_t(in + tokens));
      // Two outlier columns (when the row has them) and one zero token row.
      std::vector<int64_t> cols;
      if (in > 3) cols = {1, in - 2};
      std::vector<float> x = MakeActivations(tokens, in, cols, 20.0f, uint32_t(3 * in + tokens));
      if (tokens > 1)
        for (int64_t i = 0; i < in; ++i) x[size_t(in + i)] = 0.0f;
      // Token 2: step exactly 1 (absmax 127) and halves, so rounding meets ties (to even).
      if (tokens > 2) {
        for (int64_t i = 0; i < in; ++i) x[size_t(2 * in + i)] = float(i % 7 - 3) + 0.5f;
        x[size_t(2 * in)] = 127.0f;
      }
      // Token 3: a NaN (read as 0 by INT8's row codec); W8A8 also gets an Inf (the row's largest
      // finite value). LLM_INT8 would send the Inf's column through f32, whose Inf * w has no
      // reference value to compare bits with.
      std::vector<float> x_inf = x;
      if (tokens > 3) {
        x[size_t(3 * in + in / 2)] = std::nanf("");
        x_inf = x;
        x_inf[size_t(3 * in)] = -INFINITY;
      }
      const std::string name = std::to_string(in) + "x" + std::to_string(tokens);
      std::vector<float> want(size_t(tokens * l.out));
      ref::MatMulW8A8(l.View(QType::kW8A8), x_inf.data(), tokens, want.data());
      ExpectSameBits(RunMatMul(l.View(QType::kW8A8), x_inf, tokens, 2), want, "W8A8 " + name);
      ref::MatMulLlmInt8(l.View(QType::kLLM_INT8), x.data(), tokens, LlmInt8Threshold(),
                         want.data());
      ExpectSameBits(RunMatMul(l.View(QType::kLLM_INT8), x, tokens, 2), want, "LLM_INT8 " + name);
    }
}

}  // namespace test_impl

namespace {
using test_impl::ExpectedOutput;
using test_impl::Layer;
using test_impl::MakeActivations;
using test_impl::MakeLayer;
using test_impl::RunMatMul;

// (b) W8A8 against the f64 product of the original (unrounded) x and W.
TEST(Int8Act, W8A8WithinRoundingBound) {
  const Layer l = MakeLayer(64, 1000, 5);
  const int64_t tokens = 7;
  const std::vector<float> x = MakeActivations(tokens, l.in, {}, 1.0f, 6);
  const std::vector<float> y = RunMatMul(l.View(QType::kW8A8), x, tokens, 2);
  test::Comparer cmp("W8A8 vs f64 product");
  double worst = 0;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t o = 0; o < l.out; ++o) {
      const auto e = ExpectedOutput(l, l.w, &x[size_t(t * l.in)], o, {}, true);
      const double err = std::fabs(y[size_t(t * l.out + o)] - e.y);
      worst = std::max(worst, err / e.bound.Value());
      cmp.Near(y[size_t(t * l.out + o)], e.y, e.bound.Value(), t * l.out + o);
    }
  // Random rounding errors mostly cancel: the worst case is far from the bound.
  RecordProperty("worst_error_over_bound", std::to_string(worst));
}

// (c1) Only outlier columns non-zero: the int8 part is exactly zero (absmax 0), so y is the f32
// product of those columns with the dequantized weights.
TEST(Int8Act, LlmInt8OutlierColumnsAreTheF32Product) {
  const Layer l = MakeLayer(37, 300, 8);
  const int64_t tokens = 5;
  const std::vector<int64_t> cols = {0, 7, 150, 299};
  std::vector<float> x(size_t(tokens * l.in), 0.0f);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-40.0f, 40.0f);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c : cols) x[size_t(t * l.in + c)] = u(rng);  // some below the threshold
  for (int64_t c : cols) x[size_t(l.in + c)] = 30.0f;  // token 1 makes every column an outlier
  x[7] = 0.5f;  // column 7 is an outlier through token 1; this small value still goes in f32
  const std::vector<float> y = RunMatMul(l.View(QType::kLLM_INT8), x, tokens, 2);
  test::Comparer cmp("LLM_INT8 outlier columns vs f32 product");
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t o = 0; o < l.out; ++o) {
      double sum = 0, sum_abs = 0;
      for (int64_t c : cols) {
        const double p = double(x[size_t(t * l.in + c)]) * l.wd[size_t(o * l.in + c)];
        sum += p;
        sum_abs += std::fabs(p);
      }
      cmp.Near(y[size_t(t * l.out + o)], sum, test::DotTolerance(sum_abs, int64_t(cols.size())),
               t * l.out + o);
    }
}

// (c2) Both kinds of columns: within the int8 bound of the non-outlier columns (weights as stored,
// so only the activations' rounding of those columns counts).
TEST(Int8Act, LlmInt8WithinInt8BoundElsewhere) {
  const Layer l = MakeLayer(48, 512, 10);
  const int64_t tokens = 9;
  const std::vector<int64_t> cols = {3, 100, 101, 400};
  const std::vector<float> x = MakeActivations(tokens, l.in, cols, 50.0f, 11);
  const std::vector<float> y = RunMatMul(l.View(QType::kLLM_INT8), x, tokens, 2);
  // Which columns crossed 6.0: the injected ones, plus any N(0, 1) value beyond 6 sigma (none).
  std::vector<int64_t> found;
  for (int64_t i = 0; i < l.in; ++i)
    for (int64_t t = 0; t < tokens; ++t)
      if (std::fabs(x[size_t(t * l.in + i)]) >= 6.0f) {
        found.push_back(i);
        break;
      }
  ASSERT_EQ(found, cols);
  test::Comparer cmp("LLM_INT8 vs f64 product of the dequantized weights");
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t o = 0; o < l.out; ++o) {
      const auto e = ExpectedOutput(l, l.wd, &x[size_t(t * l.in)], o, found, false);
      cmp.Near(y[size_t(t * l.out + o)], e.y, e.bound.Value(), t * l.out + o);
    }
}

// (c3) A layer with injected outlier channels (4 of 256 input columns 50x larger): W8A8's step is
// set by the outliers, LLM.int8()'s by the rest. Both against the exact product of the weights as
// stored, so only activation rounding differs. Measured: RMS error ratio LLM_INT8 / W8A8 = 0.042.
TEST(Int8Act, LlmInt8FarBelowW8A8WithOutlierChannels) {
  const Layer l = MakeLayer(256, 256, 12);
  const int64_t tokens = 32;
  const std::vector<float> x = MakeActivations(tokens, l.in, {5, 60, 61, 200}, 50.0f, 13);
  const std::vector<float> w8a8 = RunMatMul(l.View(QType::kW8A8), x, tokens, 2);
  const std::vector<float> int8 = RunMatMul(l.View(QType::kLLM_INT8), x, tokens, 2);
  double se_w8a8 = 0, se_int8 = 0;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t o = 0; o < l.out; ++o) {
      double exact = 0;
      for (int64_t i = 0; i < l.in; ++i)
        exact += double(x[size_t(t * l.in + i)]) * l.wd[size_t(o * l.in + i)];
      se_w8a8 += std::pow(w8a8[size_t(t * l.out + o)] - exact, 2);
      se_int8 += std::pow(int8[size_t(t * l.out + o)] - exact, 2);
    }
  const double ratio = std::sqrt(se_int8 / se_w8a8);
  RecordProperty("rms_error_ratio", std::to_string(ratio));
  std::printf("RMS error ratio LLM_INT8 / W8A8 with 4 outlier channels x50: %.4f\n", ratio);
  // The activation step shrinks by about max|outlier| / max|rest| (~50); 0.1 leaves margin.
  EXPECT_LT(ratio, 0.1);
}

// (d) Threads: each output is one exact integer sum and one fixed float sequence.
TEST(Int8Act, IdenticalAtAnyThreadCount) {
  const struct {
    int64_t out, in, tokens;
  } shapes[] = {{1029, 257, 1}, {203, 1000, 6}, {131, 65, 64}};
  for (const auto& s : shapes) {
    const Layer l = MakeLayer(s.out, s.in, 14);
    const std::vector<float> x = MakeActivations(s.tokens, s.in, {2, s.in - 1}, 30.0f, 15);
    for (QType type : {QType::kW8A8, QType::kLLM_INT8}) {
      const std::vector<float> base = RunMatMul(l.View(type), x, s.tokens, 1);
      for (int threads : {2, 3, 4})
        test_impl::ExpectSameBits(RunMatMul(l.View(type), x, s.tokens, threads), base,
                                  std::string(Traits(type).name) + " " + std::to_string(s.out) +
                                      " rows at " + std::to_string(threads) + " threads");
    }
  }
}

TEST(Int8Act, CountersAndThreshold) {
  const test_impl::ThresholdGuard guard;
  const Layer l = MakeLayer(16, 128, 16);
  const std::vector<float> x = MakeActivations(4, l.in, {9, 90, 91}, 50.0f, 17);
  ResetLlmInt8Counters();
  RunMatMul(l.View(QType::kLLM_INT8), x, 4, 3);
  RunMatMul(l.View(QType::kW8A8), x, 4, 3);  // W8A8 does not count
  EXPECT_EQ(GetLlmInt8Counters().outlier_columns, 3);
  EXPECT_EQ(GetLlmInt8Counters().columns, 128);
  // Threshold 0: no decomposition, the same bits as W8A8.
  SetLlmInt8Threshold(0.0f);
  test_impl::ExpectSameBits(RunMatMul(l.View(QType::kLLM_INT8), x, 4, 1),
                            RunMatMul(l.View(QType::kW8A8), x, 4, 1), "threshold 0");
  EXPECT_EQ(GetLlmInt8Counters().outlier_columns, 3);
  EXPECT_EQ(GetLlmInt8Counters().columns, 256);
  // A threshold above every value: no outliers either.
  SetLlmInt8Threshold(1e30f);
  test_impl::ExpectSameBits(RunMatMul(l.View(QType::kLLM_INT8), x, 4, 1),
                            RunMatMul(l.View(QType::kW8A8), x, 4, 1), "threshold 1e30");
  ResetLlmInt8Counters();
  EXPECT_EQ(GetLlmInt8Counters().columns, 0);
  EXPECT_THROW(SetLlmInt8Threshold(-1.0f), Error);
  EXPECT_THROW(SetLlmInt8Threshold(std::nanf("")), Error);
}

TEST(Int8Act, BadInputIsAnErrorOrFinite) {
  // Rows longer than int32 sums allow: an Error naming the limit, not a wrong answer.
  const int64_t in = kInt8ActMaxIn + 1;
  std::vector<std::byte> q(RowBytes(QType::kW8A8, in));
  const TensorView big{"big", QType::kW8A8, {1, in}, q.data(), q.size()};
  std::vector<float> x(size_t(in), 1.0f), y(1);
  ThreadPool pool(1);
  EXPECT_THROW(MatMul(big, x.data(), 1, y.data(), pool), Error);
  // NaN activations read as 0 (INT8's row codec); zero rows give zeros.
  const Layer l = MakeLayer(8, 64, 18);
  std::vector<float> xs = MakeActivations(2, 64, {}, 1.0f, 19);
  xs[3] = std::nanf("");
  for (int64_t i = 0; i < 64; ++i) xs[size_t(64 + i)] = 0.0f;
  for (QType type : {QType::kW8A8, QType::kLLM_INT8}) {
    const std::vector<float> ys = RunMatMul(l.View(type), xs, 2, 1);
    for (int64_t o = 0; o < 8; ++o) {
      EXPECT_TRUE(std::isfinite(ys[size_t(o)])) << Traits(type).name;
      EXPECT_EQ(ys[size_t(8 + o)], 0.0f) << Traits(type).name;
    }
  }
}

}  // namespace
}  // namespace qforge::kernels
#endif  // HWY_ONCE
