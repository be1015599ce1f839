// Vector kernels of the forward pass (Dot, RmsNorm, Softmax, SwiGlu, Axpy), per Highway target.
//
// Full vectors are processed with unaligned loads; the last n mod N elements go through a padded
// vector (LoadPadded / StorePartial) so no kernel reads or writes past its arrays.

#if defined(QFORGE_KERNELS_VEC_OPS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_VEC_OPS_INL_H_
#undef QFORGE_KERNELS_VEC_OPS_INL_H_
#else
#define QFORGE_KERNELS_VEC_OPS_INL_H_
#endif

#include <cmath>
#include <cstring>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// The first `count` (< N) floats of p, the other lanes set to `fill`.
HWY_INLINE VF LoadPadded(DF df, const float* p, size_t count, float fill) {
  HWY_ALIGN float buf[hn::MaxLanes(DF())];
  for (size_t i = 0; i < hn::Lanes(df); ++i) buf[i] = i < count ? p[i] : fill;
  return hn::Load(df, buf);
}

// Stores the first `count` (< N) lanes of v.
HWY_INLINE void StorePartial(DF df, VF v, float* p, size_t count) {
  HWY_ALIGN float buf[hn::MaxLanes(DF())];
  hn::Store(v, df, buf);
  std::memcpy(p, buf, count * sizeof(float));
}

// Applies `f(i, count)` to each vector-sized chunk of [0, n): count == N for full chunks.
template <class Fn>
HWY_INLINE void ForChunks(DF df, size_t n, const Fn& f) {
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) f(i, lanes);
  if (i < n) f(i, n - i);
}

HWY_INLINE VF Load(DF df, const float* p, size_t count, float fill = 0.0f) {
  return count == hn::Lanes(df) ? hn::LoadU(df, p) : LoadPadded(df, p, count, fill);
}
HWY_INLINE void Store(DF df, VF v, float* p, size_t count) {
  if (count == hn::Lanes(df)) return hn::StoreU(v, df, p);
  StorePartial(df, v, p, count);
}

// Four accumulators: four independent FMA chains, and each lane sums only n / 4N products.
inline float DotImpl(const float* a, const float* b, int64_t n_signed) {
  const DF df;
  const size_t n = size_t(n_signed), lanes = hn::Lanes(df);
  VF s0 = hn::Zero(df), s1 = hn::Zero(df), s2 = hn::Zero(df), s3 = hn::Zero(df);
  size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    s0 = hn::MulAdd(hn::LoadU(df, a + i), hn::LoadU(df, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(df, a + i + lanes), hn::LoadU(df, b + i + lanes), s1);
    s2 = hn::MulAdd(hn::LoadU(df, a + i + 2 * lanes), hn::LoadU(df, b + i + 2 * lanes), s2);
    s3 = hn::MulAdd(hn::LoadU(df, a + i + 3 * lanes), hn::LoadU(df, b + i + 3 * lanes), s3);
  }
  ForChunks(df, n - i, [&](size_t j, size_t count) {
    s0 = hn::MulAdd(Load(df, a + i + j, count), Load(df, b + i + j, count), s0);
  });
  return hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

inline void RmsNormImpl(const float* x, const float* weight, int64_t n, float eps, float* out) {
  const DF df;
  const double mean_square = double(DotImpl(x, x, n)) / double(n);
  // Same formula as the reference so that only the sum of squares differs.
  const VF scale = hn::Set(df, float(1.0 / std::sqrt(mean_square + double(eps))));
  ForChunks(df, size_t(n), [&](size_t i, size_t count) {
    const VF v = hn::Mul(hn::Mul(Load(df, x + i, count), scale), Load(df, weight + i, count));
    Store(df, v, out + i, count);
  });
}

// s + e exactly as hi + lo (Knuth's TwoSum, no branch): the rounding error of each addition is
// kept in `comp`, so the sum's error does not grow with n.
HWY_INLINE void TwoSumAdd(VF e, VF& sum, VF& comp) {
  const VF t = hn::Add(sum, e);
  const VF z = hn::Sub(t, sum);
  comp = hn::Add(comp, hn::Add(hn::Sub(sum, hn::Sub(t, z)), hn::Sub(e, z)));
  sum = t;
}

// Max, then exp(x - max) stored in place and summed, then scaled by 1 / sum. The compensated sum
// is within about (2 + log2 N) * eps of the exact sum of the stored exps, at any n.
inline void SoftmaxImpl(float* x, int64_t n_signed) {
  const DF df;
  const size_t n = size_t(n_signed);
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  VF vmax = hn::Set(df, kNegInf);
  ForChunks(df, n,
            [&](size_t i, size_t count) { vmax = hn::Max(vmax, Load(df, x + i, count, kNegInf)); });
  const VF max = hn::MaxOfLanes(df, vmax);
  VF sum = hn::Zero(df), comp = hn::Zero(df);
  ForChunks(df, n, [&](size_t i, size_t count) {
    // Padded lanes are -inf, whose exp is 0: they add nothing to the sum.
    const VF e = hn::Exp(df, hn::Sub(Load(df, x + i, count, kNegInf), max));
    Store(df, e, x + i, count);
    TwoSumAdd(e, sum, comp);
  });
  const double total =
      double(hn::GetLane(hn::SumOfLanes(df, sum))) + double(hn::GetLane(hn::SumOfLanes(df, comp)));
  const VF inv = hn::Set(df, float(1.0 / total));
  ForChunks(df, n, [&](size_t i, size_t count) {
    Store(df, hn::Mul(Load(df, x + i, count), inv), x + i, count);
  });
}

// silu(g) = g / (1 + exp(-g)). Exp is only specified up to +104, so -g is clamped to 88 (exp
// stays finite); below g = -88 the result is then |g| / 1.6e38 ~ 0, where the reference's
// exp overflows to inf and gives -0.
HWY_INLINE VF Silu(DF df, VF g) {
  const VF e = hn::Exp(df, hn::Min(hn::Neg(g), hn::Set(df, 88.0f)));
  return hn::Div(g, hn::Add(hn::Set(df, 1.0f), e));
}

inline void SwiGluImpl(const float* gate, const float* up, int64_t n, float* out) {
  const DF df;
  ForChunks(df, size_t(n), [&](size_t i, size_t count) {
    Store(df, hn::Mul(Silu(df, Load(df, gate + i, count)), Load(df, up + i, count)), out + i,
          count);
  });
}

inline void AxpyImpl(float a, const float* x, float* y, int64_t n) {
  const DF df;
  const VF va = hn::Set(df, a);
  ForChunks(df, size_t(n), [&](size_t i, size_t count) {
    Store(df, hn::MulAdd(va, Load(df, x + i, count), Load(df, y + i, count)), y + i, count);
  });
}

// One query against `length` keys and values, `stride` floats apart (a head of the KV cache):
// scores_j = scale * q.K_j, softmax, out = sum_j p_j V_j. The dot over the head is one
// vector accumulator (heads are 8..128 floats: a few FMAs), then a lane sum; the weighted sum of
// values keeps a chunk of `out` in a register across all positions, in position order.
inline void AttendHeadImpl(const float* q, const float* k, const float* v, int64_t stride,
                           int64_t length, int64_t head_dim, float scale, float* scores,
                           float* out) {
  const DF df;
  const size_t hd = size_t(head_dim), n = size_t(length), step = size_t(stride);
  for (size_t j = 0; j < n; ++j) {
    const float* kj = k + j * step;
    VF acc = hn::Zero(df);
    ForChunks(df, hd, [&](size_t i, size_t count) {
      acc = hn::MulAdd(Load(df, q + i, count), Load(df, kj + i, count), acc);
    });
    scores[j] = hn::GetLane(hn::SumOfLanes(df, acc)) * scale;
  }
  SoftmaxImpl(scores, length);
  // Four vectors of `out` at a time: four independent FMA chains per position, where one chain
  // would wait out the FMA latency at every position. Each element still sums in position order.
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + 4 * lanes <= hd; i += 4 * lanes) {
    VF a0 = hn::Zero(df), a1 = hn::Zero(df), a2 = hn::Zero(df), a3 = hn::Zero(df);
    for (size_t j = 0; j < n; ++j) {
      const VF p = hn::Set(df, scores[j]);
      const float* vj = v + j * step + i;
      a0 = hn::MulAdd(p, hn::LoadU(df, vj), a0);
      a1 = hn::MulAdd(p, hn::LoadU(df, vj + lanes), a1);
      a2 = hn::MulAdd(p, hn::LoadU(df, vj + 2 * lanes), a2);
      a3 = hn::MulAdd(p, hn::LoadU(df, vj + 3 * lanes), a3);
    }
    hn::StoreU(a0, df, out + i);
    hn::StoreU(a1, df, out + i + lanes);
    hn::StoreU(a2, df, out + i + 2 * lanes);
    hn::StoreU(a3, df, out + i + 3 * lanes);
  }
  ForChunks(df, hd - i, [&](size_t c, size_t count) {
    VF acc = hn::Zero(df);
    for (size_t j = 0; j < n; ++j)
      acc = hn::MulAdd(hn::Set(df, scores[j]), Load(df, v + j * step + i + c, count), acc);
    Store(df, acc, out + i + c, count);
  });
}

inline const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_VEC_OPS_INL_H_
