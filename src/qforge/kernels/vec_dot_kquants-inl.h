// Block decoders of the k-quants for vec_dot-inl.h: each turns a 256-element super-block into
// vectors of 16-bit codes already multiplied by their sub-block's integer scale, so that one
// integer sum per super-block carries all scales (ref/vec_dot_kquants_ref.cc defines the sums).
//
// Range: |code * scale| <= 32 * 128 (Q6_K), times an activation code <= 127 in magnitude, summed in
// pairs: well inside i32; the i16 products fit as well (Q5_K: 31 * 63 = 1953, Q6_K: 4096).
// Element e = 128h + 32s + l of the 2-bit fields (Q2_K, Q3_K qs; Q6_K qh) sits in byte 32h + l at
// bits 2s; element e = 64c + 32k + l of the 4-bit fields in byte 32c + l (k = 0 low nibble).

#if defined(QFORGE_KERNELS_VEC_DOT_KQUANTS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_VEC_DOT_KQUANTS_INL_H_
#undef QFORGE_KERNELS_VEC_DOT_KQUANTS_INL_H_
#else
#define QFORGE_KERNELS_VEC_DOT_KQUANTS_INL_H_
#endif

#include "qforge/core/qblocks_kquants.h"
#include "qforge/kernels/vec_dot-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {

// Bits 2s..2s+1 of bytes p[0 .. Lanes16()).
HWY_INLINE VI16 Crumbs(const uint8_t* p, int s) {
  return hn::And(hn::ShiftRightSame(LoadBytes(p), 2 * s), hn::Set(DI16(), 3));
}

// Bit `bit` of bytes p[0 .. Lanes16()), as 0 or 1.
HWY_INLINE VI16 Bits(const uint8_t* p, int bit) {
  return hn::And(hn::ShiftRightSame(LoadBytes(p), bit), hn::Set(DI16(), 1));
}

// Q2_K/Q4_K/Q5_K mins: extra -= (dmin_w d_x) sum_j bsums_j min(j), with min(j) the integer min of
// the sub-block that holds the 16 activation codes summed in bsums_j.
template <size_t kT, class MinOf>
HWY_INLINE void SubtractMins(float dmin, const BlockQ8_K* const (&x)[kT], const float (&d)[kT],
                             MinOf min_of, TokenAcc<kT>& acc) {
  int mins[16];
  for (int j = 0; j < 16; ++j) mins[j] = min_of(j);
  for (size_t t = 0; t < kT; ++t) {
    int32_t sum = 0;
    for (int j = 0; j < 16; ++j) sum += x[t]->bsums[j] * mins[j];
    acc.extra[t] -= (dmin * d[t]) * float(sum);
  }
}

struct DecodeQ2_K {
  template <size_t kT>
  HWY_INLINE static void Finish(const BlockQ2_K& w, const BlockQ8_K* const (&x)[kT],
                                const float (&d)[kT], const float (&)[kT], TokenAcc<kT>& acc) {
    ScaleAll(F16ToF32(w.d), d, acc);
    SubtractMins(
        F16ToF32(w.dmin), x, d, [&](int j) { return w.scales[j] >> 4; }, acc);
  }

  template <class Acc>
  HWY_INLINE static void Run(const BlockQ2_K& b, Acc& acc) {
    for (int h = 0; h < 2; ++h)
      for (int s = 0; s < 4; ++s)
        for (size_t l = 0; l < 32; l += Lanes16()) {
          const VI16 scale = hn::Set(DI16(), int16_t(b.scales[8 * h + 2 * s + int(l / 16)] & 0xF));
          acc.MulAdd(hn::Mul(Crumbs(b.qs + 32 * h + l, s), scale), 128 * h + 32 * s + l);
        }
  }
};

struct DecodeQ3_K : Symmetric {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ3_K& b, Acc& acc) {
    const DI16 d16;
    int16_t scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = int16_t(Q3KScale(j, b.scales));
    for (int h = 0; h < 2; ++h)
      for (int s = 0; s < 4; ++s)
        for (size_t l = 0; l < 32; l += Lanes16()) {
          // q - 4 where the high bit (bit 4h + s of hmask[l]) is clear, q - 0 where it is set.
          const VI16 low = Crumbs(b.qs + 32 * h + l, s);
          const VI16 high = Bits(b.hmask + l, 4 * h + s);
          const VI16 code = hn::Sub(low, hn::Sub(hn::Set(d16, 4), hn::ShiftLeft<2>(high)));
          const VI16 scale = hn::Set(d16, scales[8 * h + 2 * s + int(l / 16)]);
          acc.MulAdd(hn::Mul(code, scale), 128 * h + 32 * s + l);
        }
  }
};

// Q4_K and Q5_K: 32-element sub-blocks with 6-bit scales; Q5_K's fifth bit of element
// 64c + 32k + l is bit 2c + k of qh[l].
template <bool kFifthBit, class Block, class Acc>
HWY_INLINE void DecodeNibbleK(const Block& b, const uint8_t* qh, Acc& acc) {
  const DI16 d16;
  for (int c = 0; c < 4; ++c) {
    uint8_t sc_lo, sc_hi, m;
    KScaleMin(2 * c, b.scales, sc_lo, m);
    KScaleMin(2 * c + 1, b.scales, sc_hi, m);
    for (size_t l = 0; l < 32; l += Lanes16()) {
      const VI16 q = LoadBytes(b.qs + 32 * c + l);
      VI16 lo = hn::And(q, hn::Set(d16, 15)), hi = hn::ShiftRight<4>(q);
      if constexpr (kFifthBit) {
        lo = hn::Or(lo, hn::ShiftLeft<4>(Bits(qh + l, 2 * c)));
        hi = hn::Or(hi, hn::ShiftLeft<4>(Bits(qh + l, 2 * c + 1)));
      }
      acc.MulAdd(hn::Mul(lo, hn::Set(d16, int16_t(sc_lo))), 64 * c + l);
      acc.MulAdd(hn::Mul(hi, hn::Set(d16, int16_t(sc_hi))), 64 * c + 32 + l);
    }
  }
}

// Q4_K/Q5_K: 6-bit mins of 32-element sub-blocks, two bsums each.
struct WithKMins {
  template <class WBlock, size_t kT>
  HWY_INLINE static void Finish(const WBlock& w, const BlockQ8_K* const (&x)[kT],
                                const float (&d)[kT], const float (&)[kT], TokenAcc<kT>& acc) {
    ScaleAll(F16ToF32(w.d), d, acc);
    const auto min_of = [&](int j) {
      uint8_t sc, m;
      KScaleMin(j / 2, w.scales, sc, m);
      return int(m);
    };
    SubtractMins(F16ToF32(w.dmin), x, d, min_of, acc);
  }
};

struct DecodeQ4_K : WithKMins {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ4_K& b, Acc& acc) {
    DecodeNibbleK<false>(b, nullptr, acc);
  }
};

struct DecodeQ5_K : WithKMins {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ5_K& b, Acc& acc) {
    DecodeNibbleK<true>(b, b.qh, acc);
  }
};

// Q6_K: element 128h + 32s + l has its low nibble in ql[64h + 32(s%2) + l] (high nibble for
// s >= 2) and its top 2 bits at bits 2s of qh[32h + l]; code - 32, 16-element sub-blocks.
struct DecodeQ6_K : Symmetric {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ6_K& b, Acc& acc) {
    const DI16 d16;
    for (int h = 0; h < 2; ++h)
      for (size_t l = 0; l < 32; l += Lanes16()) {
        const VI16 ql0 = LoadBytes(b.ql + 64 * h + l), ql1 = LoadBytes(b.ql + 64 * h + 32 + l);
        const VI16 low[4] = {hn::And(ql0, hn::Set(d16, 15)), hn::And(ql1, hn::Set(d16, 15)),
                             hn::ShiftRight<4>(ql0), hn::ShiftRight<4>(ql1)};
        for (int s = 0; s < 4; ++s) {
          const VI16 code = hn::Or(low[s], hn::ShiftLeft<4>(Crumbs(b.qh + 32 * h + l, s)));
          const VI16 scale = hn::Set(d16, int16_t(b.scales[8 * h + 2 * s + int(l / 16)]));
          acc.MulAdd(hn::Mul(hn::Sub(code, hn::Set(d16, 32)), scale), 128 * h + 32 * s + l);
        }
      }
  }
};

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_VEC_DOT_KQUANTS_INL_H_
