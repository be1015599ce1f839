// MatMul over qforge's native types (native_dequant-inl.h codecs), per Highway target.
//
// Decode (n_tokens <= kFusedMaxTokens): fused dequantize-dot. A tile of kR rows x kT tokens decodes
// each unit of its rows into registers and multiplies it by the tokens' activations at once: no
// f32 copy of the weights. Prefill: the rows are decoded with SIMD, kDequantRows at a time, into
// an f32 buffer, and the register-tiled f32 GEMM of matmul-inl.h multiplies them.
//
// Both paths see the units' elements in the codec's permuted order, so the activations are permuted
// the same way once per call (PermuteActivations) and zero-padded to whole units: padded products
// are w * 0 = 0 (the padded codes decode to finite weights).
//
// Determinism: every output y[t, o] is one f32 accumulator vector fed in increasing element order
// (per lane), then SumOfLanes; the sequence depends on (o, t), the type, the target and the path,
// and the path depends only on n_tokens: results are bit-identical at any thread count.
//
// Accuracy: the weights are the exact dequantized values (bit-identical to the scalar codec), so
// each output is an f32 dot product of in (padded: + < U zeros) terms: the bound of matmul-inl.h,
// in * eps * sum |w x|, holds.

#if defined(QFORGE_KERNELS_MATMUL_NATIVE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_MATMUL_NATIVE_INL_H_
#undef QFORGE_KERNELS_MATMUL_NATIVE_INL_H_
#else
#define QFORGE_KERNELS_MATMUL_NATIVE_INL_H_
#endif

#include <algorithm>
#include <cstring>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "qforge/kernels/matmul-inl.h"
#include "qforge/kernels/matmul_native.h"
#include "qforge/kernels/native_dequant-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {

// Rows decoded at once for the prefill GEMM: a multiple of its tile heights (4, 8), and 8 rows of a
// 16K-wide layer (512 KB of f32) still fit in L2.
constexpr int64_t kNativeDequantRows = 8;

// Unit geometry of codec C on this target: U elements per unit, units per padded row.
template <class C>
struct Units {
  size_t lanes, size, full, total;
  explicit Units(int64_t in) {
    lanes = hn::Lanes(typename C::D());
    size = size_t(C::kK) * lanes;
    full = size_t(in) / size;
    total = (size_t(in) + size - 1) / size;
  }
  size_t Padded() const { return total * size; }
};

// x[t] rearranged into the units' element order: xp[u U + s N + i] = x[u U + kK i + s], zeros past
// `in`. Rows of Padded() floats, one per token.
template <class C>
void PermuteActivations(const float* x, int64_t in, int64_t n_tokens, const Units<C>& g,
                        hwy::AlignedFreeUniquePtr<float[]>& xp) {
  const size_t padded = g.Padded(), k = size_t(C::kK);
  xp = hwy::AllocateAligned<float>(padded * size_t(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* src = x + size_t(t * in);
    float* dst = xp.get() + size_t(t) * padded;
    for (size_t u = 0; u < g.total; ++u)
      for (size_t s = 0; s < k; ++s)
        for (size_t i = 0; i < g.lanes; ++i) {
          const size_t e = u * g.size + k * i + s;
          dst[u * g.size + s * g.lanes + i] = e < size_t(in) ? src[e] : 0.0f;
        }
  }
}

// Row-scaled codecs: the last, partial unit's codes copied into a zero-padded buffer; returns the
// row to decode as its unit 0.
template <class C>
HWY_INLINE NativeRow TailRow(const NativeRow& r, const Units<C>& g, int64_t in, uint8_t* buf) {
  const size_t unit_bytes = g.size * C::kCodeBits / 8;
  const size_t bytes = (size_t(in) - g.full * g.size) * C::kCodeBits / 8;
  std::memset(buf, 0, unit_bytes);
  std::memcpy(buf, r.codes + g.full * unit_bytes, bytes);
  NativeRow tail = r;
  tail.codes = buf;
  return tail;
}
// Largest unit in bytes: 3-bit codes, 8 per lane, 16 lanes (AVX-512) = 48; 64 leaves room.
constexpr size_t kMaxUnitBytes = 3 * HWY_MAX_BYTES / sizeof(float) + 16;

template <class C>
HWY_INLINE const void* RowPtr(const MatMulArgs& a, int64_t o) {
  return static_cast<const char*>(a.w) + size_t(o) * a.w_stride;
}

// Units [u0, u1) of a row, all in one group: fn(u, group). The groups' scales are read once.
template <class C, class Fn>
HWY_INLINE void ForEachGroup(const NativeRow& r, const Units<C>& g, Fn&& fn) {
  const size_t per_group = std::min(C::UnitsPerGroup(g.size), g.full);
  for (size_t u0 = 0; u0 < g.full; u0 += per_group) {
    const NativeGroup group = C::Group(r, u0);
    for (size_t u = u0; u < u0 + per_group; ++u) fn(u, group);
  }
}

// The dequantized row o in unit order into dst[0, g.Padded()).
template <class C>
HWY_INLINE void DecodeRow(const MatMulArgs& a, int64_t o, const Units<C>& g, float* dst) {
  const typename C::D d;
  const NativeRow r = C::Parse(RowPtr<C>(a, o));
  ForEachGroup(r, g, [&](size_t u, const NativeGroup& group) HWY_ATTR {
    hn::Vec<typename C::D> w[C::kK];
    C::Unit(d, group, u, w);
    for (int s = 0; s < C::kK; ++s) hn::Store(w[s], d, dst + u * g.size + size_t(s) * g.lanes);
  });
  if constexpr (!C::kRowScaled) return;  // rows of whole groups: no partial unit
  if (g.full < g.total) {
    HWY_ALIGN uint8_t buf[kMaxUnitBytes];
    hn::Vec<typename C::D> w[C::kK];
    C::Unit(d, C::Group(TailRow(r, g, a.in, buf), 0), 0, w);
    for (int s = 0; s < C::kK; ++s) hn::Store(w[s], d, dst + g.full * g.size + size_t(s) * g.lanes);
  }
}

// acc[r][t] += unit u of groups[r] . xp[t] (unit xu of the permuted activations).
template <class C, size_t kR, size_t kT>
HWY_INLINE void FusedUnit(const NativeGroup (&groups)[kR], size_t u, size_t xu, const Units<C>& g,
                          const float* const (&xp)[kT], hn::Vec<typename C::D> (&acc)[kR][kT]) {
  const typename C::D d;
  for (size_t r = 0; r < kR; ++r) {
    hn::Vec<typename C::D> w[C::kK];
    C::Unit(d, groups[r], u, w);
    for (int s = 0; s < C::kK; ++s)
      for (size_t t = 0; t < kT; ++t)
        acc[r][t] =
            hn::MulAdd(w[s], hn::Load(d, xp[t] + xu * g.size + size_t(s) * g.lanes), acc[r][t]);
  }
}

// Outputs y[t0 .. t0 + kT, o0 .. o0 + kR) by fused dequantize-dot.
template <class C, size_t kR, size_t kT>
HWY_INLINE void FusedTile(const MatMulArgs& a, const Units<C>& g, const float* xp, int64_t o0,
                          int64_t t0) {
  const typename C::D d;
  NativeRow rows[kR];
  for (size_t r = 0; r < kR; ++r) rows[r] = C::Parse(RowPtr<C>(a, o0 + int64_t(r)));
  const float* x[kT];
  for (size_t t = 0; t < kT; ++t) x[t] = xp + (size_t(t0) + t) * g.Padded();
  hn::Vec<typename C::D> acc[kR][kT];
  for (size_t r = 0; r < kR; ++r)
    for (size_t t = 0; t < kT; ++t) acc[r][t] = hn::Zero(d);
  const size_t per_group = std::min(C::UnitsPerGroup(g.size), g.full);
  NativeGroup groups[kR];
  for (size_t u0 = 0; u0 < g.full; u0 += per_group) {
    for (size_t r = 0; r < kR; ++r) groups[r] = C::Group(rows[r], u0);
    for (size_t u = u0; u < u0 + per_group; ++u) FusedUnit<C, kR, kT>(groups, u, u, g, x, acc);
  }
  if (C::kRowScaled && g.full < g.total) {
    HWY_ALIGN uint8_t buf[kR][kMaxUnitBytes];
    for (size_t r = 0; r < kR; ++r) groups[r] = C::Group(TailRow(rows[r], g, a.in, buf[r]), 0);
    FusedUnit<C, kR, kT>(groups, 0, g.full, g, x, acc);
  }
  for (size_t r = 0; r < kR; ++r)
    for (size_t t = 0; t < kT; ++t)
      a.y[size_t(t0 + int64_t(t)) * size_t(a.out) + size_t(o0) + r] =
          hn::GetLane(hn::SumOfLanes(d, acc[r][t]));
}

// Fused tiles: 4 rows give 4 (x kK) independent FMA chains per token; tokens go 2 at a time, so a
// unit decoded once serves both (4 x 2 accumulators + kK weights fit 16 registers for kK <= 4).
constexpr size_t kFusedRows = 4, kFusedTokens = 2;

template <class C, size_t kR>
HWY_INLINE void FusedRowTiles(const MatMulArgs& a, const Units<C>& g, const float* xp, int64_t o) {
  int64_t t = 0;
  for (; t + int64_t(kFusedTokens) <= a.n_tokens; t += kFusedTokens)
    FusedTile<C, kR, kFusedTokens>(a, g, xp, o, t);
  for (; t < a.n_tokens; ++t) FusedTile<C, kR, 1>(a, g, xp, o, t);
}

template <class C>
void FusedRows(const MatMulArgs& a, const Units<C>& g, const float* xp, int64_t begin,
               int64_t end) {
  int64_t o = begin;
  for (; o + int64_t(kFusedRows) <= end; o += int64_t(kFusedRows))
    FusedRowTiles<C, kFusedRows>(a, g, xp, o);
  for (; o < end; ++o) FusedRowTiles<C, 1>(a, g, xp, o);
}

// Prefill: kNativeDequantRows rows at a time decoded to f32, then the f32 GEMM over the padded,
// permuted rows and activations.
template <class C>
void TiledRows(const MatMulArgs& a, const Units<C>& g, const float* xp, int64_t begin,
               int64_t end) {
  const size_t padded = g.Padded();
  auto buf = hwy::AllocateAligned<float>(size_t(kNativeDequantRows) * padded);
  MatMulArgs f32 = a;
  f32.type = QType::kF32;
  f32.w = buf.get();
  f32.w_stride = padded * sizeof(float);
  f32.in = int64_t(padded);
  f32.x = xp;
  for (int64_t o0 = begin; o0 < end; o0 += kNativeDequantRows) {
    const int64_t o1 = std::min(end, o0 + kNativeDequantRows);
    for (int64_t o = o0; o < o1; ++o) DecodeRow<C>(a, o, g, buf.get() + size_t(o - o0) * padded);
    f32.w_first_row = o0;
    MatMulRowsT<float>(f32, o0, o1);
  }
}

template <class C>
void NativeRows(const MatMulArgs& a, int64_t begin, int64_t end, NativePath path) {
  const Units<C> g(a.in);
  hwy::AlignedFreeUniquePtr<float[]> xp;
  PermuteActivations<C>(a.x, a.in, a.n_tokens, g, xp);
  if (path == NativePath::kAuto)
    path = a.n_tokens <= kFusedMaxTokens ? NativePath::kFused : NativePath::kTiled;
  if (path == NativePath::kFused)
    FusedRows<C>(a, g, xp.get(), begin, end);
  else
    TiledRows<C>(a, g, xp.get(), begin, end);
}

// One row dequantized in element order (tests: against the scalar codec, bit for bit).
template <class C>
void NativeDequantizeRow(const void* row, float* dst, int64_t in) {
  const Units<C> g(in);
  MatMulArgs a{row, 0, QType::kF32, 0, 1, in, nullptr, 0, nullptr};
  auto perm = hwy::AllocateAligned<float>(g.Padded());
  DecodeRow<C>(a, 0, g, perm.get());
  const size_t k = size_t(C::kK);
  for (size_t u = 0; u < g.total; ++u)
    for (size_t s = 0; s < k; ++s)
      for (size_t i = 0; i < g.lanes; ++i) {
        const size_t e = u * g.size + k * i + s;
        if (e < size_t(in)) dst[e] = perm[u * g.size + s * g.lanes + i];
      }
}

template <class C>
constexpr NativeKernel KernelOf() {
  return {&NativeRows<C>, &NativeDequantizeRow<C>};
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_MATMUL_NATIVE_INL_H_
