// The float half of the dot products of the 32-element block types: each mirrors the f32 expression
// of ggml's generic vec_dot for its type, with the same association (left to right) and the same
// f16 reads.
#include "qforge/kernels/vec_dot_finish.h"

#include "qforge/core/half.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"

namespace qforge::kernels {
namespace {
template <class Block>
const Block* Blocks(const void* p) {
  return static_cast<const Block*>(p);
}
}  // namespace

float FinishQ4_0(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const BlockQ4_0* wb = Blocks<BlockQ4_0>(w);
  const BlockQ8_0* xb = Blocks<BlockQ8_0>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b) sumf += float(isum[b]) * F16ToF32(wb[b].d) * F16ToF32(xb[b].d);
  return sumf;
}

namespace {
// Q4_1/Q5_1: x = d q + m, so the block is d_w d_x isum + m_w s_x with s_x = d_x sum(q_x).
template <class Block>
float FinishWithMin(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const Block* wb = Blocks<Block>(w);
  const BlockQ8_1* xb = Blocks<BlockQ8_1>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b)
    sumf += (F16ToF32(wb[b].d) * F16ToF32(xb[b].d)) * float(isum[b]) +
            F16ToF32(wb[b].m) * F16ToF32(xb[b].s);
  return sumf;
}
}  // namespace

float FinishQ4_1(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  return FinishWithMin<BlockQ4_1>(w, x, isum, nb);
}

float FinishQ5_1(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  return FinishWithMin<BlockQ5_1>(w, x, isum, nb);
}

float FinishQ5_0(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const BlockQ5_0* wb = Blocks<BlockQ5_0>(w);
  const BlockQ8_0* xb = Blocks<BlockQ8_0>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b) sumf += (F16ToF32(wb[b].d) * F16ToF32(xb[b].d)) * float(isum[b]);
  return sumf;
}

float FinishQ8_0(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const BlockQ8_0* wb = Blocks<BlockQ8_0>(w);
  const BlockQ8_0* xb = Blocks<BlockQ8_0>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b) sumf += float(isum[b]) * (F16ToF32(wb[b].d) * F16ToF32(xb[b].d));
  return sumf;
}

float FinishIQ4_NL(const void* w, const void* x, const int32_t* isum, int64_t nb) {
  const BlockIQ4_NL* wb = Blocks<BlockIQ4_NL>(w);
  const BlockQ8_0* xb = Blocks<BlockQ8_0>(x);
  float sumf = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = F16ToF32(xb[b].d) * F16ToF32(wb[b].d);
    sumf += d * float(isum[b]);
  }
  return sumf;
}

}  // namespace qforge::kernels
