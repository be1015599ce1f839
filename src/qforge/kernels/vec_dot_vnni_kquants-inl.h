// Q2_K, Q3_K, Q4_K, Q5_K and Q6_K MatMul rows with AVX-512 VNNI, for the AVX3_DL target only (the
// other targets keep vec_dot_kquants-inl.h): tiles of kR weight rows x kT tokens as in
// vec_dot_vnni-inl.h, one 256-element super-block at a time, 64 elements per 512-bit vector, in
// element order (the Q8_K activation codes are read where they are).
//
// Integer half, per super-block, exact as in vec_dot_kquants-inl.h (ref/vec_dot_kquants_ref.cc):
//  - the weight codes are unsigned (Q2_K q in [0, 3], Q3_K q + 4 in [0, 7], Q4_K [0, 15], Q5_K
//    [0, 31], Q6_K q + 32 in [0, 63]), so vpmaddubsw multiplies them by the activation codes into
//    i16 pair sums (|pair| <= 2 * 63 * 127, no saturation), and vpdpwssd multiplies those by the
//    sub-block's integer scale into i32 lanes;
//  - Q2_K, Q4_K and Q5_K subtract dmin * sum_j min_j bsum_j (vpmaddwd of the mins by Q8_K's
//    16-element sums); Q6_K's offset, sum_i (q_i - 32) y_i sc = sum q y sc - 32 sum_j sc_j bsum_j,
//    is applied the same way, and Q3_K's with 4 for 32.
// A lane's integer sum is at most 4 * 2 * 31 * 127 * 63 (Q5_K; less for Q2_K, Q3_K and Q4_K) or
// 4 * 2 * 63 * 127 * 128 + the offset (Q6_K, which can pass 2^24: one rounding when converted, as
// on the narrow targets); the float half is d_w d_x times the lanes, with FMA, then one sum of the
// lanes per output.

#if defined(QFORGE_KERNELS_VEC_DOT_VNNI_KQUANTS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_VEC_DOT_VNNI_KQUANTS_INL_H_
#undef QFORGE_KERNELS_VEC_DOT_VNNI_KQUANTS_INL_H_
#else
#define QFORGE_KERNELS_VEC_DOT_VNNI_KQUANTS_INL_H_
#endif

#include "hwy/highway.h"
#include "qforge/kernels/matmul.h"

#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "qforge/core/half.h"
#include "qforge/core/qblocks_kquants.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
namespace vnni_k {
#pragma GCC push_options
#pragma GCC target("avx512vnni,avx512vbmi")

constexpr size_t kR = 4, kT = 4;
// Token blocks: their Q8_K rows stay in the per-core L2 cache while the weight rows pass.
constexpr size_t kPanelBytes = 256 << 10;
// Software prefetch along each weight row, as in vec_dot_vnni-inl.h.
constexpr size_t kPrefetchBytes = 16 << 10;

// Per row and super-block: the integer scales as i16 lane vectors for each 64-element chunk, the
// per-16-element-sum multipliers (mins or offsets), and the f32 scales.
struct Scales {
  __m512i sc[4];  // chunk c: the i16 scale of every pair of elements
  __m256i sums;   // i16 multiplier of Q8_K's bsums[k], k = 0..15
  float d, dmin;
};

// Types with 16-element sub-blocks (Q2_K, Q6_K): chunk c holds sub-blocks 4c .. 4c + 3, 8
// element pairs (i16 lanes) each; row c picks each lane's sub-block scale.
alignas(64) inline constexpr uint16_t kSubBlockPairs[4][32] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
     2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,
     6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8,  8,  8,  8,  8,  8,  8,  8,  9,  9,  9,  9,  9,  9,  9,  9,
     10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13,
     14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15}};

// Q4_K: element 64c + 32k + l is nibble k of qs[32c + l]; sub-block 2c + k has 6-bit scale and
// min (12 packed bytes, unpacked as ggml's kmask code does).
struct Q4_K {
  static constexpr size_t kBytes = sizeof(BlockQ4_K);
  HWY_INLINE static void Prepare(const uint8_t* p, Scales& s) {
    const BlockQ4_K& b = *reinterpret_cast<const BlockQ4_K*>(p);
    uint32_t u[4];
    std::memcpy(u, b.scales, 12);
    constexpr uint32_t kMask1 = 0x3f3f3f3f, kMask2 = 0x0f0f0f0f, kMask3 = 0x03030303;
    u[3] = ((u[2] >> 4) & kMask2) | (((u[1] >> 6) & kMask3) << 4);
    const uint32_t mins_lo = u[1] & kMask1;
    u[1] = (u[2] & kMask2) | (((u[0] >> 6) & kMask3) << 4);
    u[2] = mins_lo;
    u[0] &= kMask1;
    // u bytes 0-7: scales of sub-blocks 0-7; bytes 8-15: their mins.
    const __m512i v = _mm512_cvtepu8_epi16(
        _mm256_castsi128_si256(_mm_set_epi32(int(u[3]), int(u[2]), int(u[1]), int(u[0]))));
    alignas(64) static constexpr uint16_t kIdx[4][32] = {
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
         3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3},
        {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
         5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5},
        {6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
         7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}};
    for (int c = 0; c < 4; ++c) s.sc[c] = _mm512_permutexvar_epi16(_mm512_load_si512(kIdx[c]), v);
    // bsums[k] covers elements 16k..16k+15: sub-block k / 2, min at word 8 + k / 2.
    alignas(32) static constexpr uint16_t kMinIdx[16] = {8,  8,  9,  9,  10, 10, 11, 11,
                                                         12, 12, 13, 13, 14, 14, 15, 15};
    s.sums = _mm512_castsi512_si256(_mm512_permutexvar_epi16(
        _mm512_castsi256_si512(_mm256_load_si256(reinterpret_cast<const __m256i*>(kMinIdx))), v));
    s.d = _cvtsh_ss(b.d);         // F16C: exact, as F16ToF32, without its branches
    s.dmin = -_cvtsh_ss(b.dmin);  // the min term is subtracted
  }
  // The unsigned codes of elements 64c .. 64c + 63.
  HWY_INLINE static __m512i Codes(const uint8_t* p, int c) {
    const BlockQ4_K& b = *reinterpret_cast<const BlockQ4_K*>(p);
    const __m512i q =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c)));
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    return _mm512_and_si512(_mm512_srlv_epi16(q, shift), _mm512_set1_epi8(0x0F));
  }
};

// Q2_K: element 128h + 32s + l is bits 2s, 2s + 1 of qs[32h + l]; 16-element sub-block k (exactly
// Q8_K's bsums[k]) has a 4-bit scale (low nibble of scales[k]) and a 4-bit min (high nibble).
// Chunk c = 2h + g holds s = 2g, 2g + 1.
struct Q2_K {
  static constexpr size_t kBytes = sizeof(BlockQ2_K);
  HWY_INLINE static void Prepare(const uint8_t* p, Scales& s) {
    const BlockQ2_K& b = *reinterpret_cast<const BlockQ2_K*>(p);
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
    const __m512i sc =
        _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_and_si128(packed, _mm_set1_epi8(0x0F))));
    for (int c = 0; c < 4; ++c)
      s.sc[c] = _mm512_permutexvar_epi16(_mm512_load_si512(kSubBlockPairs[c]), sc);
    s.sums = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
    s.d = _cvtsh_ss(b.d);
    s.dmin = -_cvtsh_ss(b.dmin);  // the min term is subtracted
  }
  HWY_INLINE static __m512i Codes(const uint8_t* p, int c) {
    const BlockQ2_K& b = *reinterpret_cast<const BlockQ2_K*>(p);
    const int h = c / 2, g = c % 2;
    const __m512i q =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * h)));
    const __m512i shift =
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(short(4 * g))),
                           _mm256_set1_epi16(short(4 * g + 2)), 1);
    return _mm512_and_si512(_mm512_srlv_epi16(q, shift), _mm512_set1_epi8(0x03));
  }
};

// Q3_K: element 128h + 32s + l has its low 2 bits at bits 2s of qs[32h + l] and its third bit at
// bit 4h + s of hmask[l]; the value is (low | third << 2) - 4. 16-element sub-blocks with signed
// 6-bit scales (12 packed bytes, unpacked as ggml's kmask code does); the offset is applied as
// Q6_K's: sum (u - 4) y sc = sum u y sc - 4 sum_k sc_k bsums_k.
struct Q3_K {
  static constexpr size_t kBytes = sizeof(BlockQ3_K);
  HWY_INLINE static void Prepare(const uint8_t* p, Scales& s) {
    const BlockQ3_K& b = *reinterpret_cast<const BlockQ3_K*>(p);
    uint32_t u[3];
    std::memcpy(u, b.scales, 12);
    constexpr uint32_t kLow = 0x0f0f0f0f, kHigh = 0x03030303;
    const uint32_t a0 = (u[0] & kLow) | ((u[2] & kHigh) << 4);
    const uint32_t a1 = (u[1] & kLow) | (((u[2] >> 2) & kHigh) << 4);
    const uint32_t a2 = ((u[0] >> 4) & kLow) | (((u[2] >> 4) & kHigh) << 4);
    const uint32_t a3 = ((u[1] >> 4) & kLow) | (((u[2] >> 6) & kHigh) << 4);
    // Bytes 0-15: the scales of sub-blocks 0-15 plus 32.
    const __m256i v =
        _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_set_epi32(int(a3), int(a2), int(a1), int(a0))),
                         _mm256_set1_epi16(32));
    const __m512i v5 = _mm512_castsi256_si512(v);
    for (int c = 0; c < 4; ++c)
      s.sc[c] = _mm512_permutexvar_epi16(_mm512_load_si512(kSubBlockPairs[c]), v5);
    s.sums = v;
    s.d = _cvtsh_ss(b.d);
    s.dmin = -4.0f * s.d;  // the offset term: -4 d sum_k sc_k bsums_k (exact scaling by 2^2)
  }
  HWY_INLINE static __m512i Codes(const uint8_t* p, int c) {
    const BlockQ3_K& b = *reinterpret_cast<const BlockQ3_K*>(p);
    const int h = c / 2, g = c % 2;
    const __m512i q =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * h)));
    const __m512i shift =
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(short(4 * g))),
                           _mm256_set1_epi16(short(4 * g + 2)), 1);
    const __m512i low = _mm512_and_si512(_mm512_srlv_epi16(q, shift), _mm512_set1_epi8(0x03));
    const __m512i hm =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.hmask)));
    // Bit 4h + s of each hmask byte to bit 2 (in 16-bit lanes; bits crossing a byte are masked).
    const __m512i hshift =
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(short(4 * h + 2 * g))),
                           _mm256_set1_epi16(short(4 * h + 2 * g + 1)), 1);
    const __m512i high = _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi16(hm, hshift), 2),
                                          _mm512_set1_epi8(0x04));
    return _mm512_or_si512(low, high);
  }
};

// Q5_K: Q4_K's scales, mins and nibbles, plus a fifth bit: bit 2c + k of qh[l] for element
// 64c + 32k + l.
struct Q5_K {
  static constexpr size_t kBytes = sizeof(BlockQ5_K);
  HWY_INLINE static void Prepare(const uint8_t* p, Scales& s) { Q4_K::Prepare(p, s); }
  HWY_INLINE static __m512i Codes(const uint8_t* p, int c) {
    const BlockQ5_K& b = *reinterpret_cast<const BlockQ5_K*>(p);
    const __m512i q =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c)));
    const __m512i qh =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh)));
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    const __m512i low = _mm512_and_si512(_mm512_srlv_epi16(q, shift), _mm512_set1_epi8(0x0F));
    // Bit 2c (low half) or 2c + 1 (high half) of each qh byte to bit 4; in 16-bit lanes the bits
    // shifted across a byte boundary are masked off.
    const __m512i hshift =
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(short(2 * c))),
                           _mm256_set1_epi16(short(2 * c + 1)), 1);
    const __m512i high = _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi16(qh, hshift), 4),
                                          _mm512_set1_epi8(0x10));
    return _mm512_or_si512(low, high);
  }
};

// Q6_K: element 128h + 32s + l has its low nibble in ql[64h + 32(s % 2) + l] (the high nibble for
// s >= 2) and its top 2 bits at bits 2s of qh[32h + l]; 16-element sub-blocks with int8 scales.
// Chunk c = 2h + g holds s = 2g, 2g + 1.
struct Q6_K {
  static constexpr size_t kBytes = sizeof(BlockQ6_K);
  HWY_INLINE static void Prepare(const uint8_t* p, Scales& s) {
    const BlockQ6_K& b = *reinterpret_cast<const BlockQ6_K*>(p);
    const __m256i v =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    const __m512i v5 = _mm512_castsi256_si512(v);
    for (int c = 0; c < 4; ++c)
      s.sc[c] = _mm512_permutexvar_epi16(_mm512_load_si512(kSubBlockPairs[c]), v5);
    s.sums = v;             // bsums[k] is exactly sub-block k
    s.d = _cvtsh_ss(b.d);   // F16C: exact, as F16ToF32, without its branches
    s.dmin = -32.0f * s.d;  // the offset term: -32 d sum_k sc_k bsums_k (exact scaling by 2^5)
  }
  HWY_INLINE static __m512i Codes(const uint8_t* p, int c) {
    const BlockQ6_K& b = *reinterpret_cast<const BlockQ6_K*>(p);
    const int h = c / 2, g = c % 2;
    const __m512i ql = _mm512_loadu_si512(b.ql + 64 * h);
    const __m512i low = _mm512_and_si512(g ? _mm512_srli_epi16(ql, 4) : ql, _mm512_set1_epi8(0x0F));
    const __m512i qh =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h)));
    // Bits 2s of each byte to bits 4-5: s = 0, 1 shift left by 4, 2; s = 2, 3 right by 0, 2 (in
    // 16-bit lanes; the bits crossing a byte boundary are masked off).
    __m512i high;
    if (g == 0) {
      const __m512i sh = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
      high = _mm512_sllv_epi16(qh, sh);
    } else {
      const __m512i sh = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
      high = _mm512_srlv_epi16(qh, sh);
    }
    return _mm512_or_si512(low, _mm512_and_si512(high, _mm512_set1_epi8(0x30)));
  }
};

// y[t0 .. t0 + kTokens, o0 .. o0 + kRows).
template <class W, size_t kRows, size_t kTokens>
HWY_INLINE void Tile(const MatMulArgs& a, int64_t o0, int64_t t0) {
  const int64_t nb = a.in / kQK_K;
  const uint8_t* w[kRows];
  for (size_t r = 0; r < kRows; ++r)
    w[r] = static_cast<const uint8_t*>(a.w) + size_t(o0 + int64_t(r) - a.w_first_row) * a.w_stride;
  const BlockQ8_K* x[kTokens];
  for (size_t t = 0; t < kTokens; ++t)
    x[t] = reinterpret_cast<const BlockQ8_K*>(static_cast<const char*>(a.xq) +
                                              size_t(t0 + int64_t(t)) * a.xq_stride);
  __m512 acc[kRows][kTokens];
  __m256 acc_min[kRows][kTokens];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t t = 0; t < kTokens; ++t) {
      acc[r][t] = _mm512_setzero_ps();
      acc_min[r][t] = _mm256_setzero_ps();
    }
  for (int64_t i = 0; i < nb; ++i) {
    for (size_t r = 0; r < kRows; ++r) {
      const uint8_t* wb = w[r] + size_t(i) * W::kBytes;
      for (size_t off = 0; off < W::kBytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(wb) + kPrefetchBytes + off, _MM_HINT_T1);
      Scales s;
      W::Prepare(wb, s);
      __m512i isum[kTokens];
      for (size_t t = 0; t < kTokens; ++t) isum[t] = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m512i q = W::Codes(wb, c);
        for (size_t t = 0; t < kTokens; ++t) {
          const __m512i y = _mm512_loadu_si512(x[t][i].qs + 64 * c);
          isum[t] = _mm512_dpwssd_epi32(isum[t], _mm512_maddubs_epi16(q, y), s.sc[c]);
        }
      }
      for (size_t t = 0; t < kTokens; ++t) {
        const float dx = x[t][i].d;
        acc[r][t] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_set1_ps(s.d * dx), acc[r][t]);
        const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[t][i].bsums));
        const __m256i m = _mm256_madd_epi16(s.sums, bsums);
        acc_min[r][t] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), _mm256_set1_ps(s.dmin * dx), acc_min[r][t]);
      }
    }
  }
  for (size_t r = 0; r < kRows; ++r)
    for (size_t t = 0; t < kTokens; ++t) {
      const __m256 m = acc_min[r][t];
      const __m128 m4 = _mm_add_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
      const __m128 m2 = _mm_add_ps(m4, _mm_movehl_ps(m4, m4));
      const float min_total = _mm_cvtss_f32(_mm_add_ss(m2, _mm_movehdup_ps(m2)));
      a.y[size_t(t0 + int64_t(t)) * size_t(a.out) + size_t(o0) + r] =
          _mm512_reduce_add_ps(acc[r][t]) + min_total;
    }
}

template <class W, size_t kRows>
HWY_INLINE void TokenTiles(const MatMulArgs& a, int64_t o, int64_t t0, int64_t t1) {
  int64_t t = t0;
  for (; t + int64_t(kT) <= t1; t += int64_t(kT)) Tile<W, kRows, kT>(a, o, t);
  switch (t1 - t) {
    case 3:
      return Tile<W, kRows, 3>(a, o, t);
    case 2:
      return Tile<W, kRows, 2>(a, o, t);
    case 1:
      return Tile<W, kRows, 1>(a, o, t);
    default:
      return;
  }
}

// Output rows [begin, end) for all tokens, token block by token block.
template <class W>
HWY_NOINLINE void Rows(const MatMulArgs& a, int64_t begin, int64_t end) {
  const int64_t block = std::max<int64_t>(
      int64_t(kT), int64_t(kPanelBytes) / int64_t(a.xq_stride) / int64_t(kT) * int64_t(kT));
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += block) {
    const int64_t t1 = std::min(a.n_tokens, t0 + block);
    int64_t o = begin;
    for (; o + int64_t(kR) <= end; o += int64_t(kR)) TokenTiles<W, kR>(a, o, t0, t1);
    for (; o < end; ++o) TokenTiles<W, 1>(a, o, t0, t1);
  }
}

#pragma GCC pop_options
}  // namespace vnni_k
#endif  // HWY_TARGET == HWY_AVX3_DL
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_VEC_DOT_VNNI_KQUANTS_INL_H_
