// Reference (scalar) codecs of the k-quant blocks Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.
//
// The quantizers are ggml's quantize_row_q*_K_ref, which llama-quantize calls when it has no
// importance matrix: per sub-block a scale (and min) search (core/kquant_search.h), then the
// sub-block scales are quantized against the super-block scale, and finally every code is chosen
// again for the scale that the stored, rounded integers and f16 values actually give.
#include "qforge/core/qblocks_kquants.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "qforge/core/half.h"
#include "qforge/core/kquant_search.h"

namespace qforge {
namespace {

using kquant::NearestInt;

constexpr int kSub16 = int(kQK_K / 16);  // 16-element sub-blocks per super-block
constexpr int kSub32 = int(kQK_K / 32);  // 32-element sub-blocks per super-block

int Clamp(int l, int lo, int hi) { return std::max(lo, std::min(hi, l)); }

// 2-bit codes (0..3) of 256 elements -> the interleaved qs layout of Q2_K and Q3_K.
void Pack2Bit(const uint8_t* L, uint8_t* qs) {
  for (int h = 0; h < int(kQK_K); h += 128)
    for (int l = 0; l < 32; ++l)
      qs[h / 4 + l] =
          uint8_t(L[h + l] | (L[h + l + 32] << 2) | (L[h + l + 64] << 4) | (L[h + l + 96] << 6));
}

// The 2-bit field of element e (0..255) in the interleaved qs layout.
int Get2Bit(const uint8_t* qs, int e) {
  const int h = e / 128, s = (e % 128) / 32, l = e % 32;
  return (qs[32 * h + l] >> (2 * s)) & 3;
}

// The 4-bit field of element e in the Q4_K/Q5_K qs layout.
int Get4Bit(const uint8_t* qs, int e) {
  const int c = e / 64, l = e % 32;
  return (e % 64) < 32 ? qs[32 * c + l] & 0xF : qs[32 * c + l] >> 4;
}

// Bit e/32 of byte e%32: the high bit of element e in Q3_K's hmask and Q5_K's qh.
int HighBit(const uint8_t* bits, int e) { return (bits[e % 32] >> (e / 32)) & 1; }

}  // namespace

// ---------------------------------------------------------------------------------------- Q2_K

void DequantizeRowQ2_K(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ2_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = F16ToF32(x[i].d), dmin = F16ToF32(x[i].dmin);
    for (int e = 0; e < int(kQK_K); ++e) {
      const uint8_t sc = x[i].scales[e / 16];
      const float dl = d * float(sc & 0xF), ml = dmin * float(sc >> 4);
      dst[e] = dl * float(Get2Bit(x[i].qs, e)) - ml;
    }
  }
}

namespace {

// Sub-block scales and mins are quantized to 4 bits against their maxima (which are >= 0 since
// the search subtracts a non-negative min), then codes are chosen again for the stored values.
void QuantizeBlockQ2_K(const float* x, BlockQ2_K& y) {
  uint8_t L[kQK_K], laux[16];
  float weights[16], scales[kSub16], mins[kSub16];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kSub16; ++j) {
    for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
    scales[j] = kquant::MakeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], laux,
                                       -0.5f, 0.1f, 15, true);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  constexpr float kQ4Scale = 15.f;
  std::memset(y.scales, 0, sizeof(y.scales));
  y.d = F32ToF16(0.f);
  y.dmin = F32ToF16(0.f);
  if (max_scale > 0) {
    const float iscale = kQ4Scale / max_scale;
    for (int j = 0; j < kSub16; ++j) y.scales[j] = uint8_t(NearestInt(iscale * scales[j]));
    y.d = F32ToF16(max_scale / kQ4Scale);
  }
  if (max_min > 0) {
    const float iscale = kQ4Scale / max_min;
    for (int j = 0; j < kSub16; ++j) y.scales[j] |= uint8_t(NearestInt(iscale * mins[j]) << 4);
    y.dmin = F32ToF16(max_min / kQ4Scale);
  }
  for (int j = 0; j < kSub16; ++j) {
    const float d = F16ToF32(y.d) * float(y.scales[j] & 0xF);
    if (d == 0.0f) continue;
    const float dm = F16ToF32(y.dmin) * float(y.scales[j] >> 4);
    for (int ii = 0; ii < 16; ++ii)
      L[16 * j + ii] = uint8_t(Clamp(NearestInt((x[16 * j + ii] + dm) / d), 0, 3));
  }
  Pack2Bit(L, y.qs);
}

}  // namespace

void QuantizeRowQ2_K(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) QuantizeBlockQ2_K(src + i * kQK_K, y[i]);
}

// ---------------------------------------------------------------------------------------- Q3_K

void DequantizeRowQ3_K(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ3_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = F16ToF32(x[i].d);
    for (int e = 0; e < int(kQK_K); ++e) {
      const float dl = d * float(Q3KScale(e / 16, x[i].scales));
      // The stored code is q + 4 with q in -4..3; a clear hmask bit means "subtract 4".
      const int q = Get2Bit(x[i].qs, e) - (HighBit(x[i].hmask, e) ? 0 : 4);
      dst[e] = dl * float(q);
    }
  }
}

namespace {

// Packs the 6-bit biased scale l (0..63) of sub-block j into Q3_K's 12 scale bytes.
void PackQ3Scale(int j, int l, uint8_t* scales) {
  if (j < 8) {
    scales[j] = uint8_t(l & 0xF);
  } else {
    scales[j - 8] |= uint8_t((l & 0xF) << 4);
  }
  scales[j % 4 + 8] |= uint8_t((l >> 4) << (2 * (j / 4)));
}

// Signed sub-block scales, quantized to 6 bits against the one of largest magnitude (which maps
// to -32); codes then re-chosen for the stored scales and split into hmask and 2-bit qs.
void QuantizeBlockQ3_K(const float* x, BlockQ3_K& y) {
  int8_t L[kQK_K];
  float scales[kSub16];
  float max_scale = 0, amax = 0;
  for (int j = 0; j < kSub16; ++j) {
    scales[j] = kquant::MakeQ3Quants(16, 4, x + 16 * j, L + 16 * j);
    if (std::fabs(scales[j]) > amax) {
      amax = std::fabs(scales[j]);
      max_scale = scales[j];
    }
  }
  std::memset(y.scales, 0, sizeof(y.scales));
  y.d = F32ToF16(0.f);
  if (max_scale != 0.0f) {
    const float iscale = -32.f / max_scale;
    for (int j = 0; j < kSub16; ++j) {
      // ggml narrows to int8 before clamping; |iscale * scale| <= 32 so nothing wraps.
      const int8_t l = int8_t(NearestInt(iscale * scales[j]));
      PackQ3Scale(j, Clamp(l, -32, 31) + 32, y.scales);
    }
    y.d = F32ToF16(1 / iscale);
  }
  for (int j = 0; j < kSub16; ++j) {
    const float d = F16ToF32(y.d) * float(Q3KScale(j, y.scales));
    if (d == 0.0f) continue;
    for (int ii = 0; ii < 16; ++ii)
      L[16 * j + ii] = int8_t(Clamp(NearestInt(x[16 * j + ii] / d), -4, 3) + 4);
  }
  uint8_t low[kQK_K];
  std::memset(y.hmask, 0, sizeof(y.hmask));
  for (int e = 0; e < int(kQK_K); ++e) {
    if (L[e] > 3) y.hmask[e % 32] |= uint8_t(1 << (e / 32));
    low[e] = uint8_t(L[e] > 3 ? L[e] - 4 : L[e]);
  }
  Pack2Bit(low, y.qs);
}

}  // namespace

void QuantizeRowQ3_K(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) QuantizeBlockQ3_K(src + i * kQK_K, y[i]);
}

// ------------------------------------------------------------------------------- Q4_K and Q5_K

namespace {

// Shared by Q4_K and Q5_K: code e (0..15 or 0..31) of element e is given by `code`.
template <class Block, class Code>
void DequantizeScaleMinBlock(const Block& b, float* dst, Code code) {
  const float d = F16ToF32(b.d), dmin = F16ToF32(b.dmin);
  for (int j = 0; j < kSub32; ++j) {
    uint8_t sc, m;
    KScaleMin(j, b.scales, sc, m);
    const float dl = d * float(sc), ml = dmin * float(m);
    for (int l = 0; l < 32; ++l) dst[32 * j + l] = dl * float(code(32 * j + l)) - ml;
  }
}

// The sub-block search of Q4_K/Q5_K: weights av_x + |x| (av_x = RMS of the sub-block), then the
// 8 scales and 8 mins quantized to 6 bits against their maxima, packed as KScaleMin reads them,
// and the codes L (0..nmax) chosen again for the stored values.
template <class Block>
void QuantizeScaleMinBlock(const float* x, Block& y, int nmax, float rmin, int nstep, uint8_t* L) {
  uint8_t laux[32];
  float weights[32], scales[kSub32], mins[kSub32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kSub32; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = kquant::MakeQkx2Quants(32, nmax, xs, weights, L + 32 * j, &mins[j], laux, rmin,
                                       0.1f, nstep, false);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < kSub32; ++j) {
    // ggml narrows to uint8 before taking the min with 63.
    const uint8_t ls = std::min<uint8_t>(63, uint8_t(NearestInt(inv_scale * scales[j])));
    const uint8_t lm = std::min<uint8_t>(63, uint8_t(NearestInt(inv_min * mins[j])));
    if (j < 4) {
      y.scales[j] = ls;
      y.scales[j + 4] = lm;
    } else {
      y.scales[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
      y.scales[j - 4] |= uint8_t((ls >> 4) << 6);
      y.scales[j] |= uint8_t((lm >> 4) << 6);
    }
  }
  y.d = F32ToF16(max_scale / 63.f);
  y.dmin = F32ToF16(max_min / 63.f);
  for (int j = 0; j < kSub32; ++j) {
    uint8_t sc, m;
    KScaleMin(j, y.scales, sc, m);
    const float d = F16ToF32(y.d) * float(sc);
    if (d == 0.0f) continue;
    const float dm = F16ToF32(y.dmin) * float(m);
    for (int ii = 0; ii < 32; ++ii)
      L[32 * j + ii] = uint8_t(Clamp(NearestInt((x[32 * j + ii] + dm) / d), 0, nmax));
  }
}

}  // namespace

void DequantizeRowQ4_K(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K)
    DequantizeScaleMinBlock(x[i], dst, [&](int e) { return Get4Bit(x[i].qs, e); });
}

void QuantizeRowQ4_K(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ4_K*>(dst);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    QuantizeScaleMinBlock(src + i * kQK_K, y[i], 15, -1.f, 20, L);
    for (int c = 0; c < int(kQK_K / 64); ++c)
      for (int l = 0; l < 32; ++l)
        y[i].qs[32 * c + l] = uint8_t(L[64 * c + l] | (L[64 * c + l + 32] << 4));
  }
}

void DequantizeRowQ5_K(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ5_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K)
    DequantizeScaleMinBlock(x[i], dst,
                            [&](int e) { return Get4Bit(x[i].qs, e) + 16 * HighBit(x[i].qh, e); });
}

void QuantizeRowQ5_K(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ5_K*>(dst);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    QuantizeScaleMinBlock(src + i * kQK_K, y[i], 31, -0.5f, 15, L);
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    for (int e = 0; e < int(kQK_K); ++e)
      if (L[e] > 15) y[i].qh[e % 32] |= uint8_t(1 << (e / 32));
    for (int c = 0; c < int(kQK_K / 64); ++c)
      for (int l = 0; l < 32; ++l)
        y[i].qs[32 * c + l] = uint8_t((L[64 * c + l] & 0xF) | ((L[64 * c + l + 32] & 0xF) << 4));
  }
}

// ---------------------------------------------------------------------------------------- Q6_K

void DequantizeRowQ6_K(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ6_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = F16ToF32(x[i].d);
    for (int e = 0; e < int(kQK_K); ++e) {
      const int h = e / 128, s = (e % 128) / 32, l = e % 32;
      const uint8_t low_byte = x[i].ql[64 * h + 32 * (s % 2) + l];
      const int low = s < 2 ? low_byte & 0xF : low_byte >> 4;
      const int high = (x[i].qh[32 * h + l] >> (2 * s)) & 3;
      dst[e] = d * float(x[i].scales[e / 16]) * float((low | high << 4) - 32);
    }
  }
}

namespace {

// Symmetric 6-bit codes per 16-element sub-block; the signed sub-block scale of largest magnitude
// maps to -128 in the int8 scales (clamped to 127 on the positive side).
void QuantizeBlockQ6_K(const float* x, BlockQ6_K& y) {
  int8_t L[kQK_K];
  float scales[kSub16];
  float max_scale = 0, max_abs_scale = 0;
  for (int j = 0; j < kSub16; ++j) {
    scales[j] = kquant::MakeQxQuants(16, 32, x + 16 * j, L + 16 * j);
    if (std::fabs(scales[j]) > max_abs_scale) {
      max_abs_scale = std::fabs(scales[j]);
      max_scale = scales[j];
    }
  }
  if (max_abs_scale < kquant::kGroupMaxEps) {
    std::memset(&y, 0, sizeof(y));
    return;
  }
  const float iscale = -128.f / max_scale;
  y.d = F32ToF16(1 / iscale);
  for (int j = 0; j < kSub16; ++j)
    y.scales[j] = int8_t(std::min(127, NearestInt(iscale * scales[j])));
  for (int j = 0; j < kSub16; ++j) {
    const float d = F16ToF32(y.d) * float(y.scales[j]);
    if (d == 0.0f) continue;
    for (int ii = 0; ii < 16; ++ii)
      L[16 * j + ii] = int8_t(Clamp(NearestInt(x[16 * j + ii] / d), -32, 31) + 32);
  }
  for (int h = 0; h < 2; ++h) {
    const int8_t* Lh = L + 128 * h;
    for (int l = 0; l < 32; ++l) {
      y.ql[64 * h + l] = uint8_t((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
      y.ql[64 * h + 32 + l] = uint8_t((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
      y.qh[32 * h + l] = uint8_t((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) |
                                 ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
    }
  }
}

}  // namespace

void QuantizeRowQ6_K(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) QuantizeBlockQ6_K(src + i * kQK_K, y[i]);
}

}  // namespace qforge
