// Register-tiled f32 GEMM (prefill) and GEMV (decode) over f32/f16/bf16 weights, per Highway
// target.
//
// Determinism: every output y[t, o] is one dot product held in one accumulator vector. Lane j sums
// w[o, k] * x[t, k] for k = j (mod N) in increasing k with FMA, the zero-padded tail included, and
// SumOfLanes folds the lanes. That sequence depends only on (o, t) and the target, never on which
// tile or thread computes the output, so y is bit-identical at any thread count. Tiles only share
// loads: a kR x kT tile converts each weight vector once for kT tokens and loads each activation
// vector once for kR rows.
//
// Accuracy: each lane sums ceil(in / N) products, so the error is at most about
// (in / N + log2 N) * eps * sum |w x|; the tests bound it by in * eps * sum |w x|.

#if defined(QFORGE_KERNELS_MATMUL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_MATMUL_INL_H_
#undef QFORGE_KERNELS_MATMUL_INL_H_
#else
#define QFORGE_KERNELS_MATMUL_INL_H_
#endif

#include <algorithm>
#include <cstring>

#include "hwy/highway.h"
#include "qforge/kernels/matmul.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Prefill tile: kR * kT accumulators + kT activation vectors + 1 weight vector must fit in the
// register file: 32 vector registers with AVX-512, 16 on the other x86 targets.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kTileRows = 4, kTileTokens = 4;
#else
constexpr size_t kTileRows = 4, kTileTokens = 3;
#endif
// Decode has one token: 8 rows give 8 independent FMA chains, enough to hide the FMA latency.
constexpr size_t kGemvRows = 8;
// A block of tokens whose activations stay in L2 while the thread's weight rows stream past.
constexpr int64_t kTokenBlockBytes = 256 << 10;

HWY_INLINE VF LoadW(DF df, const float* p) { return hn::LoadU(df, p); }
HWY_INLINE VF LoadW(DF df, const hwy::float16_t* p) {
  const hn::Rebind<hwy::float16_t, DF> dh;
  return hn::PromoteTo(df, hn::LoadU(dh, p));
}
// bf16 is the high half of an f32: widen the bits to 32 and shift them up (exact).
HWY_INLINE VF LoadW(DF df, const hwy::bfloat16_t* p) {
  const hn::Rebind<uint16_t, DF> d16;
  const hn::RebindToUnsigned<DF> d32;
  const auto bits = hn::PromoteTo(d32, hn::LoadU(d16, reinterpret_cast<const uint16_t*>(p)));
  return hn::BitCast(df, hn::ShiftLeft<16>(bits));
}

// One k-step of a tile: acc[r][t] += w[r][k..k+N) * x[t][k..k+N).
template <typename T, size_t kR, size_t kT>
HWY_INLINE void Step(DF df, const T* const* w, const float* const* x, size_t k, VF (&acc)[kR][kT]) {
  VF xv[kT];
  for (size_t t = 0; t < kT; ++t) xv[t] = hn::LoadU(df, x[t] + k);
  for (size_t r = 0; r < kR; ++r) {
    const VF wv = LoadW(df, w[r] + k);
    for (size_t t = 0; t < kT; ++t) acc[r][t] = hn::MulAdd(wv, xv[t], acc[r][t]);
  }
}

// The last in - k < N columns: copied into zero-padded vectors (never read past a row), then the
// same step, so the padded lanes add exact zeros.
template <typename T, size_t kR, size_t kT>
HWY_NOINLINE void TailStep(DF df, const T* const* w, const float* const* x, size_t k, size_t in,
                           VF (&acc)[kR][kT]) {
  constexpr size_t kMax = hn::MaxLanes(DF());
  T wbuf[kR][kMax] = {};
  float xbuf[kT][kMax] = {};
  const T* wp[kR];
  const float* xp[kT];
  for (size_t r = 0; r < kR; ++r) {
    std::memcpy(wbuf[r], w[r] + k, (in - k) * sizeof(T));
    wp[r] = wbuf[r];
  }
  for (size_t t = 0; t < kT; ++t) {
    std::memcpy(xbuf[t], x[t] + k, (in - k) * sizeof(float));
    xp[t] = xbuf[t];
  }
  Step<T, kR, kT>(df, wp, xp, 0, acc);
}

// Outputs y[t0 .. t0+kT, o0 .. o0+kR).
template <typename T, size_t kR, size_t kT>
HWY_INLINE void Tile(const MatMulArgs& a, int64_t o0, int64_t t0) {
  const DF df;
  const size_t n = hn::Lanes(df), in = size_t(a.in);
  const T* w[kR];
  const float* x[kT];
  for (size_t r = 0; r < kR; ++r)
    w[r] = reinterpret_cast<const T*>(static_cast<const char*>(a.w) +
                                      size_t(o0 - a.w_first_row + int64_t(r)) * a.w_stride);
  for (size_t t = 0; t < kT; ++t) x[t] = a.x + size_t(t0 + t) * in;
  VF acc[kR][kT];
  for (size_t r = 0; r < kR; ++r)
    for (size_t t = 0; t < kT; ++t) acc[r][t] = hn::Zero(df);
  size_t k = 0;
  for (; k + n <= in; k += n) Step<T, kR, kT>(df, w, x, k, acc);
  if (k < in) TailStep<T, kR, kT>(df, w, x, k, in, acc);
  for (size_t r = 0; r < kR; ++r)
    for (size_t t = 0; t < kT; ++t)
      a.y[size_t(t0 + t) * size_t(a.out) + size_t(o0) + r] =
          hn::GetLane(hn::SumOfLanes(df, acc[r][t]));
}

// Rows [o, o + kR) for the tokens [t_begin, t_end).
template <typename T, size_t kR>
HWY_INLINE void TokenTiles(const MatMulArgs& a, int64_t o, int64_t t_begin, int64_t t_end) {
  int64_t t = t_begin;
  for (; t + int64_t(kTileTokens) <= t_end; t += kTileTokens) Tile<T, kR, kTileTokens>(a, o, t);
  for (; t < t_end; ++t) Tile<T, kR, 1>(a, o, t);
}

template <typename T>
HWY_INLINE void Gemv(const MatMulArgs& a, int64_t begin, int64_t end) {
  int64_t o = begin;
  for (; o + int64_t(kGemvRows) <= end; o += kGemvRows) Tile<T, kGemvRows, 1>(a, o, 0);
  for (; o < end; ++o) Tile<T, 1, 1>(a, o, 0);
}

// Output rows [begin, end) of y = x W^T, token block by token block.
template <typename T>
HWY_INLINE void MatMulRowsT(const MatMulArgs& a, int64_t begin, int64_t end) {
  if (a.n_tokens == 1) return Gemv<T>(a, begin, end);
  const int64_t tiles = kTokenBlockBytes / (a.in * int64_t(sizeof(float))) / int64_t(kTileTokens);
  const int64_t block = std::max<int64_t>(1, tiles) * int64_t(kTileTokens);
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += block) {
    const int64_t t1 = std::min(a.n_tokens, t0 + block);
    int64_t o = begin;
    for (; o + int64_t(kTileRows) <= end; o += kTileRows) TokenTiles<T, kTileRows>(a, o, t0, t1);
    for (; o < end; ++o) TokenTiles<T, 1>(a, o, t0, t1);
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_MATMUL_INL_H_
