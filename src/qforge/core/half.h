// IEEE binary16 and bfloat16 <-> float conversions (scalar, bit-exact, round to nearest even).
//
// These are the scalar reference conversions; SIMD kernels convert with Highway and are tested
// against these.
#pragma once

#include <bit>
#include <cstdint>

namespace qforge {

// The exponent is rebiased by a multiplication by 2^112, exact for normal and subnormal halves
// alike (the product is a normal float); only Inf/NaN need their own bits. Without branches: the
// quantized kernels convert a block scale per 32 or 256 weights, and this runs in their loops.
inline float F16ToF32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t bits = uint32_t(h & 0x7fff) << 13;
  const float rebiased = std::bit_cast<float>(bits) * 0x1p112f;
  const uint32_t magnitude =
      (h & 0x7c00) == 0x7c00 ? (bits | 0x7f800000u) : std::bit_cast<uint32_t>(rebiased);
  return std::bit_cast<float>(magnitude | sign);
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
