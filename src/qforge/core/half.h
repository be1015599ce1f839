// IEEE binary16 and bfloat16 <-> float conversions (scalar, bit-exact, round to nearest even).
//
// These are the scalar reference conversions; SIMD kernels convert with Highway and are tested
// against these.
#pragma once

#include <bit>
#include <cstdint>

namespace qforge {

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0) {
    // Zero or subnormal: value = mant * 2^-24, exact in float.
    const float magnitude = float(mant) * 0x1p-24f;
    return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | sign);
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // Inf / NaN
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t F32ToF16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00;   // NaN stays NaN (quiet)
  if (abs >= 0x477ff000u) return sign | 0x7c00;  // rounds to >= 65520: Inf
  if (abs < 0x38800000u) {                       // below the smallest normal half
    // Subnormal half: round abs * 2^24 to an integer (ties to even) using float arithmetic,
    // which is exact here because the magnitude is < 2^-14.
    const float scaled = std::bit_cast<float>(abs) * 0x1p24f;
    const float rounded = scaled + 0x1p23f - 0x1p23f;  // round-to-nearest-even in float
    return sign | uint16_t(rounded);
  }
  // Normal: rebias exponent, round the 13 dropped mantissa bits to nearest even.
  const uint32_t rebiased = abs - (112u << 23);
  const uint32_t round = 0xfff + ((rebiased >> 13) & 1);
  return sign | uint16_t((rebiased + round) >> 13);
}

inline float BF16ToF32(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }

inline uint16_t F32ToBF16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40);  // quiet NaN
  return uint16_t((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

}  // namespace qforge
