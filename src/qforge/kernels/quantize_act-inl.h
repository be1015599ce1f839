// Q8_0 / Q8_1 / Q8_K activation blocks with Highway, per target (quantize_act.h says why the bytes
// equal core's scalar quantize_row). Vectors hold at most 16 floats, so every vector lies inside
// one 16-element Q8_K bsum group and a whole number of them covers a block.

#if defined(QFORGE_KERNELS_QUANTIZE_ACT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFORGE_KERNELS_QUANTIZE_ACT_INL_H_
#undef QFORGE_KERNELS_QUANTIZE_ACT_INL_H_
#else
#define QFORGE_KERNELS_QUANTIZE_ACT_INL_H_
#endif

#include <cmath>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"

HWY_BEFORE_NAMESPACE();
namespace qforge::kernels::HWY_NAMESPACE {
namespace quantize_act {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::CappedTag<float, 16>;
using DI32 = hn::Rebind<int32_t, DF>;
using DI8 = hn::Rebind<int8_t, DF>;

// max_i |x_i| of n floats (n a multiple of the lane count); false if one of them is NaN or Inf.
// The maximum is taken over the bit patterns of |x| as int32: for non-negative floats their order
// is the floats' order, NaN and Inf are the patterns >= 0x7f800000, and no lane order can lose a
// NaN (as float Max may, depending on the operand it returns).
HWY_INLINE bool FiniteAbsMax(const float* x, int64_t n, float& amax) {
  const DF df;
  const DI32 di;
  const int64_t lanes = int64_t(hn::Lanes(df));
  auto vmax = hn::Zero(di);
  for (int64_t i = 0; i < n; i += lanes)
    vmax = hn::Max(vmax, hn::BitCast(di, hn::Abs(hn::LoadU(df, x + i))));
  const int32_t bits = hn::GetLane(hn::MaxOfLanes(di, vmax));
  if (bits >= 0x7f800000) return false;
  std::memcpy(&amax, &bits, sizeof(amax));
  return true;
}

// roundf: half away from zero. v - trunc(v) is exact, so the tie test is exact too.
template <class V>
HWY_INLINE V RoundHalfAway(V v) {
  const DF df;
  const auto t = hn::Trunc(v);
  const auto away = hn::Ge(hn::Abs(hn::Sub(v, t)), hn::Set(df, 0.5f));
  return hn::IfThenElse(away, hn::Add(t, hn::CopySignToAbs(hn::Set(df, 1.0f), v)), t);
}

// Integral floats in [-127, 127] as int8 codes.
template <class V>
HWY_INLINE void StoreCodes(V r, int8_t* q) {
  hn::StoreU(hn::DemoteTo(DI8(), hn::ConvertTo(DI32(), r)), DI8(), q);
}

// One 32-element Q8_0 / Q8_1 block: d = amax / 127, q = roundf(x * (1 / d)). Returns d and the
// sum of the codes, or false (nothing written) for a block with NaN or Inf.
HWY_INLINE bool Q8Block32(const float* x, uint16_t& d16, int8_t* qs, float& d, int& sum) {
  const DF df;
  const int64_t lanes = int64_t(hn::Lanes(df));
  float amax;
  if (!FiniteAbsMax(x, 32, amax)) return false;
  d = amax / 127;
  // A subnormal d (amax < 1.5e-36) has few significant bits, so amax * (1 / d) can pass 127.5,
  // or 1 / d overflow; the scalar then converts 128 or Inf to int8 (undefined, target-specific),
  // which only the scalar itself reproduces.
  if (d != 0.0f && d < 1.17549435e-38f) return false;  // FLT_MIN
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  d16 = F32ToF16(d);
  const auto vid = hn::Set(df, id);
  auto vsum = hn::Zero(df);
  for (int64_t i = 0; i < 32; i += lanes) {
    const auto r = RoundHalfAway(hn::Mul(hn::LoadU(df, x + i), vid));
    vsum = hn::Add(vsum, r);
    StoreCodes(r, qs + i);
  }
  sum = int(hn::GetLane(hn::SumOfLanes(df, vsum)));
  return true;
}

HWY_INLINE void RowQ8_0(const float* x, BlockQ8_0* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, x += 32) {
    float d;
    int sum;
    if (!Q8Block32(x, y[b].d, y[b].qs, d, sum)) QuantizeRowQ8_0(x, &y[b], 32);
  }
}

HWY_INLINE void RowQ8_1(const float* x, BlockQ8_1* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, x += kQK8_1) {
    float d;
    int sum;
    if (Q8Block32(x, y[b].d, y[b].qs, d, sum))
      y[b].s = F32ToF16(float(sum) * d);  // d before its f16 rounding, as the scalar
    else
      QuantizeRowQ8_1(x, &y[b], kQK8_1);
  }
}

// The first element whose |x| equals amax, signed (the scalar keeps the first strict maximum).
// amax is the |x| of an element of the block (FiniteAbsMax took its bits), so the loop ends there.
HWY_INLINE float FirstSignedMax(const float* x, float amax) {
  const DF df;
  const int64_t lanes = int64_t(hn::Lanes(df));
  const auto vamax = hn::Set(df, amax);
  for (int64_t i = 0;; i += lanes) {
    const auto v = hn::LoadU(df, x + i);
    const auto hit = hn::Eq(hn::Abs(v), vamax);
    if (!hn::AllFalse(df, hit)) return x[i + hn::FindFirstTrue(df, hit)];
  }
}

// One Q8_K super-block: iscale = -127 / max, q = min(127, nearest_int(iscale * x)) (half to even),
// d = 1 / iscale, bsums = sums of 16 codes. The scalar's amax == 0 case is an all-zero block.
HWY_INLINE void BlockQ8K(const float* x, BlockQ8_K& y) {
  const DF df;
  const int64_t lanes = int64_t(hn::Lanes(df));
  float amax;
  if (!FiniteAbsMax(x, kQK_K, amax)) return QuantizeRowQ8_K(x, &y, kQK_K);
  if (amax == 0.0f) {
    std::memset(&y, 0, sizeof(y));
    return;
  }
  const float iscale = -127.f / FirstSignedMax(x, amax);
  // amax < 3.7e-37 overflows iscale, and the scalar's nearest_int of Inf is its own.
  if (!(std::fabs(iscale) <= 3.40282347e38f)) return QuantizeRowQ8_K(x, &y, kQK_K);
  const auto viscale = hn::Set(df, iscale), hi = hn::Set(df, 127.0f);
  for (int64_t g = 0; g < kQK_K; g += 16) {
    auto vsum = hn::Zero(df);
    for (int64_t i = g; i < g + 16; i += lanes) {
      const auto r = hn::Min(hn::Round(hn::Mul(viscale, hn::LoadU(df, x + i))), hi);
      vsum = hn::Add(vsum, r);
      StoreCodes(r, y.qs + i);
    }
    y.bsums[g / 16] = int16_t(hn::GetLane(hn::SumOfLanes(df, vsum)));
  }
  y.d = 1 / iscale;
}

HWY_INLINE void RowQ8_K(const float* x, BlockQ8_K* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b) BlockQ8K(x + b * kQK_K, y[b]);
}

}  // namespace quantize_act
}  // namespace qforge::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // QFORGE_KERNELS_QUANTIZE_ACT_INL_H_
