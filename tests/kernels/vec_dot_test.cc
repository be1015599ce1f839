// Quantized dot products with 8-bit activations (vec_dot.h), for every weight type in the table:
// (a) the scalar reference equals sum_i dequant(w)_i * dequant(q8(x))_i within a derived bound;
// (b) MatMul on every compiled Highway target equals the reference within a derived bound (the
//     integer half is exact, the float half sums in another order), on odd shapes and token counts;
// (c) MatMul output is bit-identical at 1-4 threads.
// Weights are random bytes (every bit pattern is a valid block) with sane f16 scales.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/vec_dot_test.cc"
// The kernel units compile AVX3_DL (VNNI tiles for Q4_0, Q8_0 and the k-quants) too; so must the
// test, to run them (matmul_qdot_legacy.cc).
#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL
#endif
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"

namespace qforge::kernels::test_impl {
void CheckVecDotMatchesReference(int64_t target);
void CheckVecDotDeterministic(int64_t target);
}  // namespace qforge::kernels::test_impl

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
void TestVecDotMatchesReference() { test_impl::CheckVecDotMatchesReference(HWY_TARGET); }
void TestVecDotDeterministic() { test_impl::CheckVecDotDeterministic(HWY_TARGET); }
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cases.h"
#include "kernels/check.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"
#include "qforge/kernels/ops.h"
#include "qforge/kernels/ref/ops_ref.h"
#include "qforge/kernels/vec_dot.h"
#include "support/tolerance.h"

namespace qforge::kernels {
HWY_BEFORE_TEST(VecDotTest);
HWY_EXPORT_AND_TEST_P(VecDotTest, TestVecDotMatchesReference);
HWY_EXPORT_AND_TEST_P(VecDotTest, TestVecDotDeterministic);

namespace test_impl {
namespace {

// Where a block keeps its f16 fields: the scale d, and the min (Q4_1/Q5_1: m, added to every
// element) or the super-block min scale dmin (multiplied by a sub-block min of at most
// `max_min_code`). The rest of a block is codes and integer scales: any byte is valid.
struct BlockLayout {
  QType type;
  size_t d;
  int min_offset;    // -1: no min
  int max_min_code;  // largest integer multiplier of the min field (1 for m)
};

constexpr BlockLayout kLayouts[] = {
    {QType::kQ4_0, offsetof(BlockQ4_0, d), -1, 0},
    {QType::kQ4_1, offsetof(BlockQ4_1, d), int(offsetof(BlockQ4_1, m)), 1},
    {QType::kQ5_0, offsetof(BlockQ5_0, d), -1, 0},
    {QType::kQ5_1, offsetof(BlockQ5_1, d), int(offsetof(BlockQ5_1, m)), 1},
    {QType::kQ8_0, offsetof(BlockQ8_0, d), -1, 0},
    {QType::kIQ4_NL, offsetof(BlockIQ4_NL, d), -1, 0},
    {QType::kQ2_K, offsetof(BlockQ2_K, d), int(offsetof(BlockQ2_K, dmin)), 15},
    {QType::kQ3_K, offsetof(BlockQ3_K, d), -1, 0},
    {QType::kQ4_K, offsetof(BlockQ4_K, d), int(offsetof(BlockQ4_K, dmin)), 63},
    {QType::kQ5_K, offsetof(BlockQ5_K, d), int(offsetof(BlockQ5_K, dmin)), 63},
    {QType::kQ6_K, offsetof(BlockQ6_K, d), -1, 0},
};

const BlockLayout* Layout(QType type) {
  for (const BlockLayout& l : kLayouts)
    if (l.type == type) return &l;
  return nullptr;
}

// Every weight type with an integer dot product; each must have a layout above.
std::vector<const VecDotTraits*> VecDotTypes() {
  std::vector<const VecDotTraits*> types;
  for (QType type : test::AllQTypes())
    if (const VecDotTraits* t = FindVecDot(type)) types.push_back(t);
  return types;
}

// Random blocks; f16 fields of random sign and magnitude in [2^-10, 2^-5), so that products stay
// normal floats and the weights stay O(1) as in real models.
std::vector<std::byte> RandomWeights(const BlockLayout& l, int64_t rows, int64_t in,
                                     uint32_t seed) {
  const QTypeTraits& t = Traits(l.type);
  std::mt19937 rng(seed);
  std::vector<std::byte> w(size_t(rows) * RowBytes(l.type, in));
  for (std::byte& b : w) b = std::byte(rng() & 0xFF);
  std::uniform_real_distribution<float> magnitude(0x1p-10f, 0x1p-5f);
  const auto random_f16 = [&] { return F32ToF16((rng() & 1 ? -1 : 1) * magnitude(rng)); };
  for (size_t block = 0; block < w.size() / t.block_bytes; ++block) {
    std::byte* p = w.data() + block * t.block_bytes;
    const uint16_t d = random_f16();
    std::memcpy(p + l.d, &d, 2);
    if (l.min_offset >= 0) {
      const uint16_t m = random_f16();
      std::memcpy(p + l.min_offset, &m, 2);
    }
  }
  return w;
}

// Activations O(1), plus one all-zero block to cover ggml's d = 0 case.
std::vector<float> RandomActivations(int64_t tokens, int64_t in, uint32_t seed) {
  std::vector<float> x = test::RandomFloats(tokens * in, -2.0f, 2.0f, seed);
  for (int64_t i = 0; i < std::min<int64_t>(in, 32); ++i) x[size_t(i)] = 0.0f;
  return x;
}

// |min term| of every element of a weight row (m, or dmin times the largest sub-block min).
std::vector<double> MinBounds(const BlockLayout& l, const std::byte* row, int64_t in) {
  const QTypeTraits& t = Traits(l.type);
  std::vector<double> bound(size_t(in), 0.0);
  if (l.min_offset < 0) return bound;
  for (int64_t i = 0; i < in; ++i) {
    uint16_t m;
    std::memcpy(&m, row + size_t(i / t.block_size) * t.block_bytes + l.min_offset, 2);
    bound[size_t(i)] = std::fabs(double(F16ToF32(m))) * l.max_min_code;
  }
  return bound;
}

// Bounds for one output, from the dequantized weight row w, its min bounds m and the dequantized
// activations x: every float term of either side (a block's scale part or min part) is bounded by
// S = sum_i (|w_i| + 2 |m_i|) |x_i|, because each element splits into a scale part s_i x_i and a
// min part m_i x_i with |s_i| <= |w_i| + |m_i|. M = sum_i |m_i| |x_i| bounds the min terms alone.
struct Sums {
  double dot = 0, s = 0, m = 0;
};
Sums DotAndBounds(const std::vector<float>& w, const std::vector<double>& m,
                  const std::vector<float>& x) {
  Sums r;
  for (size_t i = 0; i < w.size(); ++i) {
    r.dot += double(w[i]) * double(x[i]);
    r.s += (std::fabs(double(w[i])) + 2 * m[i]) * std::fabs(double(x[i]));
    r.m += m[i] * std::fabs(double(x[i]));
  }
  return r;
}

// (a) Reference vs the dequantized sum, per weight type.
//
// Exact arithmetic gives the same value both ways (the integer half is exact), except for Q8_1's
// s = f16(f32(sum q) * d): it carries the sum with f16 rounding (2^-11) of a d that is itself not
// the f16-rounded d of the codes (another 2^-11), so the min term m s is off by at most
// 2^-10 M (1.01 covers the f32 product and second-order terms).
// Float errors: the reference rounds each block term at most 4 times (int to float, two products,
// the min subtraction) and sums nb terms: gamma_{nb+4} S. The dequantized side rounds each weight
// at most 3 times (d sc, dmin m, their difference) and each Q8_K activation once (d q), then the
// product and the f64 sum: within 5u S. Hence (nb + 9) u S, times 1.01 for the gamma denominators.
void CheckReferenceAgainstDequantized(const VecDotTraits& q) {
  const BlockLayout* layout = Layout(q.weight);
  ASSERT_NE(layout, nullptr) << Traits(q.weight).name << " has no test layout";
  const int64_t block = Traits(q.weight).block_size, rows = 16, tokens = 3;
  for (int64_t in : {block, 3 * block, 8 * block}) {
    const std::vector<std::byte> w = RandomWeights(*layout, rows, in, 11);
    const std::vector<float> x = RandomActivations(tokens, in, 12);
    const size_t xq_stride = RowBytes(q.act, in), w_stride = RowBytes(q.weight, in);
    std::vector<std::byte> xq(xq_stride);
    std::vector<float> wf(static_cast<size_t>(in)), xf(static_cast<size_t>(in));
    test::Comparer cmp(std::string(Traits(q.weight).name) + " ref vs dequantized, in " +
                       std::to_string(in));
    for (int64_t t = 0; t < tokens; ++t) {
      Traits(q.act).quantize_row(&x[size_t(t * in)], xq.data(), in);
      Traits(q.act).dequantize_row(xq.data(), xf.data(), in);
      for (int64_t o = 0; o < rows; ++o) {
        const std::byte* row = w.data() + size_t(o) * w_stride;
        Traits(q.weight).dequantize_row(row, wf.data(), in);
        const Sums sums = DotAndBounds(wf, MinBounds(*layout, row, in), xf);
        double tolerance = 1.01 * double(VecDotBlocks(q, in) + 9) * test::kU * sums.s;
        if (q.act == QType::kQ8_1) tolerance += 1.01 * 0x1p-10 * sums.m;
        cmp.Near(VecDotRef(q, row, xq.data(), in), sums.dot, tolerance, t * rows + o);
      }
    }
  }
}

// (b) MatMul vs ref::MatMul. Below 32 tokens MatMul takes the same exact integer sums per block
// as the reference (the SIMD lanes hold exact partial sums of at most 2^24 in magnitude, so their
// conversion to f32 is exact except for Q6_K/Q5_K super-blocks on narrow targets, one more
// rounding) but combines them in another order: the reference sums one term per block; the kernel
// multiplies each lane's partial sum by the block scale (dw dx: one rounding), accumulates nb lane
// terms with FMA (nb roundings), sums the lanes (log2 16 = 4) and adds the min terms (at most 3
// roundings each plus nb additions): each side is within gamma_{nb+9} S of the exact value.
// On AVX3_DL, Q4_0, Q8_0 and Q2_K..Q6_K take integer tiles at every token count (same bound;
// Q6_K's lanes may pass 2^24 there, one more rounding as above). From 32 tokens on (except for Q8_1
// activations), MatMul multiplies dequantized weights (at most 3 roundings each) by the dequantized
// activations (Q8_K: one rounding) in f32 over `in` elements: within gamma_{in+8} S. Both paths are
// covered by 1.01 (in + 2 (nb + 9)) u S.
double KernelTolerance(const VecDotTraits& q, int64_t in, const Sums& sums) {
  return 1.01 * double(in + 2 * (VecDotBlocks(q, in) + 9)) * test::kU * sums.s;
}

std::vector<float> RunMatMul(const TensorView& w, const std::vector<float>& x, int64_t tokens,
                             int threads) {
  ThreadPool pool(threads);
  std::vector<float> y(size_t(tokens * w.shape[0]), -1.0f);
  MatMul(w, x.data(), tokens, y.data(), pool);
  return y;
}

// Bitwise equality; reports the first few differences.
void ExpectSameBits(const std::vector<float>& got, const std::vector<float>& want,
                    const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  int failures = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && ++failures <= 5)
      ADD_FAILURE() << what << " [" << i << "]: got " << got[i] << ", want " << want[i];
  EXPECT_EQ(failures, 0) << what;
}

}  // namespace

void CheckVecDotMatchesReference(int64_t target) {
  test::ExpectActiveTarget(target);
  const std::vector<const VecDotTraits*> types = VecDotTypes();
  EXPECT_GE(types.size(), 11u);
  for (const VecDotTraits* q : types) {
    CheckReferenceAgainstDequantized(*q);
    const BlockLayout& layout = *Layout(q->weight);
    const int64_t block = Traits(q->weight).block_size;
    // 37 rows: not a multiple of the row group (8); 1, 5 and 9 tokens: alone, a token group of 4
    // plus one, two groups plus one; 37 tokens: the dequantized f32 path of ops.cc.
    for (int64_t in : {block, 2 * block, 5 * block})
      for (int64_t tokens : {1, 5, 9, 37}) {
        const int64_t out = 37;
        const std::vector<std::byte> w = RandomWeights(layout, out, in, uint32_t(in + tokens));
        const std::vector<float> x = RandomActivations(tokens, in, uint32_t(7 * in + tokens));
        const TensorView view{"w", q->weight, {out, in}, w.data(), w.size()};
        std::vector<float> want(size_t(tokens * out));
        ref::MatMul(view, x.data(), tokens, want.data());
        const std::vector<float> y = RunMatMul(view, x, tokens, 2);
        test::Comparer cmp(test::MatMulCase{out, in, tokens, q->weight}.Name());
        std::vector<std::byte> xq(RowBytes(q->act, in));
        std::vector<float> wf(static_cast<size_t>(in)), xf(static_cast<size_t>(in));
        for (int64_t t = 0; t < tokens; ++t) {
          Traits(q->act).quantize_row(&x[size_t(t * in)], xq.data(), in);
          Traits(q->act).dequantize_row(xq.data(), xf.data(), in);
          for (int64_t o = 0; o < out; ++o) {
            Traits(q->weight).dequantize_row(view.Row(o), wf.data(), in);
            const Sums sums = DotAndBounds(wf, MinBounds(layout, view.Row(o), in), xf);
            const size_t k = size_t(t * out + o);
            cmp.Near(y[k], want[k], KernelTolerance(*q, in, sums), int64_t(k));
          }
        }
      }
  }
}

// (c) Large enough that every thread gets rows (ops.cc keeps >= 64K multiply-adds per thread).
void CheckVecDotDeterministic(int64_t target) {
  test::ExpectActiveTarget(target);
  for (const VecDotTraits* q : VecDotTypes()) {
    const int64_t out = 203, in = 1024, tokens = 6;  // 1024: whole blocks of 32 and of 256
    const std::vector<std::byte> w = RandomWeights(*Layout(q->weight), out, in, 3);
    const std::vector<float> x = RandomActivations(tokens, in, 4);
    const TensorView view{"w", q->weight, {out, in}, w.data(), w.size()};
    const std::vector<float> base = RunMatMul(view, x, tokens, 1);
    for (int threads : {2, 3, 4})
      ExpectSameBits(
          RunMatMul(view, x, tokens, threads), base,
          std::string(Traits(q->weight).name) + " at " + std::to_string(threads) + " threads");
  }
}

}  // namespace test_impl
}  // namespace qforge::kernels
#endif  // HWY_ONCE
