// GGUF-compatible block layouts of ggml's k-quants (Q2_K..Q6_K), IQ4_NL and the activation blocks
// Q8_1 and Q8_K, with their reference row codecs.
//
// The structs are bit-identical to ggml-common.h (STYLE.md practice 2); the size static_asserts are
// the compatibility contract. A k-quant super-block holds kQK_K = 256 weights split into 16
// sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 8 sub-blocks of 32 (Q4_K, Q5_K); each sub-block has a
// small integer scale (and min) that is itself scaled by the f16 super-block scale d (and dmin).
// f16 fields are IEEE binary16 bits (core/half.h).
//
// The low-bit fields are packed in ggml's interleaved order, which is not the element order:
//  - 2-bit fields (Q2_K qs, Q3_K qs): the 256 elements form two halves of 128; in half h, byte
//    qs[32h + l] holds elements 128h + l + 32s in bits 2s..2s+1, s = 0..3.
//  - 4-bit fields (Q4_K qs, Q5_K qs): in each 64-element chunk c, byte qs[32c + l] holds element
//    64c + l in its low nibble and element 64c + 32 + l in its high nibble.
#pragma once

#include <cstdint>

namespace qforge {

inline constexpr int64_t kQK_K = 256;    // weights per k-quant super-block (ggml's QK_K)
inline constexpr int64_t kQK4_NL = 32;   // weights per IQ4_NL block
inline constexpr int64_t kQK8_1 = 32;    // weights per Q8_1 block
inline constexpr int kKScaleBytes = 12;  // ggml's K_SCALE_SIZE: 8 6-bit scales + 8 6-bit mins

#pragma pack(push, 1)
// Q2_K, 2.625 bits/weight: | scales:u8[16] | qs:u8[64] | d:f16 | dmin:f16 |.
// Sub-block j (16 weights): scales[j] = sc | m << 4 (4 bits each); x = d*sc*q - dmin*m, q in 0..3.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d;
  uint16_t dmin;
};
static_assert(sizeof(BlockQ2_K) == 84);

// Q3_K, 3.4375 bits/weight: | hmask:u8[32] | qs:u8[64] | scales:u8[12] | d:f16 |.
// Element i has a 3-bit code q = low2 | hbit << 2, with hbit = bit i/32 of hmask[i%32];
// x = d * (s - 32) * (q - 4). The 16 6-bit scales s: low nibbles of sub-blocks 0..7 in the low
// nibbles of scales[0..7], of 8..15 in the high nibbles of scales[0..7]; the top 2 bits of s_j are
// bits 2(j/4)..2(j/4)+1 of scales[8 + j%4].
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110);

// Q4_K, 4.5 bits/weight: | d:f16 | dmin:f16 | scales:u8[12] | qs:u8[128] |.
// Sub-block j (32 weights): x = d*sc_j*q - dmin*m_j, q in 0..15. The 6-bit sc_j, m_j (j = 0..7):
// for j < 4, sc_j = scales[j] & 63, m_j = scales[j + 4] & 63; for j >= 4, the low nibbles are in
// scales[j + 4] (sc low, m high) and the top 2 bits in bits 6..7 of scales[j - 4] (sc) and
// scales[j] (m).
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 144);

// Q5_K, 5.5 bits/weight: | d:f16 | dmin:f16 | scales:u8[12] | qh:u8[32] | qs:u8[128] |.
// As Q4_K with 5-bit codes q in 0..31: the fifth bit of element i is bit i/32 of qh[i%32].
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ5_K) == 176);

// Q6_K, 6.5625 bits/weight: | ql:u8[128] | qh:u8[64] | scales:i8[16] | d:f16 |.
// x = d * scales[i/16] * (q - 32), q in 0..63. In each 128-element half h, with l = 0..31:
// ql[64h + l] holds the low nibbles of elements 128h + l (low) and 128h + 64 + l (high),
// ql[64h + 32 + l] those of 128h + 32 + l and 128h + 96 + l; qh[32h + l] holds the top 2 bits of
// elements 128h + l + 32s in bits 2s..2s+1.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210);

// Q8_K (activations of k-quant dot products): | d:f32 | qs:i8[256] | bsums:i16[16] |, x = d * q;
// bsums[j] = sum of qs[16j .. 16j+15], used to apply the mins of Q2_K/Q4_K/Q5_K in one product.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};
static_assert(sizeof(BlockQ8_K) == 292);

// IQ4_NL, 4.5 bits/weight: | d:f16 | qs:u8[16] |, x = d * kIQ4NLValues[nibble]; nibbles as Q4_0
// (qs[j] holds element j low, element j + 16 high).
struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[kQK4_NL / 2];
};
static_assert(sizeof(BlockIQ4_NL) == 18);

// Q8_1 (activations of Q4_1/Q5_1 dot products): | d:f16 | s:f16 | qs:i8[32] |, x = d * q and
// s = d * sum(qs), which carries the min term of the weight block into the dot product.
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK8_1];
};
static_assert(sizeof(BlockQ8_1) == 36);
#pragma pack(pop)

// The non-uniform IQ4_NL code book (ggml's kvalues_iq4nl): denser near zero, where most weights
// are.
inline constexpr int8_t kIQ4NLValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// Sub-block j's 6-bit scale and min of Q4_K/Q5_K (ggml's get_scale_min_k4).
inline void KScaleMin(int j, const uint8_t* scales, uint8_t& sc, uint8_t& m) {
  if (j < 4) {
    sc = scales[j] & 63;
    m = scales[j + 4] & 63;
  } else {
    sc = uint8_t((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
    m = uint8_t((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
  }
}

// Sub-block j's signed 6-bit scale of Q3_K, already minus 32 (in -32..31).
inline int Q3KScale(int j, const uint8_t* scales) {
  const int low = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
  const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | high << 4) - 32;
}

// Row codecs with the traits-table signature; n is a multiple of the block size (256 for k-quants
// and Q8_K, 32 for IQ4_NL and Q8_1). Dequantization computes what ggml's dequantize_row_* does,
// quantization reproduces what llama-quantize writes without an importance matrix (ggml's
// quantize_row_*_ref; for IQ4_NL quantize_iq4_nl with 7 scale trials) bit for bit.
void DequantizeRowQ2_K(const void* src, float* dst, int64_t n);
void QuantizeRowQ2_K(const float* src, void* dst, int64_t n);
void DequantizeRowQ3_K(const void* src, float* dst, int64_t n);
void QuantizeRowQ3_K(const float* src, void* dst, int64_t n);
void DequantizeRowQ4_K(const void* src, float* dst, int64_t n);
void QuantizeRowQ4_K(const float* src, void* dst, int64_t n);
void DequantizeRowQ5_K(const void* src, float* dst, int64_t n);
void QuantizeRowQ5_K(const float* src, void* dst, int64_t n);
void DequantizeRowQ6_K(const void* src, float* dst, int64_t n);
void QuantizeRowQ6_K(const float* src, void* dst, int64_t n);
void DequantizeRowIQ4_NL(const void* src, float* dst, int64_t n);
void QuantizeRowIQ4_NL(const float* src, void* dst, int64_t n);
void DequantizeRowQ8_1(const void* src, float* dst, int64_t n);
void QuantizeRowQ8_1(const float* src, void* dst, int64_t n);
void DequantizeRowQ8_K(const void* src, float* dst, int64_t n);
void QuantizeRowQ8_K(const float* src, void* dst, int64_t n);

}  // namespace qforge
