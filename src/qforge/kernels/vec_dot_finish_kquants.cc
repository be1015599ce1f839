// The float half of the k-quant dot products (x: Q8_K, whose scale d is f32). The mins of Q2_K,
// Q4_K and Q5_K enter through the activation sums bsums: sum_i m_j(i) q_x(i) = sum_j m_j bsums_j.
#include "qforge/core/half.h"
#include "qforge/core/qblocks_kquants.h"
#include "qforge/kernels/vec_dot_finish.h"

namespace qforge::kernels {
namespace {
template <class Block>
const Block* Blocks(const void* p) {
  return static_cast<const Block*>(p);
}

// Q4_K/Q5_K: sum over the 16 bsums of 16 codes of the min of their 32-element sub-block.
template <class Block>
int32_t MinSum(const Block& w, const BlockQ8_K& x) {
  int32_t sum = 0;
  for (int j = 0; j < 16; ++j) {
    uint8_t sc, m;
    KScaleMin(j / 2, w.scales, sc, m);
    sum += x.bsums[j] * m;
  }
  return sum;
}

template <class Block>
float FinishWithMins(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const Block* wb = Blocks<Block>(w);
  const BlockQ8_K* xb = Blocks<BlockQ8_K>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = F16ToF32(wb[b].d) * xb[b].d;
    const float dmin = F16ToF32(wb[b].dmin) * xb[b].d;
    sumf += d * float(isum[b]);
    sumf -= dmin * float(MinSum(wb[b], xb[b]));
  }
  return sumf;
}

// Q3_K/Q6_K: symmetric codes, no min.
template <class Block>
float FinishSymmetric(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const Block* wb = Blocks<Block>(w);
  const BlockQ8_K* xb = Blocks<BlockQ8_K>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b) sumf += F16ToF32(wb[b].d) * xb[b].d * float(isum[b]);
  return sumf;
}
}  // namespace

// As ggml's generic Q2_K, which already adds one term per super-block: dall isum - dmin summs.
float FinishQ2_K(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const BlockQ2_K* wb = Blocks<BlockQ2_K>(w);
  const BlockQ8_K* xb = Blocks<BlockQ8_K>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b) {
    int32_t summs = 0;
    for (int j = 0; j < 16; ++j) summs += xb[b].bsums[j] * (wb[b].scales[j] >> 4);
    const float dall = xb[b].d * F16ToF32(wb[b].d);
    const float dmin = xb[b].d * F16ToF32(wb[b].dmin);
    sumf += dall * float(isum[b]) - dmin * float(summs);
  }
  return sumf;
}

float FinishQ3_K(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  return FinishSymmetric<BlockQ3_K>(w, x, isum, nb);
}

float FinishQ4_K(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  return FinishWithMins<BlockQ4_K>(w, x, isum, nb);
}

float FinishQ5_K(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  return FinishWithMins<BlockQ5_K>(w, x, isum, nb);
}

float FinishQ6_K(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  return FinishSymmetric<BlockQ6_K>(w, x, isum, nb);
}

}  // namespace qforge::kernels
