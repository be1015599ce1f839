// Quantized dot products (vec_dot.h) with Highway, per target, and the MatMul row loop around them.
//
// A block decoder turns a weight block into vectors of signed 16-bit codes (k-quants: already
// multiplied by their sub-block scale) and hands each one, with the offset of its first element in
// the block, to a TokenAcc, which multiplies it by the activation codes of up to kT tokens with
// ReorderWidenMulAccumulate (pmaddwd on x86: i16 x i16 -> pairwise i32 sums). Decoding once for
// several tokens is what makes prefill faster than decode per token. The decoder's Finish then
// scales the block's i32 lane sums into f32 lane accumulators and adds min terms.
//
// Exactness of the integer half: every product and sum is an integer far below 2^31 (the largest,
// Q6_K, is at most 256 * 32 * 128 * 128 = 2^27 per super-block), so the lane sums are exact;
// their conversion to f32 is exact below 2^24 (always for the 32-element types).
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

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "qforge/core/half.h"
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
using DF = hn::Repartition<float, DI32>;
using VF = hn::Vec<DF>;

HWY_INLINE size_t Lanes16() { return hn::Lanes(DI16()); }

// Dot products of decoded weight vectors with the activation codes of kT tokens: per block, exact
// i32 lane sums; then, as ggml's SIMD code does, the lanes are converted to f32 and multiplied by
// the block's scale into f32 lane accumulators (no horizontal sum per block). Min terms, one
// scalar per block, go to `extra`.
template <size_t kT>
struct TokenAcc {
  const int16_t* x[kT];  // activation codes of the current block, per token, widened to i16
  VI32 sum0[kT], sum1[kT];
  VF acc[kT];
  float extra[kT];

  HWY_INLINE void StartRow() {
    for (size_t t = 0; t < kT; ++t) {
      acc[t] = hn::Zero(DF());
      extra[t] = 0;
    }
  }
  HWY_INLINE void StartBlock() {
    for (size_t t = 0; t < kT; ++t) sum0[t] = sum1[t] = hn::Zero(DI32());
  }
  // sum[t] += w . x[t][offset .. offset + Lanes16())
  HWY_INLINE void MulAdd(VI16 w, size_t offset) {
    const DI16 d16;
    for (size_t t = 0; t < kT; ++t) {
      const VI16 xv = hn::LoadU(d16, x[t] + offset);
      sum0[t] = hn::ReorderWidenMulAccumulate(DI32(), w, xv, sum0[t], sum1[t]);
    }
  }
  // acc[t] += scale * (this block's integer lane sums of token t)
  HWY_INLINE void Scale(size_t t, float scale) {
    const VF sum = hn::ConvertTo(DF(), hn::Add(sum0[t], sum1[t]));
    acc[t] = hn::MulAdd(sum, hn::Set(DF(), scale), acc[t]);
  }
  HWY_INLINE float Total(size_t t) const {
    return hn::GetLane(hn::SumOfLanes(DF(), acc[t])) + extra[t];
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

// ---- Float half per block: d[t], s[t] are token t's activation scale and (Q8_1) sum field.

// Symmetric codes: acc += (d_w d_x) isum.
template <size_t kT>
HWY_INLINE void ScaleAll(float dw, const float (&d)[kT], TokenAcc<kT>& acc) {
  for (size_t t = 0; t < kT; ++t) acc.Scale(t, dw * d[t]);
}

struct Symmetric {
  template <class WBlock, class XBlock, size_t kT>
  HWY_INLINE static void Finish(const WBlock& w, const XBlock* const (&)[kT], const float (&d)[kT],
                                const float (&)[kT], TokenAcc<kT>& acc) {
    ScaleAll(F16ToF32(w.d), d, acc);
  }
};

// Q4_1/Q5_1 (x = d q + m): acc += (d_w d_x) isum, extra += m_w s_x with s_x = d_x sum(q_x).
struct WithMin {
  template <class WBlock, class XBlock, size_t kT>
  HWY_INLINE static void Finish(const WBlock& w, const XBlock* const (&)[kT], const float (&d)[kT],
                                const float (&s)[kT], TokenAcc<kT>& acc) {
    ScaleAll(F16ToF32(w.d), d, acc);
    const float m = F16ToF32(w.m);
    for (size_t t = 0; t < kT; ++t) acc.extra[t] += m * s[t];
  }
};

// ---- Legacy 32-element blocks: byte qs[j] holds element j (low nibble) and j + 16 (high).

struct DecodeQ4_0 : Symmetric {
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

struct DecodeQ4_1 : WithMin {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ4_1& b, Acc& acc) {
    for (size_t k = 0; k < 16; k += Lanes16()) {
      const VI16 q = LoadBytes(b.qs + k);
      acc.MulAdd(hn::And(q, hn::Set(DI16(), 15)), k);
      acc.MulAdd(hn::ShiftRight<4>(q), k + 16);
    }
  }
};

struct DecodeQ5_0 : Symmetric {
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

struct DecodeQ5_1 : WithMin {
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

struct DecodeQ8_0 : Symmetric {
  template <class Acc>
  HWY_INLINE static void Run(const BlockQ8_0& b, Acc& acc) {
    for (size_t k = 0; k < 32; k += Lanes16())
      acc.MulAdd(hn::PromoteTo(DI16(), hn::LoadU(DI8(), b.qs + k)), k);
  }
};

// IQ4_NL: each nibble indexes the 16-entry code book, looked up 16 bytes at a time (pshufb).
struct DecodeIQ4_NL : Symmetric {
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

// Activation block scales as f32 (exact conversions), once per MatMul rows call: xd[t * nb + b] is
// d of token t's block b, xs the Q8_1 sum field s (zero for the other formats).
inline float ActScale(const BlockQ8_0& b) { return F16ToF32(b.d); }
inline float ActScale(const BlockQ8_1& b) { return F16ToF32(b.d); }
inline float ActScale(const BlockQ8_K& b) { return b.d; }
inline float ActSum(const BlockQ8_0&) { return 0; }
inline float ActSum(const BlockQ8_1& b) { return F16ToF32(b.s); }
inline float ActSum(const BlockQ8_K&) { return 0; }

// Token rows of the quantized activations, their codes widened to i16 once per call (every
// weight row reuses them, so the multiply-add can read them straight from memory), and their
// scales.
template <class XBlock>
struct Activations {
  static constexpr int64_t kBlock = int64_t(sizeof(XBlock::qs));  // int8 codes per block
  const MatMulArgs& a;
  int64_t nb;
  std::vector<float> xd, xs;
  hwy::AlignedFreeUniquePtr<int16_t[]> codes;

  Activations(const MatMulArgs& args, int64_t blocks)
      : a(args),
        nb(blocks),
        xd(size_t(a.n_tokens * nb)),
        xs(size_t(a.n_tokens * nb)),
        codes(hwy::AllocateAligned<int16_t>(size_t(a.n_tokens * nb * kBlock))) {
    for (int64_t t = 0; t < a.n_tokens; ++t)
      for (int64_t b = 0; b < nb; ++b) {
        const XBlock& x = Row(t)[b];
        xd[size_t(t * nb + b)] = ActScale(x);
        xs[size_t(t * nb + b)] = ActSum(x);
        for (int64_t j = 0; j < kBlock; ++j) codes[size_t((t * nb + b) * kBlock + j)] = x.qs[j];
      }
  }
  const XBlock* Row(int64_t t) const {
    return reinterpret_cast<const XBlock*>(static_cast<const char*>(a.xq) +
                                           size_t(t) * a.xq_stride);
  }
  const int16_t* Codes(int64_t t, int64_t b) const { return &codes[size_t((t * nb + b) * kBlock)]; }
};

// How far ahead along a weight row TokenGroup prefetches.
constexpr size_t kRowPrefetchBytes = 8 << 10;

// Outputs y[t0 .. t0 + kT, o]: each weight block is decoded once for the kT tokens.
template <class Decode, class WBlock, class XBlock, size_t kT>
HWY_INLINE void TokenGroup(const Activations<XBlock>& act, int64_t o, int64_t t0) {
  const MatMulArgs& a = act.a;
  const WBlock* w = reinterpret_cast<const WBlock*>(static_cast<const char*>(a.w) +
                                                    size_t(o - a.w_first_row) * a.w_stride);
  const XBlock* x[kT];
  const float* xd[kT];
  const float* xs[kT];
  for (size_t t = 0; t < kT; ++t) {
    x[t] = act.Row(t0 + int64_t(t));
    xd[t] = act.xd.data() + (t0 + int64_t(t)) * act.nb;
    xs[t] = act.xs.data() + (t0 + int64_t(t)) * act.nb;
  }
  TokenAcc<kT> acc;
  acc.StartRow();
  for (int64_t b = 0; b < act.nb; ++b) {
    // The row streams from memory once per token: ask for it well ahead, into L2 (as the VNNI
    // tiles do, vec_dot_vnni-inl.h), so the core does not wait on DRAM latency.
    for (size_t off = 0; off < sizeof(WBlock); off += 64)
      __builtin_prefetch(reinterpret_cast<const char*>(&w[b]) + kRowPrefetchBytes + off, 0, 2);
    for (size_t t = 0; t < kT; ++t) acc.x[t] = act.Codes(t0 + int64_t(t), b);
    acc.StartBlock();
    Decode::Run(w[b], acc);
    float d[kT], s[kT];
    const XBlock* xb[kT];
    for (size_t t = 0; t < kT; ++t) {
      d[t] = xd[t][b];
      s[t] = xs[t][b];
      xb[t] = &x[t][b];
    }
    Decode::Finish(w[b], xb, d, s, acc);
  }
  for (size_t t = 0; t < kT; ++t)
    a.y[size_t(t0 + int64_t(t)) * size_t(a.out) + size_t(o)] = acc.Total(t);
}

// Tokens decoded together: 2 x 4 integer and 4 float accumulators, a weight and an activation
// vector fit in the 16 vector registers of AVX2.
constexpr size_t kTokenGroup = 4;

// Output rows [begin, end) for all tokens. A token's arithmetic is the same whether it is in a
// group of kTokenGroup or alone, so y depends neither on the grouping nor on the thread count.
template <class Decode, class WBlock, class XBlock>
HWY_INLINE void QDotRowsT(const MatMulArgs& a, int64_t begin, int64_t end, int64_t block_size) {
  const Activations<XBlock> act(a, a.in / block_size);
  for (int64_t o = begin; o < end; ++o) {
    int64_t t = 0;
    for (; t + int64_t(kTokenGroup) <= a.n_tokens; t += kTokenGroup)
      TokenGroup<Decode, WBlock, XBlock, kTokenGroup>(act, o, t);
    for (; t < a.n_tokens; ++t) TokenGroup<Decode, WBlock, XBlock, 1>(act, o, t);
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_VEC_DOT_INL_H_
