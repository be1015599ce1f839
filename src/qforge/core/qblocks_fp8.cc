// OCP 8-bit floats (E4M3 "fn": no Inf, max 448, NaN = S.1111.111; E5M2: IEEE-like, max 57344)
// and the FP8 row codecs with a per-row or per-tensor f32 scale (x = scale * fp8).
#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "qforge/core/qblocks_native.h"
#include "qforge/core/qblocks_native_util.h"

namespace qforge {
namespace {

using native::FiniteRow;
using native::LoadUnaligned;
using native::StoreUnaligned;

// An 8-bit float with kExp exponent bits, kMan mantissa bits and bias 2^(kExp-1) - 1.
template <int kExp, int kMan>
struct Fp8Format {
  static constexpr int kBias = (1 << (kExp - 1)) - 1;
  static constexpr int kMinExp = 1 - kBias;  // exponent of the smallest normal

  // Value of the magnitude bits (code & 0x7f), which are finite and not NaN.
  static float Magnitude(int bits) {
    const int e = bits >> kMan, m = bits & ((1 << kMan) - 1);
    if (e == 0) return std::ldexp(float(m), kMinExp - kMan);  // subnormal: m * 2^(1-bias-M)
    return std::ldexp(float((1 << kMan) | m), e - kBias - kMan);
  }

  // Round-to-nearest-even of a finite |x| to magnitude bits, without saturation: the result may
  // exceed the largest finite code (the caller saturates). Every scaling is by a power of two, so
  // it is exact in f32, and nearbyint rounds half to even.
  static int RoundMagnitude(float a) {
    if (a == 0.0f) return 0;
    int e;
    std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1): the leading bit is 2^(e-1)
    const int exp = std::max(e - 1, kMinExp);  // subnormals share the smallest normal's quantum
    // q counts quanta of 2^(exp - M); for normals q in [2^M, 2^(M+1)], a carry into the next
    // binade lands on the right code because codes are ordered like the values they encode.
    // For subnormals (exp = kMinExp, q <= 2^M) the same formula gives code q.
    const int q = int(std::nearbyint(std::ldexp(a, kMan - exp)));
    return ((exp + kBias) << kMan) + (q - (1 << kMan));
  }
};

using E4M3 = Fp8Format<4, 3>;
using E5M2 = Fp8Format<5, 2>;
constexpr int kE4M3MaxBits = 0x7e;  // S.1111.110 = 448; S.1111.111 is NaN
constexpr int kE5M2MaxBits = 0x7b;  // S.11110.11 = 57344; 0x7c is Inf, 0x7d..0x7f NaN

uint8_t SignBit(float x) { return std::signbit(x) ? 0x80 : 0; }

template <uint8_t (*kEncode)(float)>
void QuantizeRowWithScale(const float* src, void* dst, int64_t n, float scale) {
  auto* out = static_cast<uint8_t*>(dst);
  StoreUnaligned(out, RowHeaderScale{scale});
  out += sizeof(RowHeaderScale);
  for (int64_t i = 0; i < n; ++i) out[i] = scale != 0.0f ? kEncode(src[i] / scale) : 0;
}

float AbsMax(const float* x, int64_t n) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  return amax;
}

template <uint8_t (*kEncode)(float)>
void QuantizeRowFp8(const float* src, void* dst, int64_t n, float max) {
  std::vector<float> buf;
  src = FiniteRow(src, n, buf);
  QuantizeRowWithScale<kEncode>(src, dst, n, AbsMax(src, n) / max);
}

template <float (*kDecode)(uint8_t)>
void DequantizeRowFp8(const void* src, float* dst, int64_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  const float scale = LoadUnaligned<RowHeaderScale>(in).d;
  in += sizeof(RowHeaderScale);
  for (int64_t i = 0; i < n; ++i) dst[i] = scale * kDecode(in[i]);
}

}  // namespace

float E4M3ToF32(uint8_t code) {
  const int bits = code & 0x7f;
  if (bits == 0x7f) return std::copysign(NAN, (code & 0x80) ? -1.0f : 1.0f);
  const float m = E4M3::Magnitude(bits);
  return (code & 0x80) ? -m : m;
}

float E5M2ToF32(uint8_t code) {
  const int bits = code & 0x7f;
  const float sign = (code & 0x80) ? -1.0f : 1.0f;
  if (bits == 0x7c) return sign * INFINITY;
  if (bits > 0x7c) return std::copysign(NAN, sign);
  return sign * E5M2::Magnitude(bits);
}

uint8_t F32ToE4M3(float x) {
  if (std::isnan(x)) return uint8_t(SignBit(x) | 0x7f);
  const float a = std::fabs(x);
  const int bits = std::isinf(a) ? kE4M3MaxBits : std::min(E4M3::RoundMagnitude(a), kE4M3MaxBits);
  return uint8_t(SignBit(x) | bits);
}

uint8_t F32ToE5M2(float x) {
  if (std::isnan(x)) return uint8_t(SignBit(x) | 0x7e);
  const float a = std::fabs(x);
  if (std::isinf(a)) return uint8_t(SignBit(x) | 0x7c);
  return uint8_t(SignBit(x) | std::min(E5M2::RoundMagnitude(a), kE5M2MaxBits));
}

void QuantizeRowFP8E4M3WithScale(const float* src, void* dst, int64_t n, float scale) {
  QuantizeRowWithScale<F32ToE4M3>(src, dst, n, scale);
}
void QuantizeRowFP8E5M2WithScale(const float* src, void* dst, int64_t n, float scale) {
  QuantizeRowWithScale<F32ToE5M2>(src, dst, n, scale);
}

// scale = absmax / max finite, as vLLM's and llm-compressor's FP8 weight quantization; the value
// x / scale (|.| <= max up to the rounding of the division) is rounded to the nearest code.
void QuantizeRowFP8E4M3(const float* src, void* dst, int64_t n) {
  QuantizeRowFp8<F32ToE4M3>(src, dst, n, kE4M3Max);
}
void QuantizeRowFP8E5M2(const float* src, void* dst, int64_t n) {
  QuantizeRowFp8<F32ToE5M2>(src, dst, n, kE5M2Max);
}
void DequantizeRowFP8E4M3(const void* src, float* dst, int64_t n) {
  DequantizeRowFp8<E4M3ToF32>(src, dst, n);
}
void DequantizeRowFP8E5M2(const void* src, float* dst, int64_t n) {
  DequantizeRowFp8<E5M2ToF32>(src, dst, n);
}

}  // namespace qforge
