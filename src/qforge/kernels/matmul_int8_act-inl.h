// W8A8 / LLM.int8() matrix rows (matmul_int8_act.h) with Highway, per target.
//
// The integer half, isum = sum_i qx[t, i] qw[o, i], is exact on every path:
//  - every target: codes widened to i16 and multiplied pairwise into i32 lanes
//    (ReorderWidenMulAccumulate, pmaddwd on x86; products <= 127^2, so pairs never saturate);
//  - AVX3_DL (AVX-512 VNNI), prefill: vpdpbusd multiplies unsigned by signed bytes, four
//    products per i32 lane, without widening. Weight codes are shifted to u = qw + 128 in
//    [1, 255] (one xor), and sum_i u_i qx_i - 128 sum_i qx_i = isum, with each token's code sum
//    taken once per call.
//    (Highway 1.0.3 has no op for it, so the raw intrinsic sits behind HWY_TARGET == HWY_AVX3_DL;
//    that target's flags lack avx512vnni, which the pragma below adds for these functions only:
//    Highway selects AVX3_DL only on CPUs that have VNNI.)
// Lane sums stay below 2^31 for in <= kInt8ActMaxIn; elements past the last whole vector are
// added by a scalar loop. The float half (FinishTile) is the same sequence of f32 operations as the
// scalar reference, so y equals it bit for bit.
//
// A tile of kR weight rows x kT tokens loads each weight vector once for kT tokens and each
// activation vector once for kR rows.

#ifndef QFORGE_KERNELS_MATMUL_INT8_ACT_ARGS_
#define QFORGE_KERNELS_MATMUL_INT8_ACT_ARGS_
#include <cstddef>
#include <cstdint>

namespace qforge::kernels {
// Internal interface between matmul_int8_act.cc (checks, activation quantization, threads) and
// the per-target rows.
struct Int8ActArgs {
  const std::byte* w;  // [out, in] INT8 rows: f32 scale d_o, then `in` int8 codes
  size_t w_stride;     // bytes
  int64_t out, in;
  const std::byte* xq;  // [n_tokens] activation rows in the same INT8 layout
  size_t xq_stride;     // bytes
  int64_t n_tokens;
  const float* x;           // [n_tokens, in] f32 activations: LLM_INT8's outlier columns
  const int64_t* outliers;  // increasing column indices (LLM_INT8)
  int64_t n_outliers;       // 0 for W8A8
  float* y;                 // [n_tokens, out]
};
}  // namespace qforge::kernels
#endif  // QFORGE_KERNELS_MATMUL_INT8_ACT_ARGS_

#if defined(QFORGE_KERNELS_MATMUL_INT8_ACT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_MATMUL_INT8_ACT_INL_H_
#undef QFORGE_KERNELS_MATMUL_INT8_ACT_INL_H_
#else
#define QFORGE_KERNELS_MATMUL_INT8_ACT_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#if HWY_TARGET == HWY_AVX3_DL
#include <immintrin.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
namespace int8_act {
namespace hn = hwy::HWY_NAMESPACE;

// Tiles: kR * kT i32 accumulators + kT activation vectors + a weight vector (and, for VNNI, kR
// weight sums) fit the 32 vector registers of AVX-512 and the 16 of the other x86 targets.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kR = 4, kT = 4;
#else
constexpr size_t kR = 2, kT = 4;
#endif
// Tokens whose activation codes (i16: 2 bytes each) stay in L2 while the weight rows stream past.
constexpr int64_t kTokenBlockBytes = 256 << 10;
// Activation rows are padded to a multiple of this many codes, so every row starts aligned.
constexpr int64_t kPad = 64;

HWY_INLINE float RowScale(const std::byte* row) {
  float d;
  std::memcpy(&d, row, sizeof(d));
  return d;
}
HWY_INLINE const int8_t* RowCodes(const std::byte* row) {
  return reinterpret_cast<const int8_t*>(row + sizeof(float));
}
HWY_INLINE const int8_t* WeightCodes(const Int8ActArgs& a, int64_t o) {
  return RowCodes(a.w + size_t(o) * a.w_stride);
}
HWY_INLINE const int8_t* ActCodes(const Int8ActArgs& a, int64_t t) {
  return RowCodes(a.xq + size_t(t) * a.xq_stride);
}

// y[t, o] of a tile from its exact integer sums: the f32 operations of matmul_int8_act.h, in its
// order. Each output's outlier sum is its own chain in increasing column order; the tile's
// kRows x kTokens chains are interleaved only to overlap their latencies.
template <size_t kRows, size_t kTokens>
HWY_INLINE void FinishTile(const Int8ActArgs& a, int64_t o0, int64_t t0,
                           const int32_t (&isum)[kRows][kTokens]) {
  float d[kRows], s[kTokens], r[kRows][kTokens];
  for (size_t i = 0; i < kRows; ++i) d[i] = RowScale(a.w + size_t(o0 + int64_t(i)) * a.w_stride);
  for (size_t t = 0; t < kTokens; ++t)
    s[t] = RowScale(a.xq + size_t(t0 + int64_t(t)) * a.xq_stride);
  float* y = a.y + size_t(t0) * size_t(a.out) + size_t(o0);
  if (a.n_outliers == 0) {
    for (size_t i = 0; i < kRows; ++i)
      for (size_t t = 0; t < kTokens; ++t)
        y[t * size_t(a.out) + i] = float(isum[i][t]) * (s[t] * d[i]);
    return;
  }
  for (size_t i = 0; i < kRows; ++i)
    for (size_t t = 0; t < kTokens; ++t) r[i][t] = 0.0f;
  for (int64_t j = 0; j < a.n_outliers; ++j) {
    const int64_t c = a.outliers[j];
    float w[kRows];
    for (size_t i = 0; i < kRows; ++i) w[i] = d[i] * float(WeightCodes(a, o0 + int64_t(i))[c]);
    for (size_t t = 0; t < kTokens; ++t) {
      const float x = a.x[size_t(t0 + int64_t(t)) * size_t(a.in) + size_t(c)];
      for (size_t i = 0; i < kRows; ++i) r[i][t] = std::fma(x, w[i], r[i][t]);
    }
  }
  for (size_t i = 0; i < kRows; ++i)
    for (size_t t = 0; t < kTokens; ++t)
      y[t * size_t(a.out) + i] = std::fma(float(isum[i][t]), s[t] * d[i], r[i][t]);
}

// One token's activations as an INT8 row (f32 scale s = absmax / 127, then round(x / s) clamped to
// [-127, 127], ties to even): the same operations as core's QuantizeRowInt8, so the same bytes.
// Returns false, writing nothing, when the row holds a NaN or an Inf: the caller then applies
// QuantizeRowInt8 itself, whose policy for them (NaN as 0, Inf as the largest finite) is not
// repeated here.
HWY_INLINE bool QuantizeFiniteRow(const float* x, int64_t in, std::byte* dst) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di32;
  const hn::Rebind<int8_t, decltype(df)> di8;
  const int64_t n = int64_t(hn::Lanes(df)), whole = in / n * n;
  const auto largest = hn::Set(df, 3.40282347e38f);  // FLT_MAX: |x| <= it fails for NaN, Inf
  auto vmax = hn::Zero(df);
  for (int64_t i = 0; i < whole; i += n) {
    const auto ax = hn::Abs(hn::LoadU(df, x + i));
    if (!hn::AllTrue(df, hn::Le(ax, largest))) return false;
    vmax = hn::Max(vmax, ax);
  }
  float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  for (int64_t i = whole; i < in; ++i) {
    if (!std::isfinite(x[i])) return false;
    amax = std::max(amax, std::fabs(x[i]));
  }
  const float scale = amax / 127.0f;
  std::memcpy(dst, &scale, sizeof(scale));
  int8_t* q = reinterpret_cast<int8_t*>(dst + sizeof(scale));
  if (scale == 0.0f) {
    std::memset(q, 0, size_t(in));
    return true;
  }
  const auto vscale = hn::Set(df, scale), lo = hn::Set(df, -127.0f), hi = hn::Set(df, 127.0f);
  for (int64_t i = 0; i < whole; i += n) {
    const auto r = hn::Round(hn::Div(hn::LoadU(df, x + i), vscale));  // ties to even
    const auto c = hn::ConvertTo(di32, hn::Min(hn::Max(r, lo), hi));
    hn::StoreU(hn::DemoteTo(di8, c), di8, q + i);
  }
  for (int64_t i = whole; i < in; ++i)
    q[i] = int8_t(std::clamp(std::nearbyint(x[i] / scale), -127.0f, 127.0f));
  return true;
}

// Adds the products of columns [k, in) to the tile's sums (the part no whole vector covers).
template <size_t kRows, size_t kTokens>
HWY_INLINE void ScalarTail(const Int8ActArgs& a, int64_t o0, int64_t t0, int64_t k,
                           int32_t (&isum)[kRows][kTokens]) {
  for (size_t r = 0; r < kRows; ++r) {
    const int8_t* w = WeightCodes(a, o0 + int64_t(r));
    for (size_t t = 0; t < kTokens; ++t) {
      const int8_t* x = ActCodes(a, t0 + int64_t(t));
      for (int64_t i = k; i < a.in; ++i) isum[r][t] += int32_t(w[i]) * int32_t(x[i]);
    }
  }
}

// ---- Every target: i16 x i16 -> i32 pairwise multiply-add.
struct WidenEngine {
  using DI16 = hn::ScalableTag<int16_t>;
  using DI32 = hn::Repartition<int32_t, DI16>;
  using DI8 = hn::Rebind<int8_t, DI16>;
  using VI32 = hn::Vec<DI32>;

  const Int8ActArgs& a;
  int64_t stride;  // codes per padded activation row
  hwy::AlignedFreeUniquePtr<int16_t[]> codes;

  // The activation codes of every token widened to i16 once per call: all weight rows reuse them.
  explicit WidenEngine(const Int8ActArgs& args)
      : a(args),
        stride((a.in + kPad - 1) / kPad * kPad),
        codes(hwy::AllocateAligned<int16_t>(size_t(a.n_tokens * stride))) {
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      const int8_t* x = ActCodes(a, t);
      int16_t* dst = &codes[size_t(t * stride)];
      for (int64_t i = 0; i < a.in; ++i) dst[i] = x[i];
      for (int64_t i = a.in; i < stride; ++i) dst[i] = 0;
    }
  }

  template <size_t kRows, size_t kTokens>
  HWY_INLINE void Tile(int64_t o0, int64_t t0) const {
    const DI16 d16;
    const DI32 d32;
    const DI8 d8;
    const int64_t n = int64_t(hn::Lanes(d16)), whole = a.in / n * n;
    const int8_t* w[kRows];
    const int16_t* x[kTokens];
    for (size_t r = 0; r < kRows; ++r) w[r] = WeightCodes(a, o0 + int64_t(r));
    for (size_t t = 0; t < kTokens; ++t) x[t] = &codes[size_t((t0 + int64_t(t)) * stride)];
    VI32 sum0[kRows][kTokens], sum1[kRows][kTokens];
    for (size_t r = 0; r < kRows; ++r)
      for (size_t t = 0; t < kTokens; ++t) sum0[r][t] = sum1[r][t] = hn::Zero(d32);
    for (int64_t k = 0; k < whole; k += n) {
      hn::Vec<DI16> xv[kTokens];
      for (size_t t = 0; t < kTokens; ++t) xv[t] = hn::Load(d16, x[t] + k);
      for (size_t r = 0; r < kRows; ++r) {
        const auto wv = hn::PromoteTo(d16, hn::LoadU(d8, w[r] + k));
        for (size_t t = 0; t < kTokens; ++t)
          sum0[r][t] = hn::ReorderWidenMulAccumulate(d32, wv, xv[t], sum0[r][t], sum1[r][t]);
      }
    }
    int32_t isum[kRows][kTokens];
    for (size_t r = 0; r < kRows; ++r)
      for (size_t t = 0; t < kTokens; ++t)
        isum[r][t] = hn::GetLane(hn::SumOfLanes(d32, hn::Add(sum0[r][t], sum1[r][t])));
    ScalarTail(a, o0, t0, whole, isum);
    FinishTile(a, o0, t0, isum);
  }
};

#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
#pragma GCC push_options
#pragma GCC target("avx512vnni")

// Integer sums of a tile with vpdpbusd (64 bytes per step); see the top of this file. The
// weights become the unsigned operand, u = qw + 128 (an xor of the sign bit); xsum[t] is
// sum_{k < whole} qx[t, k], so sum u qx - 128 xsum = isum.
template <size_t kRows, size_t kTokens>
HWY_NOINLINE void VnniSums(const int8_t* const (&w)[kRows], const int8_t* const (&x)[kTokens],
                           const int32_t (&xsum)[kTokens], int64_t whole,
                           int32_t (&isum)[kRows][kTokens]) {
  const __m512i sign = _mm512_set1_epi8(int8_t(0x80));
  __m512i acc[kRows][kTokens];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t t = 0; t < kTokens; ++t) acc[r][t] = _mm512_setzero_si512();
  for (int64_t k = 0; k < whole; k += 64) {
    __m512i xv[kTokens];
    for (size_t t = 0; t < kTokens; ++t) xv[t] = _mm512_loadu_si512(x[t] + k);
    for (size_t r = 0; r < kRows; ++r) {
      const __m512i wv = _mm512_xor_si512(_mm512_loadu_si512(w[r] + k), sign);
      for (size_t t = 0; t < kTokens; ++t) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], wv, xv[t]);
    }
  }
  for (size_t r = 0; r < kRows; ++r)
    for (size_t t = 0; t < kTokens; ++t)
      isum[r][t] = _mm512_reduce_add_epi32(acc[r][t]) - 128 * xsum[t];
}
#pragma GCC pop_options

// ---- AVX3_DL: u8 x s8 -> i32 quad multiply-add (VNNI).
struct VnniEngine {
  const Int8ActArgs& a;
  int64_t whole;              // columns the vector loop covers (multiple of 64)
  std::vector<int32_t> xsum;  // per token: sum of its codes over [0, whole)

  explicit VnniEngine(const Int8ActArgs& args)
      : a(args), whole(a.in / 64 * 64), xsum(size_t(a.n_tokens), 0) {
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      const int8_t* x = ActCodes(a, t);
      int32_t sum = 0;
      for (int64_t i = 0; i < whole; ++i) sum += x[i];
      xsum[size_t(t)] = sum;
    }
  }

  template <size_t kRows, size_t kTokens>
  HWY_INLINE void Tile(int64_t o0, int64_t t0) const {
    const int8_t* w[kRows];
    const int8_t* x[kTokens];
    int32_t xs[kTokens];
    for (size_t r = 0; r < kRows; ++r) w[r] = WeightCodes(a, o0 + int64_t(r));
    for (size_t t = 0; t < kTokens; ++t) {
      x[t] = ActCodes(a, t0 + int64_t(t));
      xs[t] = xsum[size_t(t0) + t];
    }
    int32_t isum[kRows][kTokens];
    VnniSums<kRows, kTokens>(w, x, xs, whole, isum);
    ScalarTail(a, o0, t0, whole, isum);
    FinishTile(a, o0, t0, isum);
  }
};
#endif

// Rows [o, o + kRows) for the tokens [t_begin, t_end).
template <size_t kRows, class Engine>
HWY_INLINE void TokenTiles(const Engine& e, int64_t o, int64_t t_begin, int64_t t_end) {
  int64_t t = t_begin;
  for (; t + int64_t(kT) <= t_end; t += int64_t(kT)) e.template Tile<kRows, kT>(o, t);
  for (; t < t_end; ++t) e.template Tile<kRows, 1>(o, t);
}

// Output rows [begin, end) for every token, token block by token block. Every output is one exact
// integer sum and one fixed float sequence, whatever tile or thread computes it.
template <class Engine>
HWY_INLINE void RowsWith(const Int8ActArgs& a, int64_t begin, int64_t end) {
  const Engine e(a);
  const int64_t block = std::max<int64_t>(int64_t(kT), kTokenBlockBytes / (2 * a.in));
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += block) {
    const int64_t t1 = std::min(a.n_tokens, t0 + block);
    int64_t o = begin;
    for (; o + int64_t(kR) <= end; o += int64_t(kR)) TokenTiles<kR>(e, o, t0, t1);
    for (; o < end; ++o) TokenTiles<1>(e, o, t0, t1);
  }
}

// VNNI for prefill only. Measured on this project's machine (AMD EPYC with AVX-512 VNNI), one
// core, 2048x2048: 128 tokens take 4.4 ms with either kernel (median of 5, loaded machine), so
// VNNI buys nothing there, though it issues a third of the instructions. Decode keeps the i16
// kernel: one token shares no weight vector, and a first VNNI variant was 15% slower there.
HWY_INLINE void Rows(const Int8ActArgs& a, int64_t begin, int64_t end) {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
  if (a.n_tokens >= int64_t(kT)) return RowsWith<VnniEngine>(a, begin, end);
#endif
  RowsWith<WidenEngine>(a, begin, end);
}

}  // namespace int8_act
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_MATMUL_INT8_ACT_INL_H_
