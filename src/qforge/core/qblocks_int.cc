// Reference codecs of the integer native types: INT8 per row, INTb group-wise and per row
// (symmetric and with a zero point), following GPTQ's RTN quantizer (see qblocks_native.h).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "qforge/core/half.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/core/qblocks_native_util.h"

namespace qforge {
namespace {

using native::FiniteRow;
using native::LoadUnaligned;
using native::StoreUnaligned;

// GPTQ's grid for one group (find_params, see the header): scale, the xmin it came from and, for
// symmetric types, the fixed zero point.
struct Grid {
  float scale;
  float xmin;
  int zero;
};

template <int kBits>
constexpr int kMaxQ = (1 << kBits) - 1;

// (xmax - xmin) / maxq without overflow: the difference of two finite floats can exceed FLT_MAX.
float Span(float xmin, float xmax, int maxq) {
  const float span = xmax - xmin;
  return std::isfinite(span) ? span / float(maxq) : xmax / float(maxq) - xmin / float(maxq);
}

template <int kBits, bool kZero>
Grid FindGrid(const float* x, int64_t n) {
  float xmin = 0.0f, xmax = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    xmin = std::min(xmin, x[i]);
    xmax = std::max(xmax, x[i]);
  }
  if (!kZero) {
    xmax = std::max(-xmin, xmax);
    xmin = -xmax;  // GPTQ keeps xmin = 0 for a group without negatives; see header, deviation (1)
  }
  if (xmin == 0.0f && xmax == 0.0f) {
    xmin = -1.0f;
    xmax = 1.0f;
  }
  return {Span(xmin, xmax, kMaxQ<kBits>), xmin, (kMaxQ<kBits> + 1) / 2};
}

// Asymmetric zero point round(-xmin / scale), with the scale actually stored; clamped, since the
// f16 rounding of the scale may push it a hair outside [0, maxq].
template <int kBits>
int ZeroPoint(float xmin, float scale) {
  if (scale == 0.0f) return 0;
  return int(std::clamp(std::nearbyint(-xmin / scale), 0.0f, float(kMaxQ<kBits>)));
}

// q = clamp(round(x / scale) + zero, 0, maxq); nearbyint rounds half to even, as torch.round.
template <int kBits>
uint8_t Code(float x, float scale, int zero) {
  const float r = scale != 0.0f ? std::nearbyint(x / scale) : 0.0f;
  // r may be huge; clamp in float before the integer conversion.
  return uint8_t(std::clamp(r + float(zero), 0.0f, float(kMaxQ<kBits>)));
}

// Codes of x[0, n) packed into qs; `codes` is scratch of at least n bytes.
template <int kBits>
void EncodeGroup(const float* x, int64_t n, float scale, int zero, uint8_t* codes, uint8_t* qs) {
  for (int64_t i = 0; i < n; ++i) codes[i] = Code<kBits>(x[i], scale, zero);
  native::PackCodes<kBits>(codes, n, qs);
}

template <int kBits>
void DecodeGroup(const uint8_t* qs, int64_t n, float scale, int zero, float* y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = scale * float(int(native::UnpackCode<kBits>(qs, i)) - zero);
}

// f16 storage of a group scale: saturate instead of overflowing to Inf (header, deviation (2)).
uint16_t StoredScale(float scale) { return F32ToF16(std::min(scale, 65504.0f)); }

}  // namespace

template <int kBits, int kGroup, bool kZero>
void QuantizeRowIntGroup(const float* src, void* dst, int64_t n) {
  using Block = std::conditional_t<kZero, BlockIntAsym<kBits, kGroup>, BlockIntSym<kBits, kGroup>>;
  std::vector<float> buf;
  src = FiniteRow(src, n, buf);
  auto* blocks = static_cast<Block*>(dst);
  uint8_t codes[kGroup];
  for (int64_t b = 0; b < n / kGroup; ++b) {
    const float* x = src + b * kGroup;
    const Grid g = FindGrid<kBits, kZero>(x, kGroup);
    Block& out = blocks[b];
    out.d = StoredScale(g.scale);
    const float d = F16ToF32(out.d);
    int zero = g.zero;
    if constexpr (kZero) {
      zero = ZeroPoint<kBits>(g.xmin, d);
      out.z = uint8_t(zero);
    }
    EncodeGroup<kBits>(x, kGroup, d, zero, codes, out.qs);
  }
}

template <int kBits, int kGroup, bool kZero>
void DequantizeRowIntGroup(const void* src, float* dst, int64_t n) {
  using Block = std::conditional_t<kZero, BlockIntAsym<kBits, kGroup>, BlockIntSym<kBits, kGroup>>;
  const auto* blocks = static_cast<const Block*>(src);
  for (int64_t b = 0; b < n / kGroup; ++b) {
    const Block& in = blocks[b];
    int zero = (kMaxQ<kBits> + 1) / 2;
    if constexpr (kZero) zero = in.z;
    DecodeGroup<kBits>(in.qs, kGroup, F16ToF32(in.d), zero, dst + b * kGroup);
  }
}

template <int kBits, bool kZero>
void QuantizeRowIntRow(const float* src, void* dst, int64_t n) {
  std::vector<float> buf;
  src = FiniteRow(src, n, buf);
  const Grid g = FindGrid<kBits, kZero>(src, n);
  auto* out = static_cast<uint8_t*>(dst);
  int zero = g.zero;
  if constexpr (kZero) {
    zero = ZeroPoint<kBits>(g.xmin, g.scale);
    StoreUnaligned(out, RowHeaderScaleZero{g.scale, zero});
    out += sizeof(RowHeaderScaleZero);
  } else {
    StoreUnaligned(out, RowHeaderScale{g.scale});
    out += sizeof(RowHeaderScale);
  }
  std::vector<uint8_t> codes(static_cast<size_t>(n));
  EncodeGroup<kBits>(src, n, g.scale, zero, codes.data(), out);
}

template <int kBits, bool kZero>
void DequantizeRowIntRow(const void* src, float* dst, int64_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  float scale;
  int zero = (kMaxQ<kBits> + 1) / 2;
  if constexpr (kZero) {
    const auto h = LoadUnaligned<RowHeaderScaleZero>(in);
    scale = h.d;
    zero = h.z;
    in += sizeof(RowHeaderScaleZero);
  } else {
    scale = LoadUnaligned<RowHeaderScale>(in).d;
    in += sizeof(RowHeaderScale);
  }
  DecodeGroup<kBits>(in, n, scale, zero, dst);
}

// INT8: scale = absmax / 127, q = round(x / scale) in [-127, 127] (symmetric, no -128).
void QuantizeRowInt8(const float* src, void* dst, int64_t n) {
  std::vector<float> buf;
  src = FiniteRow(src, n, buf);
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(src[i]));
  const float scale = amax / 127.0f;
  auto* out = static_cast<uint8_t*>(dst);
  StoreUnaligned(out, RowHeaderScale{scale});
  auto* q = reinterpret_cast<int8_t*>(out + sizeof(RowHeaderScale));
  for (int64_t i = 0; i < n; ++i) {
    const float r = scale != 0.0f ? std::nearbyint(src[i] / scale) : 0.0f;
    q[i] = int8_t(std::clamp(r, -127.0f, 127.0f));
  }
}

void DequantizeRowInt8(const void* src, float* dst, int64_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  const float scale = LoadUnaligned<RowHeaderScale>(in).d;
  const auto* q = reinterpret_cast<const int8_t*>(in + sizeof(RowHeaderScale));
  for (int64_t i = 0; i < n; ++i) dst[i] = scale * float(q[i]);
}

// The instantiations the traits table names.
#define QF_INT_GROUP(bits, group)                                                        \
  template void QuantizeRowIntGroup<bits, group, false>(const float*, void*, int64_t);   \
  template void QuantizeRowIntGroup<bits, group, true>(const float*, void*, int64_t);    \
  template void DequantizeRowIntGroup<bits, group, false>(const void*, float*, int64_t); \
  template void DequantizeRowIntGroup<bits, group, true>(const void*, float*, int64_t);
#define QF_INT_BITS(bits)                                                       \
  QF_INT_GROUP(bits, 32)                                                        \
  QF_INT_GROUP(bits, 64)                                                        \
  QF_INT_GROUP(bits, 128)                                                       \
  template void QuantizeRowIntRow<bits, false>(const float*, void*, int64_t);   \
  template void QuantizeRowIntRow<bits, true>(const float*, void*, int64_t);    \
  template void DequantizeRowIntRow<bits, false>(const void*, float*, int64_t); \
  template void DequantizeRowIntRow<bits, true>(const void*, float*, int64_t);
QF_INT_BITS(4)
QF_INT_BITS(3)
QF_INT_BITS(2)
#undef QF_INT_BITS
#undef QF_INT_GROUP

}  // namespace qforge
