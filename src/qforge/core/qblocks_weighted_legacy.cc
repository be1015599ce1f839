// Importance-weighted quantizers of Q4_0, Q4_1, Q5_0, Q5_1 and IQ4_NL (ggml's
// quantize_row_q4_0_impl ... quantize_row_iq4_nl_impl with non-null quant_weights), and the
// QuantizeRowWeighted dispatch. Without an imatrix ggml rounds the legacy types by min/max; with
// one it searches each block's scale (and min) by weighted least squares, so the stored bytes
// differ even where the importance is uniform.
#include <cmath>
#include <cstring>

#include "qforge/core/half.h"
#include "qforge/core/kquant_search.h"
#include "qforge/core/kquant_search_weighted.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"
#include "qforge/core/qblocks_weighted.h"

namespace qforge {
namespace weighted {
namespace {

constexpr int kBlock = int(kLegacyBlockSize);
constexpr int kHalf = kBlock / 2;

// sigma2 of the legacy types: mean(x^2) over the whole row (not the block).
float RowSigma2(const float* x, int64_t n) {
  float sum_x2 = 0;
  for (int64_t j = 0; j < n; ++j) sum_x2 += x[j] * x[j];
  return sum_x2 / float(n);
}

void BlockWeights(const float* xb, const float* qw, float sigma2, float* weight) {
  for (int j = 0; j < kBlock; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
}

// Packs 5-bit codes of a 32-element block into qs (low nibbles) and the qh word (fifth bits).
void Pack5(const uint8_t* L, uint8_t* qs, uint8_t (&qh_bytes)[4]) {
  uint32_t qh = 0;
  for (int j = 0; j < kHalf; ++j) {
    const uint8_t q0 = L[j], q1 = L[j + kHalf];
    qs[j] = uint8_t((q0 & 0x0F) | ((q1 & 0x0F) << 4));
    qh |= uint32_t((q0 & 0x10u) >> 4) << j;
    qh |= uint32_t((q1 & 0x10u) >> 4) << (j + kHalf);
  }
  std::memcpy(qh_bytes, &qh, 4);  // little-endian, as ggml's memcpy of a uint32_t
}

// Symmetric types (Q4_0 nmax 8, Q5_0 nmax 16): a weighted make_qx_quants per block.
template <class Block, class Pack>
void QuantizeSymmetric(const float* x, Block* y, int64_t n, const float* imp, int nmax, Pack pack) {
  const float sigma2 = RowSigma2(x, n);
  float weight[kBlock];
  int8_t L[kBlock];
  for (int64_t ib = 0; ib < n / kBlock; ++ib) {
    const float* xb = x + ib * kBlock;
    BlockWeights(xb, imp + ib * kBlock, sigma2, weight);
    y[ib].d = F32ToF16(kquant::MakeQxQuantsWeighted(kBlock, nmax, xb, L, weight));
    pack(reinterpret_cast<const uint8_t*>(L), y[ib]);
  }
}

// Asymmetric types (Q4_1 nmax 15, Q5_1 nmax 31): make_qkx3_quants per block; m = -min.
template <class Block, class Pack>
void QuantizeAsymmetric(const float* x, Block* y, int64_t n, const float* imp, int nmax,
                        Pack pack) {
  const float sigma2 = RowSigma2(x, n);
  float weight[kBlock];
  uint8_t L[kBlock], laux[kBlock];
  for (int64_t ib = 0; ib < n / kBlock; ++ib) {
    const float* xb = x + ib * kBlock;
    BlockWeights(xb, imp + ib * kBlock, sigma2, weight);
    float min;
    const float d =
        kquant::MakeQkx3Quants(kBlock, nmax, xb, weight, L, &min, laux, -0.9f, 0.05f, 36, false);
    y[ib].d = F32ToF16(d);
    y[ib].m = F32ToF16(-min);
    pack(L, y[ib]);
  }
}

template <class Block>
void Pack4(const uint8_t* L, Block& b) {
  for (int j = 0; j < kHalf; ++j) b.qs[j] = uint8_t(L[j] | (L[j + kHalf] << 4));
}

// Index of the IQ4_NL code book entry nearest to x (ggml's best_index_int8); on an exact
// midpoint the upper entry wins.
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

struct Fit {
  float sumqx = 0, sumq2 = 0;
};
Fit FitCodes(const float* x, const float* w, float id) {
  Fit f;
  for (int j = 0; j < kQK4_NL; ++j) {
    const float q = kIQ4NLValues[NearestIQ4NL(id * x[j])];
    f.sumqx += w[j] * q * x[j];
    f.sumq2 += w[j] * q * q;
  }
  return f;
}

// quantize_row_iq4_nl_impl(32, 32, ..., quant_weights, ntry = 7): weights imp * sqrt(sigma2 +
// x^2) with sigma2 = 2 mean(x^2) of the block, then the reference's 15-point scale search.
void QuantizeBlockIQ4_NL(const float* x, const float* imp, BlockIQ4_NL& y) {
  constexpr int kTries = 7;
  float sigma2 = 0;
  for (int j = 0; j < kQK4_NL; ++j) sigma2 += x[j] * x[j];
  sigma2 *= 2.f / float(kQK4_NL);
  float weight[kQK4_NL];
  for (int j = 0; j < kQK4_NL; ++j) weight[j] = imp[j] * std::sqrt(sigma2 + x[j] * x[j]);
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
    Fit fit = FitCodes(x, weight, 1 / d);
    d = fit.sumq2 > 0 ? fit.sumqx / fit.sumq2 : 0.f;
    float best = d * fit.sumqx;
    for (int itry = -kTries; itry <= kTries; ++itry) {
      const float id = float(itry + kIQ4NLValues[0]) / max;
      fit = FitCodes(x, weight, id);
      if (fit.sumq2 > 0 && fit.sumqx * fit.sumqx > best * fit.sumq2) {
        d = fit.sumqx / fit.sumq2;
        best = d * fit.sumqx;
      }
    }
  }
  y.d = F32ToF16(d);
  const float id = d != 0.0f ? 1 / d : 0.0f;  // codes re-chosen for the f32 (not f16) scale
  for (int j = 0; j < kQK4_NL / 2; ++j)
    y.qs[j] = uint8_t(NearestIQ4NL(id * x[j]) | NearestIQ4NL(id * x[j + kQK4_NL / 2]) << 4);
}

}  // namespace

void QuantizeRowQ4_0(const float* x, void* dst, int64_t n, const float* imp) {
  QuantizeSymmetric(x, static_cast<BlockQ4_0*>(dst), n, imp, 8,
                    [](const uint8_t* L, BlockQ4_0& b) { Pack4(L, b); });
}

void QuantizeRowQ4_1(const float* x, void* dst, int64_t n, const float* imp) {
  QuantizeAsymmetric(x, static_cast<BlockQ4_1*>(dst), n, imp, 15,
                     [](const uint8_t* L, BlockQ4_1& b) { Pack4(L, b); });
}

void QuantizeRowQ5_0(const float* x, void* dst, int64_t n, const float* imp) {
  QuantizeSymmetric(x, static_cast<BlockQ5_0*>(dst), n, imp, 16,
                    [](const uint8_t* L, BlockQ5_0& b) { Pack5(L, b.qs, b.qh); });
}

void QuantizeRowQ5_1(const float* x, void* dst, int64_t n, const float* imp) {
  QuantizeAsymmetric(x, static_cast<BlockQ5_1*>(dst), n, imp, 31,
                     [](const uint8_t* L, BlockQ5_1& b) { Pack5(L, b.qs, b.qh); });
}

void QuantizeRowIQ4_NL(const float* x, void* dst, int64_t n, const float* imp) {
  auto* y = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK4_NL; ++i)
    QuantizeBlockIQ4_NL(x + i * kQK4_NL, imp + i * kQK4_NL, y[i]);
}

}  // namespace weighted

namespace {

using WeightedRowFn = void (*)(const float*, void*, int64_t, const float*);

WeightedRowFn WeightedQuantizer(QType type) {
  switch (type) {
    case QType::kQ2_K:
      return weighted::QuantizeRowQ2_K;
    case QType::kQ3_K:
      return weighted::QuantizeRowQ3_K;
    case QType::kQ4_K:
      return weighted::QuantizeRowQ4_K;
    case QType::kQ5_K:
      return weighted::QuantizeRowQ5_K;
    case QType::kQ6_K:
      return weighted::QuantizeRowQ6_K;
    case QType::kQ4_0:
      return weighted::QuantizeRowQ4_0;
    case QType::kQ4_1:
      return weighted::QuantizeRowQ4_1;
    case QType::kQ5_0:
      return weighted::QuantizeRowQ5_0;
    case QType::kQ5_1:
      return weighted::QuantizeRowQ5_1;
    case QType::kIQ4_NL:
      return weighted::QuantizeRowIQ4_NL;
    default:
      return nullptr;  // ggml ignores the imatrix (Q8_0, floats) or has no such type
  }
}

}  // namespace

bool HasWeightedQuantizer(QType type) { return WeightedQuantizer(type) != nullptr; }

bool QuantizeRowWeighted(QType type, const float* src, void* dst, int64_t n,
                         const float* importance) {
  const WeightedRowFn fn = WeightedQuantizer(type);
  if (fn == nullptr) return false;
  fn(src, dst, n, importance);
  return true;
}

}  // namespace qforge
