// The integer half of the quantized dot products (vec_dot.h) with Highway, per target, and the
// MatMul row loop around it.
//
// A block decoder turns a weight block into vectors of signed 16-bit codes (k-quants: already
// multiplied by their sub-block scale) and hands each one, with the offset of its first element in
// the block, to a TokenAcc, which multiplies it by the activation codes of up to kT tokens with
// ReorderWidenMulAccumulate (pmaddwd on x86: i16 x i16 -> pairwise i32 sums). Decoding once for
// several tokens is what makes prefill faster than decode per token.
//
// Exactness: every product and sum is an integer far below 2^31 (the largest, Q6_K, is at most
// 256 * 32 * 128 * 128 = 2^27 per super-block), so the block sums equal the scalar reference's
// whatever the lane count or order; the float half (vec_dot_finish.h) is shared code.
//
// Vectors are capped at 8 i32 / 16 i16 lanes: a legacy half-block holds 16 codes, and a k-quant
// sub-block 16 or 32, so a vector never straddles two scales.

#if defined(QFORGE_KERNELS_VEC_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_VEC_DOT_INL_H_
#undef QFORGE_KERNELS_VEC_DOT_INL_H_
#else
#define QFORGE_KERNELS_VEC_DOT_INL_H_
#endif

#include <cstring>
#include <vector>

#include "hwy/highway.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"
#include "qforge/kernels/matmul.h"
#include "qforge/kernels/vec_dot.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DI16 = hn::CappedTag<int16_t, 16>;  // 16 lanes (AVX2, AVX3), 8 (SSE4, SSSE3), 1 (scalar)
using DI32 = hn::Repartition<int32_t, DI16>;
using DU16 = hn::RebindToUnsigned<DI16>;
using DI8 = hn::Rebind<int8_t, DI16>;
using DU8 = hn::Rebind<uint8_t, DI16>;
using VI16 = hn::Vec<DI16>;
using VI32 = hn::Vec<DI32>;

HWY_INLINE size_t Lanes16() { return hn::Lanes(DI16()); }

// Integer dot products of decoded weight vectors with the activation codes of kT tokens.
template <size_t kT>
struct TokenAcc {
  const int8_t* x[kT];  // activation codes of the current block, per token
  VI32 sum0[kT], sum1[kT];

  HWY_INLINE void Reset() {
    for (size_t t = 0; t < kT; ++t) sum0[t] = sum1[t] = hn::Zero(DI32());
  }
  // sum[t] += w . x[t][offset .. offset + Lanes16())
  HWY_INLINE void MulAdd(VI16 w, size_t offset) {
    const DI16 d16;
    for (size_t t = 0; t < kT; ++t) {
      const VI16 xv = hn::PromoteTo(d16, hn::LoadU(DI8(), x[t] + offset));
      sum0[t] = hn::ReorderWidenMulAccumulate(DI32(), w, xv, sum0[t], sum1[t]);
    }
  }
  HWY_INLINE int32_t Total(size_t t) const {
    const DI32 d32;
    return hn::GetLane(hn::SumOfLanes(d32, hn::Add(sum0[t], sum1[t])));
  }
};

// Bytes p[0 .. Lanes16()) widened to i16 (values 0..255).
HWY_INLINE VI16 LoadBytes(const uint8_t* p) {
  return hn::BitCast(DI16(), hn::PromoteTo(DU16(), hn::LoadU(DU8(), p)));
}

// 16 where bit (k + i) of the 16-bit `bits` is set, else 0, for lanes i: the fifth bit of a 5-bit
// code, in place.
HWY_INLINE VI16 FifthBits(uint32_t bits, size_t k) {
  alignas(64) static constexpr uint16_t kBit[16] = {1,   2,   4,    8,    16,   32,   64,    128,
                                                    256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
  const DU16 du16;
  const auto set = hn::TestBit(hn::Set(du16, uint16_t(bits)), hn::LoadU(du16, kBit + k));
  return hn::BitCast(DI16(), hn::IfThenElseZero(set, hn::Set(du16, uint16_t(16))));
}

// ---- Legacy 32-element blocks: byte qs[j] holds element j (low nibble) and j + 16 (high).

struct DecodeQ4_0 {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ4_0& b, Acc& acc) {
    const DI16 d16;
    for (size_t k = 0; k < 16; k += Lanes16()) {
      const VI16 q = LoadBytes(b.qs + k);
      acc.MulAdd(hn::Sub(hn::And(q, hn::Set(d16, 15)), hn::Set(d16, 8)), k);
      acc.MulAdd(hn::Sub(hn::ShiftRight<4>(q), hn::Set(d16, 8)), k + 16);
    }
  }
};

struct DecodeQ4_1 {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ4_1& b, Acc& acc) {
    for (size_t k = 0; k < 16; k += Lanes16()) {
      const VI16 q = LoadBytes(b.qs + k);
      acc.MulAdd(hn::And(q, hn::Set(DI16(), 15)), k);
      acc.MulAdd(hn::ShiftRight<4>(q), k + 16);
    }
  }
};

struct DecodeQ5_0 {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ5_0& b, Acc& acc) {
    const DI16 d16;
    uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    for (size_t k = 0; k < 16; k += Lanes16()) {
      const VI16 q = LoadBytes(b.qs + k);
      const VI16 lo = hn::Or(hn::And(q, hn::Set(d16, 15)), FifthBits(qh & 0xFFFF, k));
      const VI16 hi = hn::Or(hn::ShiftRight<4>(q), FifthBits(qh >> 16, k));
      acc.MulAdd(hn::Sub(lo, hn::Set(d16, 16)), k);
      acc.MulAdd(hn::Sub(hi, hn::Set(d16, 16)), k + 16);
    }
  }
};

struct DecodeQ5_1 {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ5_1& b, Acc& acc) {
    uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    for (size_t k = 0; k < 16; k += Lanes16()) {
      const VI16 q = LoadBytes(b.qs + k);
      acc.MulAdd(hn::Or(hn::And(q, hn::Set(DI16(), 15)), FifthBits(qh & 0xFFFF, k)), k);
      acc.MulAdd(hn::Or(hn::ShiftRight<4>(q), FifthBits(qh >> 16, k)), k + 16);
    }
  }
};

struct DecodeQ8_0 {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ8_0& b, Acc& acc) {
    for (size_t k = 0; k < 32; k += Lanes16())
      acc.MulAdd(hn::PromoteTo(DI16(), hn::LoadU(DI8(), b.qs + k)), k);
  }
};

// IQ4_NL: each nibble indexes the 16-entry code book, looked up 16 bytes at a time (pshufb).
struct DecodeIQ4_NL {
  template <class Acc>
  HWY_INLINE static void Run(const BlockIQ4_NL& b, Acc& acc) {
#if HWY_TARGET == HWY_SCALAR
    for (size_t k = 0; k < 16; ++k) {
      acc.MulAdd(hn::Set(DI16(), kIQ4NLValues[b.qs[k] & 0xF]), k);
      acc.MulAdd(hn::Set(DI16(), kIQ4NLValues[b.qs[k] >> 4]), k + 16);
    }
#else
    const hn::Full128<int8_t> d128;
    const DU8 du8;
    const auto book = hn::LoadU(d128, kIQ4NLValues);
    for (size_t k = 0; k < 16; k += Lanes16()) {
      const auto q = hn::LoadU(du8, b.qs + k);
      const auto lo = hn::TableLookupBytes(book, hn::And(q, hn::Set(du8, uint8_t(15))));
      const auto hi = hn::TableLookupBytes(book, hn::ShiftRight<4>(q));
      acc.MulAdd(hn::PromoteTo(DI16(), hn::BitCast(DI8(), lo)), k);
      acc.MulAdd(hn::PromoteTo(DI16(), hn::BitCast(DI8(), hi)), k + 16);
    }
#endif
  }
};

// ---- The row loop.

// isum[t * nb + b] for the kT activation rows x[t] and the weight row w.
template <class Decode, class WBlock, class XBlock, size_t kT>
HWY_INLINE void ISums(const WBlock* w, const XBlock* const (&x)[kT], int64_t nb, int32_t* isum) {
  TokenAcc<kT> acc;
  for (int64_t b = 0; b < nb; ++b) {
    for (size_t t = 0; t < kT; ++t) acc.x[t] = x[t][b].qs;
    acc.Reset();
    Decode::Run(w[b], acc);
    for (size_t t = 0; t < kT; ++t) isum[int64_t(t) * nb + b] = acc.Total(t);
  }
}

// Tokens decoded together: 2 x 4 accumulators, 1 weight and 1 activation vector fit in the 16
// vector registers of AVX2.
constexpr size_t kTokenGroup = 4;

template <class Decode, class WBlock, class XBlock, size_t kT>
HWY_INLINE void TokenGroup(const MatMulArgs& a, int64_t o, int64_t t0, int64_t nb, int32_t* isum,
                           VecDotFinishFn finish) {
  const WBlock* w = reinterpret_cast<const WBlock*>(static_cast<const char*>(a.w) +
                                                    size_t(o - a.w_first_row) * a.w_stride);
  const XBlock* x[kT];
  for (size_t t = 0; t < kT; ++t)
    x[t] = reinterpret_cast<const XBlock*>(static_cast<const char*>(a.xq) +
                                           size_t(t0 + int64_t(t)) * a.xq_stride);
  ISums<Decode, WBlock, XBlock, kT>(w, x, nb, isum);
  for (size_t t = 0; t < kT; ++t)
    a.y[size_t(t0 + int64_t(t)) * size_t(a.out) + size_t(o)] =
        finish(w, x[t], isum + int64_t(t) * nb, nb);
}

// Output rows [begin, end) for all tokens. Whether a token is in a group of kTokenGroup or alone
// changes neither its integer sums nor the shared float half, so y does not depend on it.
template <class Decode, class WBlock, class XBlock>
HWY_INLINE void QDotRowsT(const MatMulArgs& a, int64_t begin, int64_t end, int64_t block_size,
                          VecDotFinishFn finish) {
  const int64_t nb = a.in / block_size;
  std::vector<int32_t> isum(kTokenGroup * size_t(nb));  // per call, hence per thread
  for (int64_t o = begin; o < end; ++o) {
    int64_t t = 0;
    for (; t + int64_t(kTokenGroup) <= a.n_tokens; t += kTokenGroup)
      TokenGroup<Decode, WBlock, XBlock, kTokenGroup>(a, o, t, nb, isum.data(), finish);
    for (; t < a.n_tokens; ++t)
      TokenGroup<Decode, WBlock, XBlock, 1>(a, o, t, nb, isum.data(), finish);
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_VEC_DOT_INL_H_
