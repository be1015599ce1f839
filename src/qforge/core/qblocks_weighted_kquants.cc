// Importance-weighted quantizers of Q2_K, Q3_K, Q4_K, Q5_K and Q6_K: ggml's
// quantize_row_q*_K_impl with non-null quant_weights (see qblocks_weighted.h). The block layouts
// and the final packing are those of core/qblocks_kquants.h; what differs from the reference
// quantizers is how each sub-block's scale (and min) and the super-block scales are searched.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "qforge/core/half.h"
#include "qforge/core/kquant_search.h"
#include "qforge/core/kquant_search_weighted.h"
#include "qforge/core/qblocks_kquants.h"
#include "qforge/core/qblocks_weighted.h"

namespace qforge::weighted {
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

// sum(x^2) over a super-block, in element order as ggml sums it.
float SumSquares(const float* x) {
  float s = 0;
  for (int j = 0; j < int(kQK_K); ++j) s += x[j] * x[j];
  return s;
}

// The imatrix weights of `count` elements: imp_j * sqrt(sigma2 + x_j^2); returns their sum (the
// weight of the sub-block's scale in the super-block scale search).
float ImportanceWeights(const float* x, const float* imp, float sigma2, int count, float* w) {
  float sum = 0;
  for (int l = 0; l < count; ++l) w[l] = imp[l] * std::sqrt(sigma2 + x[l] * x[l]);
  for (int l = 0; l < count; ++l) sum += w[l];
  return sum;
}

// Q2_K: sigma2 = mean(x^2); scales and mins each quantized to 4 bits by make_qp_quants.
void QuantizeBlockQ2_K(const float* x, const float* imp, BlockQ2_K& y) {
  uint8_t L[kQK_K], laux[16], Ls[kSub16], Lm[kSub16];
  float weight[16], sw[kSub16], scales[kSub16], mins[kSub16];
  const float sigma2 = SumSquares(x) / float(kQK_K);
  for (int j = 0; j < kSub16; ++j) {
    sw[j] = ImportanceWeights(x + 16 * j, imp + 16 * j, sigma2, 16, weight);
    scales[j] = kquant::MakeQkx3Quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], laux, -0.9f,
                                       0.05f, 36, false);
  }
  y.d = F32ToF16(kquant::MakeQpQuants(kSub16, 15, scales, Ls, sw));
  y.dmin = F32ToF16(kquant::MakeQpQuants(kSub16, 15, mins, Lm, sw));
  const float dm = F16ToF32(y.d), mm = F16ToF32(y.dmin);
  for (int j = 0; j < kSub16; ++j) y.scales[j] = uint8_t(Ls[j] | (Lm[j] << 4));
  for (int j = 0; j < kSub16; ++j) {
    const float d = dm * float(y.scales[j] & 0xF);
    if (d == 0.0f) continue;
    const float m = mm * float(y.scales[j] >> 4);
    for (int ii = 0; ii < 16; ++ii)
      L[16 * j + ii] = uint8_t(Clamp(NearestInt((x[16 * j + ii] + m) / d), 0, 3));
  }
  Pack2Bit(L, y.qs);
}

// Packs the 6-bit biased scale l (0..63) of sub-block j into Q3_K's 12 scale bytes.
void PackQ3Scale(int j, int l, uint8_t* scales) {
  if (j < 8) {
    scales[j] = uint8_t(l & 0xF);
  } else {
    scales[j - 8] |= uint8_t((l & 0xF) << 4);
  }
  scales[j % 4 + 8] |= uint8_t((l >> 4) << (2 * (j / 4)));
}

// Q3_K: sigma2 = 2 mean(x^2); symmetric sub-block fits, then the 16 signed scales themselves
// quantized to 6 bits by a weighted make_qx_quants (nmax 32).
void QuantizeBlockQ3_K(const float* x, const float* imp, BlockQ3_K& y) {
  int8_t L[kQK_K], Ls[kSub16];
  float weight[16], sw[kSub16], scales[kSub16];
  const float sigma2 = 2 * SumSquares(x) / float(kQK_K);
  for (int j = 0; j < kSub16; ++j) {
    sw[j] = ImportanceWeights(x + 16 * j, imp + 16 * j, sigma2, 16, weight);
    scales[j] = kquant::MakeQxQuantsWeighted(16, 4, x + 16 * j, L + 16 * j, weight);
  }
  std::memset(y.scales, 0, sizeof(y.scales));
  const float d_block = kquant::MakeQxQuantsWeighted(kSub16, 32, scales, Ls, sw);
  for (int j = 0; j < kSub16; ++j) PackQ3Scale(j, Ls[j], y.scales);
  y.d = F32ToF16(d_block);
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

// Q4_K / Q5_K: sigma2 = 2 mean(x^2); asymmetric sub-block fits (make_qkx3_quants), then the 8
// scales and 8 mins quantized to 6 bits by make_qp_quants; codes L (0..nmax) chosen again for the
// stored values. ggml clamps the 6-bit codes to 63 for Q5_K only (make_qp_quants caps them at 63
// anyway, unless a negative code wrapped around in its uint8 storage).
template <class Block>
void QuantizeScaleMinBlock(const float* x, const float* imp, Block& y, int nmax, bool clamp63,
                           uint8_t* L) {
  uint8_t laux[32], Ls[kSub32], Lm[kSub32];
  float weights[32], sw[kSub32], scales[kSub32], mins[kSub32];
  const float sigma2 = 2 * SumSquares(x) / float(kQK_K);
  for (int j = 0; j < kSub32; ++j) {
    sw[j] = ImportanceWeights(x + 32 * j, imp + 32 * j, sigma2, 32, weights);
    scales[j] = kquant::MakeQkx3Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], laux,
                                       -0.9f, 0.05f, 36, false);
  }
  const float d_block = kquant::MakeQpQuants(kSub32, 63, scales, Ls, sw);
  const float m_block = kquant::MakeQpQuants(kSub32, 63, mins, Lm, sw);
  for (int j = 0; j < kSub32; ++j) {
    const uint8_t ls = clamp63 ? std::min<uint8_t>(63, Ls[j]) : Ls[j];
    const uint8_t lm = clamp63 ? std::min<uint8_t>(63, Lm[j]) : Lm[j];
    if (j < 4) {
      y.scales[j] = ls;
      y.scales[j + 4] = lm;
    } else {
      y.scales[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
      y.scales[j - 4] |= uint8_t((ls >> 4) << 6);
      y.scales[j] |= uint8_t((lm >> 4) << 6);
    }
  }
  y.d = F32ToF16(d_block);
  y.dmin = F32ToF16(m_block);
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

// Q6_K: the imatrix values themselves weight the symmetric sub-block fits (no sigma2 term); the
// rest is the reference quantizer's scale quantization.
void QuantizeBlockQ6_K(const float* x, const float* imp, BlockQ6_K& y) {
  int8_t L[kQK_K];
  float scales[kSub16];
  float max_scale = 0, max_abs_scale = 0;
  for (int j = 0; j < kSub16; ++j) {
    scales[j] = kquant::MakeQxQuantsWeighted(16, 32, x + 16 * j, L + 16 * j, imp + 16 * j);
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

void QuantizeRowQ2_K(const float* x, void* dst, int64_t n, const float* imp) {
  auto* y = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) QuantizeBlockQ2_K(x + i * kQK_K, imp + i * kQK_K, y[i]);
}

void QuantizeRowQ3_K(const float* x, void* dst, int64_t n, const float* imp) {
  auto* y = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) QuantizeBlockQ3_K(x + i * kQK_K, imp + i * kQK_K, y[i]);
}

void QuantizeRowQ4_K(const float* x, void* dst, int64_t n, const float* imp) {
  auto* y = static_cast<BlockQ4_K*>(dst);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    QuantizeScaleMinBlock(x + i * kQK_K, imp + i * kQK_K, y[i], 15, false, L);
    for (int c = 0; c < int(kQK_K / 64); ++c)
      for (int l = 0; l < 32; ++l)
        y[i].qs[32 * c + l] = uint8_t(L[64 * c + l] | (L[64 * c + l + 32] << 4));
  }
}

void QuantizeRowQ5_K(const float* x, void* dst, int64_t n, const float* imp) {
  auto* y = static_cast<BlockQ5_K*>(dst);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    QuantizeScaleMinBlock(x + i * kQK_K, imp + i * kQK_K, y[i], 31, true, L);
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    for (int e = 0; e < int(kQK_K); ++e)
      if (L[e] > 15) y[i].qh[e % 32] |= uint8_t(1 << (e / 32));
    for (int c = 0; c < int(kQK_K / 64); ++c)
      for (int l = 0; l < 32; ++l)
        y[i].qs[32 * c + l] = uint8_t((L[64 * c + l] & 0xF) | ((L[64 * c + l + 32] & 0xF) << 4));
  }
}

void QuantizeRowQ6_K(const float* x, void* dst, int64_t n, const float* imp) {
  auto* y = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) QuantizeBlockQ6_K(x + i * kQK_K, imp + i * kQK_K, y[i]);
}

}  // namespace qforge::weighted
