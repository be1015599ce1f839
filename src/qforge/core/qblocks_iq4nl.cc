// Reference codecs of IQ4_NL (non-linear 4-bit weights) and of the activation blocks Q8_1 and Q8_K.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "qforge/core/half.h"
#include "qforge/core/kquant_search.h"
#include "qforge/core/qblocks_kquants.h"

namespace qforge {
namespace {

using kquant::NearestInt;

// Index of the code book entry nearest to x (ggml's best_index_int8): binary search over the sorted
// table; on an exact midpoint the upper entry wins.
int NearestIQ4NL(float x) {
  const int8_t* val = kIQ4NLValues;
  if (x <= val[0]) return 0;
  if (x >= val[15]) return 15;
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (x < val[mid]) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return x - val[hi - 1] < val[hi] - x ? hi - 1 : hi;
}

// Weighted least-squares fit of one block's scale for the codes chosen at inverse scale `id`
// (weights w = x^2, as ggml without an importance matrix).
struct Fit {
  float sumqx = 0, sumq2 = 0;
};
Fit FitCodes(const float* x, float id) {
  Fit f;
  for (int j = 0; j < kQK4_NL; ++j) {
    const float q = kIQ4NLValues[NearestIQ4NL(id * x[j])];
    const float w = x[j] * x[j];
    f.sumqx += w * q * x[j];
    f.sumq2 += w * q * q;
  }
  return f;
}

// One block as ggml's quantize_row_iq4_nl_impl with block = super-block = 32, no importance
// weights and ntry = 7, which is how quantize_iq4_nl (llama-quantize's path) calls it: start from
// d = max / values[0] (the signed abs-max maps to -127), then try the 15 inverse scales
// (itry - 127) / max and keep the one with the best weighted least-squares fit.
void QuantizeBlockIQ4_NL(const float* x, BlockIQ4_NL& y) {
  constexpr int kTries = 7;
  std::memset(y.qs, 0, sizeof(y.qs));
  float amax = 0, max = 0;
  for (int j = 0; j < kQK4_NL; ++j) {
    const float ax = std::fabs(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
  float d = 0;
  if (amax >= kquant::kGroupMaxEps) {
    d = -max / kIQ4NLValues[0];
    Fit fit = FitCodes(x, 1 / d);
    d = fit.sumq2 > 0 ? fit.sumqx / fit.sumq2 : 0.f;
    float best = d * fit.sumqx;
    for (int itry = -kTries; itry <= kTries; ++itry) {
      const float id = float(itry + kIQ4NLValues[0]) / max;
      fit = FitCodes(x, id);
      if (fit.sumq2 > 0 && fit.sumqx * fit.sumqx > best * fit.sumq2) {
        d = fit.sumqx / fit.sumq2;
        best = d * fit.sumqx;
      }
    }
  }
  y.d = F32ToF16(d);
  // The codes are re-chosen for the final (f32, not f16-rounded) scale.
  const float id = d != 0.0f ? 1 / d : 0.0f;
  for (int j = 0; j < kQK4_NL / 2; ++j) {
    const int lo = NearestIQ4NL(id * x[j]), hi = NearestIQ4NL(id * x[j + kQK4_NL / 2]);
    y.qs[j] = uint8_t(lo | hi << 4);
  }
}

}  // namespace

void DequantizeRowIQ4_NL(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t i = 0; i < n / kQK4_NL; ++i, dst += kQK4_NL) {
    const float d = F16ToF32(x[i].d);
    for (int j = 0; j < kQK4_NL / 2; ++j) {
      dst[j] = d * float(kIQ4NLValues[x[i].qs[j] & 0xF]);
      dst[j + kQK4_NL / 2] = d * float(kIQ4NLValues[x[i].qs[j] >> 4]);
    }
  }
}

void QuantizeRowIQ4_NL(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK4_NL; ++i) QuantizeBlockIQ4_NL(src + i * kQK4_NL, y[i]);
}

void DequantizeRowQ8_1(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ8_1*>(src);
  for (int64_t i = 0; i < n / kQK8_1; ++i, dst += kQK8_1) {
    const float d = F16ToF32(x[i].d);
    for (int j = 0; j < kQK8_1; ++j) dst[j] = d * float(x[i].qs[j]);
  }
}

// As ggml's quantize_row_q8_1_ref: symmetric, d = amax / 127, q = round(x / d) (half away from
// zero), s = f16(sum(q) * d) with d the f32 scale before its f16 rounding.
void QuantizeRowQ8_1(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK8_1; ++i, src += kQK8_1) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_1; ++j) amax = std::max(amax, std::fabs(src[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToF16(d);
    int sum = 0;
    for (int j = 0; j < kQK8_1; ++j) {
      y[i].qs[j] = int8_t(std::roundf(src[j] * id));
      sum += y[i].qs[j];
    }
    y[i].s = F32ToF16(float(sum) * d);
  }
}

void DequantizeRowQ8_K(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K)
    for (int j = 0; j < kQK_K; ++j) dst[j] = x[i].d * float(x[i].qs[j]);
}

// As ggml's quantize_row_q8_K_ref: the signed abs-max maps to -127 (not -128, so that codes stay
// in -127..127), d is stored as f32, and bsums hold the 16-element sums of the codes.
void QuantizeRowQ8_K(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, src += kQK_K) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(src[j]) > amax) {
        amax = std::fabs(src[j]);
        max = src[j];
      }
    }
    if (amax == 0.0f) {  // ggml leaves bsums untouched here; they are zero like the codes
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQK_K; ++j) y[i].qs[j] = int8_t(std::min(127, NearestInt(iscale * src[j])));
    for (int j = 0; j < kQK_K / 16; ++j) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += y[i].qs[16 * j + k];
      y[i].bsums[j] = int16_t(sum);
    }
    y[i].d = 1 / iscale;
  }
}

}  // namespace qforge
