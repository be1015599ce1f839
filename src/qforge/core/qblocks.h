// GGUF-compatible block layouts of ggml's "legacy" quantized types and their reference row codecs.
//
// The structs are bit-identical to ggml-common.h (STYLE.md practice 2): the size static_asserts are
// the compatibility contract, since GGUF files store these blocks verbatim. Every block holds 32
// weights. Scales are IEEE f16 bits (core/half.h). Packed nibbles follow ggml: byte qs[j] holds
// element j in its low nibble and element j + 16 in its high nibble; Q5's fifth bits are in the
// little-endian 32-bit word qh, bit j for element j (j < 32).
#pragma once

#include <cstdint>

namespace qforge {

inline constexpr int64_t kLegacyBlockSize = 32;

#pragma pack(push, 1)
// Q8_0, 8.5 bits/weight: | d:f16 | qs:int8[32] |, x = d * q.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34);

// Q4_0, 4.5 bits/weight: | d:f16 | qs:u8[16] |, x = d * (nibble - 8).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18);

// Q4_1, 5 bits/weight: | d:f16 | m:f16 | qs:u8[16] |, x = d * nibble + m.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_1) == 20);

// Q5_0, 5.5 bits/weight: | d:f16 | qh:u8[4] | qs:u8[16] |, x = d * (q5 - 16) where
// q5 = nibble | (qh bit) << 4.
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_0) == 22);

// Q5_1, 6 bits/weight: | d:f16 | m:f16 | qh:u8[4] | qs:u8[16] |, x = d * q5 + m.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_1) == 24);
#pragma pack(pop)

// Row codecs with the traits-table signature; n is a multiple of 32. Quantization reproduces
// ggml's quantize_row_*_ref bit for bit (the same f32 operations in the same order).
void DequantizeRowQ8_0(const void* src, float* dst, int64_t n);
void QuantizeRowQ8_0(const float* src, void* dst, int64_t n);
void DequantizeRowQ4_0(const void* src, float* dst, int64_t n);
void QuantizeRowQ4_0(const float* src, void* dst, int64_t n);
void DequantizeRowQ4_1(const void* src, float* dst, int64_t n);
void QuantizeRowQ4_1(const float* src, void* dst, int64_t n);
void DequantizeRowQ5_0(const void* src, float* dst, int64_t n);
void QuantizeRowQ5_0(const float* src, void* dst, int64_t n);
void DequantizeRowQ5_1(const void* src, float* dst, int64_t n);
void QuantizeRowQ5_1(const float* src, void* dst, int64_t n);

}  // namespace qforge
