// Q4_0, Q5_0, IQ4_NL and Q8_0 MatMul rows with AVX-512 VNNI (vpdpbusd), for the AVX3_DL target
// only; the other targets keep vec_dot-inl.h. Used for decode and prefill alike: a tile of kR
// weight rows x kT tokens decodes each weight vector once for kT tokens and loads each activation
// vector once for kR rows, so prefill is an integer GEMM on the quantized blocks (as llama.cpp's
// sgemm) instead of dequantizing the weights to f32.
//
// One 512-bit vector holds a pair of 32-element blocks, in element order: block b in i32 lanes
// 0-7, block b + 1 in lanes 8-15 (an odd last block pairs with a zero block). vpdpbusd multiplies
// unsigned by signed bytes, four products per i32 lane:
//  - Q4_0: the unsigned operand is the nibble q in [0, 15], the signed one the activation code y;
//    sum (q - 8) y = sum q y - 8 sum y;
//  - Q5_0: the same with the fifth bit, q in [0, 31]: sum (q - 16) y = sum q y - 16 sum y;
//  - IQ4_NL: the nibble picks a table value w, stored as u = w + 128, as for Q8_0;
//  - Q8_0: the unsigned operand is u = w + 128 (an xor of the sign bit); sum w y = sum u y -
//    128 sum y.
// The correction -bias * (the lane's four y) is per token and block, so it is computed once per
// call in the activation panel and is the accumulator vpdpbusd starts from. Every lane is then the
// exact integer sum of four products of its block (|lane| <= 4 * 255 * 127), as in vec_dot-inl.h,
// converted to f32 exactly, multiplied by d_w d_x (one rounding) and added with FMA; the 16 lanes
// are summed at the end. Each output is one fixed sequence of operations whatever tile, token
// block or thread computes it, so y is bit-identical at any thread count.
//
// Highway 1.0.3 has no op for vpdpbusd, hence raw intrinsics; the AVX3_DL target's flags lack
// avx512vnni, which the pragma adds for these functions (Highway selects AVX3_DL only on CPUs with
// VNNI; vpermb is AVX512_VBMI, also part of AVX3_DL).

#if defined(QFORGE_KERNELS_VEC_DOT_VNNI_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_VEC_DOT_VNNI_INL_H_
#undef QFORGE_KERNELS_VEC_DOT_VNNI_INL_H_
#else
#define QFORGE_KERNELS_VEC_DOT_VNNI_INL_H_
#endif

#include "hwy/highway.h"
#include "qforge/kernels/matmul.h"

#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "qforge/core/half.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_GCC
namespace vnni {
#pragma GCC push_options
#pragma GCC target("avx512vnni,avx512vbmi")

// Tiles: kR x kT f32 accumulators, kT activation vectors, kR weight vectors and scales fit the 32
// registers of AVX-512.
constexpr size_t kR = 4, kT = 4;
// Token blocks keep their panel (below) in the per-core L2 cache while every weight row of the
// thread's range passes over it.
constexpr size_t kPanelBytes = 256 << 10;
// Decode streams every weight row once from memory, four rows at a time, and the hardware
// prefetchers alone leave a core waiting on DRAM latency (half the bandwidth it can draw). Each
// step prefetches the same row this far ahead into L2: measured on llama-1b shapes (2 threads,
// Q4_0/Q4_K/Q8_0 decode), 1 KiB ahead into L1 gains ~1.6x over none, 8-32 KiB into L2 another
// ~1.5x; 16 KiB sits in the middle of that plateau.
constexpr size_t kPrefetchBytes = 16 << 10;

// Activations of one token for a pair of blocks: codes, the starting accumulator (correction) and
// d_x per lane. 192 bytes for 64 elements.
struct alignas(64) PairX {
  int8_t codes[64];
  int32_t corr[16];
  float scale[16];
};

// The panel: every token's Q8_0 row regrouped by pairs of blocks. Per thread and reused, so a
// MatMul call allocates nothing once the largest shape has been seen.
struct Panel {
  int64_t pairs = 0;
  std::vector<PairX> data;
  const PairX* Token(int64_t t) const { return data.data() + t * pairs; }
};

HWY_INLINE void BuildPanel(const MatMulArgs& a, uint8_t bias, Panel& p) {
  const int64_t nb = a.in / 32;
  p.pairs = (nb + 1) / 2;
  p.data.resize(size_t(a.n_tokens * p.pairs));
  const __m512i bias_bytes = _mm512_set1_epi8(char(bias));
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const BlockQ8_0* x = reinterpret_cast<const BlockQ8_0*>(static_cast<const char*>(a.xq) +
                                                            size_t(t) * a.xq_stride);
    PairX* out = p.data.data() + t * p.pairs;
    for (int64_t i = 0; i < p.pairs; ++i) {
      PairX& px = out[i];
      const BlockQ8_0& b0 = x[2 * i];
      const bool two = 2 * i + 1 < nb;
      std::memcpy(px.codes, b0.qs, 32);
      if (two) {
        std::memcpy(px.codes + 32, x[2 * i + 1].qs, 32);
      } else {
        std::memset(px.codes + 32, 0, 32);
      }
      const __m512i codes = _mm512_load_si512(px.codes);
      const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias_bytes, codes);
      _mm512_store_si512(px.corr, _mm512_sub_epi32(_mm512_setzero_si512(), sums));
      const float d1 = two ? F16ToF32(x[2 * i + 1].d) : 0.0f;
      _mm512_store_ps(px.scale,
                      _mm512_insertf32x8(_mm512_set1_ps(F16ToF32(b0.d)), _mm256_set1_ps(d1), 1));
    }
  }
}

// ---- Weight decoders: a pair of blocks at `p` (`two` false: one block, the rest of the pair
// reads as zero) to the unsigned codes and the f32 d_w per lane.

struct Q4_0Pair {
  static constexpr uint8_t kBias = 8;
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  HWY_INLINE static void Load(const uint8_t* p, bool two, __m512i& codes, __m512& dw) {
    // Bytes: d_b at 0, qs_b at 2..17, d_b1 at 18, qs_b1 at 20..35. 128-bit lanes of the codes:
    // qs_b (low nibbles: elements 0-15), qs_b (high: 16-31), then the same for b + 1.
    const __m512i raw = _mm512_maskz_loadu_epi8(two ? (1ull << 36) - 1 : (1ull << 18) - 1, p);
    alignas(64) static constexpr uint8_t kIdx[64] = {
        2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,  //
        2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,  //
        20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,  //
        20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
    alignas(64) static constexpr uint16_t kShift[32] = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4,
                                                        4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 4, 4, 4, 4, 4, 4, 4, 4};
    alignas(64) static constexpr uint16_t kD[32] = {0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9,
                                                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const __m512i q = _mm512_permutexvar_epi8(_mm512_load_si512(kIdx), raw);
    codes =
        _mm512_and_si512(_mm512_srlv_epi16(q, _mm512_load_si512(kShift)), _mm512_set1_epi8(0x0F));
    const __m512i d = _mm512_permutexvar_epi16(_mm512_load_si512(kD), raw);
    dw = _mm512_cvtph_ps(_mm512_castsi512_si256(d));
  }
};

// Q5_0: Q4_0's nibbles plus a fifth bit per element (bit j of the block's 32-bit qh for element
// j), so the unsigned code is in [0, 31] and the offset 16.
struct Q5_0Pair {
  static constexpr uint8_t kBias = 16;
  static constexpr size_t kBytes = sizeof(BlockQ5_0);
  HWY_INLINE static void Load(const uint8_t* p, bool two, __m512i& codes, __m512& dw) {
    // Bytes: d_b at 0, qh_b at 2..5, qs_b at 6..21, d_b1 at 22, qh_b1 at 24..27, qs_b1 at 28..43.
    const __m512i raw = _mm512_maskz_loadu_epi8(two ? (1ull << 44) - 1 : (1ull << 22) - 1, p);
    alignas(64) static constexpr uint8_t kIdx[64] = {
        6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,  //
        6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,  //
        28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,  //
        28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43};
    alignas(64) static constexpr uint16_t kShift[32] = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4,
                                                        4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 4, 4, 4, 4, 4, 4, 4, 4};
    alignas(64) static constexpr uint16_t kD[32] = {0,  0,  0,  0,  0,  0, 0, 0, 11, 11, 11,
                                                    11, 11, 11, 11, 11, 0, 0, 0, 0,  0,  0,
                                                    0,  0,  0,  0,  0,  0, 0, 0, 0,  0};
    const __m512i q = _mm512_permutexvar_epi8(_mm512_load_si512(kIdx), raw);
    const __m512i low =
        _mm512_and_si512(_mm512_srlv_epi16(q, _mm512_load_si512(kShift)), _mm512_set1_epi8(0x0F));
    // Byte j of the codes is element j % 32 of block j / 32: its fifth bit is bit j of qh_b | qh_b1
    // << 32, which a byte mask spreads to 0x10 per set bit.
    uint32_t qh0, qh1 = 0;
    std::memcpy(&qh0, p + 2, 4);
    if (two) std::memcpy(&qh1, p + 24, 4);
    const __m512i high =
        _mm512_maskz_mov_epi8(__mmask64(qh0) | (__mmask64(qh1) << 32), _mm512_set1_epi8(0x10));
    codes = _mm512_or_si512(low, high);
    const __m512i d = _mm512_permutexvar_epi16(_mm512_load_si512(kD), raw);
    dw = _mm512_cvtph_ps(_mm512_castsi512_si256(d));
  }
};

// IQ4_NL: Q4_0's bytes, each nibble an index into a non-linear table of signed values, looked up
// with vpermb as value + 128 (unsigned, in [1, 241]), so the offset is 128 as for Q8_0.
struct IQ4_NLPair {
  static constexpr uint8_t kBias = 128;
  static constexpr size_t kBytes = sizeof(BlockIQ4_NL);
  HWY_INLINE static void Load(const uint8_t* p, bool two, __m512i& codes, __m512& dw) {
    static_assert(sizeof(BlockIQ4_NL) == sizeof(BlockQ4_0));
    __m512i index;
    Q4_0Pair::Load(p, two, index, dw);
    alignas(64) static constexpr auto kTable = [] {
      std::array<uint8_t, 64> t{};
      for (size_t i = 0; i < 16; ++i) t[i] = uint8_t(kIQ4NLValues[i] + 128);
      return t;
    }();
    codes = _mm512_permutexvar_epi8(index, _mm512_load_si512(kTable.data()));
  }
};

struct Q8_0Pair {
  static constexpr uint8_t kBias = 128;
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  HWY_INLINE static void Load(const uint8_t* p, bool two, __m512i& codes, __m512& dw) {
    // Bytes: d_b at 0, qs_b at 2..33, d_b1 at 34, qs_b1 at 36..67 (64..67 from the second load).
    const __m512i lo = _mm512_maskz_loadu_epi8(two ? ~0ull : (1ull << 34) - 1, p);
    const __m512i hi = _mm512_maskz_loadu_epi8(two ? 0xFull : 0, p + 64);
    alignas(64) static constexpr uint8_t kIdx[64] = {
        2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
        24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
        48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67};
    alignas(64) static constexpr uint16_t kD[32] = {0,  0,  0,  0,  0,  0, 0, 0, 17, 17, 17,
                                                    17, 17, 17, 17, 17, 0, 0, 0, 0,  0,  0,
                                                    0,  0,  0,  0,  0,  0, 0, 0, 0,  0};
    const __m512i w = _mm512_permutex2var_epi8(lo, _mm512_load_si512(kIdx), hi);
    codes = _mm512_xor_si512(w, _mm512_set1_epi8(char(0x80)));
    const __m512i d = _mm512_permutexvar_epi16(_mm512_load_si512(kD), lo);
    dw = _mm512_cvtph_ps(_mm512_castsi512_si256(d));
  }
};

// acc[r][t] += the pair of blocks i of row w[r] times token x[t].
template <class W, size_t kRows, size_t kTokens>
HWY_INLINE void Step(const uint8_t* const (&w)[kRows], const PairX* const (&x)[kTokens], int64_t i,
                     bool two, __m512 (&acc)[kRows][kTokens]) {
  __m512i xv[kTokens];
  for (size_t t = 0; t < kTokens; ++t) xv[t] = _mm512_load_si512(x[t][i].codes);
  for (size_t r = 0; r < kRows; ++r) {
    __m512i wv;
    __m512 dw;
    const uint8_t* wp = w[r] + size_t(i) * 2 * W::kBytes;
    _mm_prefetch(reinterpret_cast<const char*>(wp) + kPrefetchBytes, _MM_HINT_T1);
    W::Load(wp, two, wv, dw);
    for (size_t t = 0; t < kTokens; ++t) {
      const __m512i s = _mm512_dpbusd_epi32(_mm512_load_si512(x[t][i].corr), wv, xv[t]);
      const __m512 scale = _mm512_mul_ps(dw, _mm512_load_ps(x[t][i].scale));
      acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc[r][t]);
    }
  }
}

// y[t0 .. t0 + kTokens, o0 .. o0 + kRows).
template <class W, size_t kRows, size_t kTokens>
HWY_INLINE void Tile(const MatMulArgs& a, const Panel& panel, int64_t o0, int64_t t0) {
  const int64_t nb = a.in / 32, full = nb / 2;
  const uint8_t* w[kRows];
  for (size_t r = 0; r < kRows; ++r)
    w[r] = static_cast<const uint8_t*>(a.w) + size_t(o0 + int64_t(r) - a.w_first_row) * a.w_stride;
  const PairX* x[kTokens];
  for (size_t t = 0; t < kTokens; ++t) x[t] = panel.Token(t0 + int64_t(t));
  __m512 acc[kRows][kTokens];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t t = 0; t < kTokens; ++t) acc[r][t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < full; ++i) Step<W>(w, x, i, true, acc);
  if (nb % 2) Step<W>(w, x, full, false, acc);
  for (size_t r = 0; r < kRows; ++r)
    for (size_t t = 0; t < kTokens; ++t)
      a.y[size_t(t0 + int64_t(t)) * size_t(a.out) + size_t(o0) + r] =
          _mm512_reduce_add_ps(acc[r][t]);
}

template <class W, size_t kRows>
HWY_INLINE void TokenTiles(const MatMulArgs& a, const Panel& p, int64_t o, int64_t t0, int64_t t1) {
  int64_t t = t0;
  for (; t + int64_t(kT) <= t1; t += int64_t(kT)) Tile<W, kRows, kT>(a, p, o, t);
  switch (t1 - t) {
    case 3:
      return Tile<W, kRows, 3>(a, p, o, t);
    case 2:
      return Tile<W, kRows, 2>(a, p, o, t);
    case 1:
      return Tile<W, kRows, 1>(a, p, o, t);
    default:
      return;
  }
}

// Output rows [begin, end) for all tokens, token block by token block.
template <class W>
HWY_NOINLINE void Rows(const MatMulArgs& a, int64_t begin, int64_t end) {
  thread_local Panel panel;
  BuildPanel(a, W::kBias, panel);
  const int64_t pair_bytes = panel.pairs * int64_t(sizeof(PairX));
  const int64_t block =
      std::max<int64_t>(int64_t(kT), int64_t(kPanelBytes) / pair_bytes / int64_t(kT) * int64_t(kT));
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += block) {
    const int64_t t1 = std::min(a.n_tokens, t0 + block);
    int64_t o = begin;
    for (; o + int64_t(kR) <= end; o += int64_t(kR)) TokenTiles<W, kR>(a, panel, o, t0, t1);
    for (; o < end; ++o) TokenTiles<W, 1>(a, panel, o, t0, t1);
  }
}

#pragma GCC pop_options
}  // namespace vnni
#endif  // HWY_TARGET == HWY_AVX3_DL
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_VEC_DOT_VNNI_INL_H_
