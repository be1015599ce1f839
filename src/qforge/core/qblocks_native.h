// qforge-native storage types (ggml has no equivalent; never written to GGUF): their block and row
// layouts and reference row codecs (quantize = round to nearest, dequantize).
//
// Families (names as in recipes and files):
//   INT8                  per-row symmetric int8; row header f32 scale d = absmax / 127.
//   INTb_Gg  (b = 4,3,2)  groups of g = 32/64/128, symmetric, f16 scale per group.
//   INTb_Gg_Z             the same, asymmetric: f16 scale and integer zero point per group.
//   INTb_ROW, INTb_ROW_Z  one group per row (per channel); the scale (and zero) in the row header.
//   NF4, FP4              bitsandbytes' 4-bit tables, blocks of 64, f32 absmax per block.
//   NF4_DQ                NF4 whose absmax values went through bitsandbytes' double quantization.
//   FP8_E4M3, FP8_E5M2    OCP float8 codes with a per-row f32 scale (absmax / max finite).
//   FP8_E4M3_T, _E5M2_T   the same with one scale per tensor, repeated in every row's header.
//
// The INT codecs follow GPTQ's RTN quantizer (AutoGPTQ quantization/quantizer.py, find_params and
// quantize) so that RTN here is GPTQ's RTN baseline: with maxq = 2^b - 1,
//   xmin = min(min x, 0), xmax = max(max x, 0); an all-zero group uses xmin = -1, xmax = 1;
//   symmetric:  xmax = max(|xmin|, xmax), xmin = -xmax, scale = (xmax - xmin) / maxq,
//               zero = (maxq + 1) / 2 (8 for 4 bits: codes q - 8 in [-8, 7]);
//   asymmetric: scale = (xmax - xmin) / maxq, zero = round(-xmin / scale);
//   q = clamp(round(x / scale) + zero, 0, maxq) with round half to even; x' = scale * (q - zero).
// Two documented deviations: (1) GPTQ's symmetric rule leaves xmin = 0 when a group has no
// negative value, so its grid cannot reach xmax (half the range clips); qforge always uses
// xmin = -xmax, which equals GPTQ whenever the group has a negative value. (2) Group scales are
// stored as f16, as GPTQ/AWQ checkpoints store them, and codes are computed with the stored
// (f16-rounded) scale so that x' is the nearest grid point of what is stored; scales beyond f16's
// range saturate at 65504 (larger weights clip, they never become Inf).
//
// Non-finite inputs: see native::FiniteRow (NaN reads as 0, +-Inf as the row's largest finite
// magnitude); finite inputs up to |x| = 1e37 never produce NaN or Inf (nearer to FLT_MAX an
// asymmetric grid point d * (q - z) may overflow).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qforge/core/qtype.h"

namespace qforge {

// -- Layouts --------------------------------------------------------------------------------------
// Codes are packed LSB-first (qblocks_native_util.h PackCodes): for 4 bits byte j holds code 2j in
// its low nibble and 2j+1 in its high nibble; 3-bit codes fill 3 bytes per 8 codes; 2-bit codes 4
// per byte. Every multi-byte field is little-endian.
#pragma pack(push, 1)
// INTb_Gg symmetric: | d:f16 | qs:u8[g*b/8] |, x = d * (q - 2^(b-1)).
template <int kBits, int kGroup>
struct BlockIntSym {
  uint16_t d;
  uint8_t qs[kGroup * kBits / 8];
};
// INTb_Gg_Z asymmetric: | d:f16 | z:u8 | qs:u8[g*b/8] |, x = d * (q - z), z in [0, 2^b - 1].
// (GPTQ packs z into b bits; one byte here keeps blocks byte-aligned: +4 bits per group.)
template <int kBits, int kGroup>
struct BlockIntAsym {
  uint16_t d;
  uint8_t z;
  uint8_t qs[kGroup * kBits / 8];
};
// NF4, NF4_DQ, FP4: | absmax:f32 | qs:u8[32] | (4.5 bits/weight). Nibble order is bitsandbytes':
// byte j holds element 2j in its HIGH nibble and element 2j+1 in its low nibble, so qs is exactly
// bnb's packed weight bytes for the block. x = table[code] * absmax.
struct BlockNF4 {
  float absmax;
  uint8_t qs[32];
};
// Row header of INT8, INTb_ROW and FP8*: | d:f32 |, then one code per element (packed for INTb).
struct RowHeaderScale {
  float d;
};
// Row header of INTb_ROW_Z: | d:f32 | z:i32 |.
struct RowHeaderScaleZero {
  float d;
  int32_t z;
};
#pragma pack(pop)

static_assert(sizeof(BlockIntSym<4, 32>) == 18 && sizeof(BlockIntSym<4, 64>) == 34 &&
              sizeof(BlockIntSym<4, 128>) == 66);
static_assert(sizeof(BlockIntAsym<4, 32>) == 19 && sizeof(BlockIntAsym<4, 64>) == 35 &&
              sizeof(BlockIntAsym<4, 128>) == 67);
static_assert(sizeof(BlockIntSym<3, 32>) == 14 && sizeof(BlockIntSym<3, 128>) == 50);
static_assert(sizeof(BlockIntAsym<3, 32>) == 15 && sizeof(BlockIntAsym<3, 128>) == 51);
static_assert(sizeof(BlockIntSym<2, 32>) == 10 && sizeof(BlockIntSym<2, 128>) == 34);
static_assert(sizeof(BlockIntAsym<2, 32>) == 11 && sizeof(BlockIntAsym<2, 128>) == 35);
static_assert(sizeof(BlockNF4) == 36);
static_assert(sizeof(RowHeaderScale) == 4 && sizeof(RowHeaderScaleZero) == 8);

inline constexpr int64_t kNF4BlockSize = 64;  // bitsandbytes' default blocksize for 4-bit weights
inline constexpr int64_t kNF4DoubleQuantBlock = 256;  // bnb's blocksize for the absmax values

// Elements per packed unit of a per-row INT type: the fewest codes that fill whole bytes.
constexpr int64_t IntRowUnit(int bits) { return bits == 3 ? 8 : 8 / bits; }

// -- Row codecs (traits-table signatures; n is a multiple of the type's block size) -------------
template <int kBits, int kGroup, bool kZero>
void QuantizeRowIntGroup(const float* src, void* dst, int64_t n);
template <int kBits, int kGroup, bool kZero>
void DequantizeRowIntGroup(const void* src, float* dst, int64_t n);
template <int kBits, bool kZero>
void QuantizeRowIntRow(const float* src, void* dst, int64_t n);
template <int kBits, bool kZero>
void DequantizeRowIntRow(const void* src, float* dst, int64_t n);

void QuantizeRowInt8(const float* src, void* dst, int64_t n);
void DequantizeRowInt8(const void* src, float* dst, int64_t n);

void QuantizeRowNF4(const float* src, void* dst, int64_t n);
void DequantizeRowNF4(const void* src, float* dst, int64_t n);  // also NF4_DQ
void QuantizeRowFP4(const float* src, void* dst, int64_t n);
void DequantizeRowFP4(const void* src, float* dst, int64_t n);
// NF4_DQ's row codec treats the row as the whole tensor (its own absmax mean and 256-blocks);
// QuantizeTensor applies bnb's tensor-wide double quantization.
void QuantizeRowNF4DQ(const float* src, void* dst, int64_t n);

void QuantizeRowFP8E4M3(const float* src, void* dst, int64_t n);
void DequantizeRowFP8E4M3(const void* src, float* dst, int64_t n);
void QuantizeRowFP8E5M2(const float* src, void* dst, int64_t n);
void DequantizeRowFP8E5M2(const void* src, float* dst, int64_t n);

// -- Elementary conversions, exposed for tests and exporters --------------------------------------
// bitsandbytes' tables (functional.py get_4bit_type, csrc/kernels.cu), indexed by code.
extern const float kNF4Levels[16];
extern const float kFP4Levels[16];
// bnb's kernels: a decision tree on x / absmax with strict '>' at each midpoint, so a value
// exactly on a midpoint takes the lower code (FP4: the lower magnitude, sign from x < 0).
uint8_t NF4Code(float normalized);
uint8_t FP4Code(float normalized);
// bnb's signed 8-bit dynamic map (create_dynamic_map(signed=True)), 256 values sorted ascending,
// and bnb's nearest-code search over it (dQuantize<0>; its tie rule is described in the .cc).
const float* DynamicMap8();
uint8_t DynamicMapCode(float normalized);

// OCP float8 conversions. Encoding rounds to nearest, ties to even, and saturates: finite values
// beyond the largest finite code become +-max (448 / 57344); +-Inf become +-448 for E4M3 (it has
// no Inf) and +-Inf for E5M2; NaN becomes 0x7f (E4M3) / 0x7e (E5M2), sign kept.
float E4M3ToF32(uint8_t code);
float E5M2ToF32(uint8_t code);
uint8_t F32ToE4M3(float x);
uint8_t F32ToE5M2(float x);
inline constexpr float kE4M3Max = 448.0f, kE5M2Max = 57344.0f;

// -- Whole tensors
// ---------------------------------------------------------------------------------- Quantizes a
// [rows, cols] f32 tensor to `type` (rows of RowBytes(type, cols) bytes). For most types this is
// quantize_row on each row; the per-tensor types differ: FP8_E4M3_T / FP8_E5M2_T use the whole
// tensor's absmax for every row's scale, and NF4_DQ double-quantizes the absmax values of the whole
// tensor as bitsandbytes does (mean offset, 8-bit dynamic codes in blocks of 256).
void QuantizeTensor(QType type, const float* src, int64_t rows, int64_t cols, void* dst);
// True for the types whose quantization needs the whole tensor (FP8_E4M3_T, FP8_E5M2_T, NF4_DQ):
// a caller that quantizes row by row must use QuantizeTensor (or, for FP8_*_T, the tensor's
// absmax / max with QuantizeRowFP8*WithScale on each row) to get their per-tensor semantics.
bool QuantizesPerTensor(QType type);

// Pieces of QuantizeTensor, for callers that stream rows: quantize one row with a given scale.
void QuantizeRowFP8E4M3WithScale(const float* src, void* dst, int64_t n, float scale);
void QuantizeRowFP8E5M2WithScale(const float* src, void* dst, int64_t n, float scale);
// NF4 over a whole tensor (rows * cols elements contiguous), then bnb's double quantization of the
// absmax values; every block's absmax is replaced by its double-quantized value, dequantized.
void QuantizeTensorNF4DQ(const float* src, int64_t rows, int64_t cols, void* dst);

// bnb's double quantization of a tensor's NF4 absmax values, in the form its checkpoints store:
// weight.absmax = codes (u8), weight.nested_absmax = absmax2 (f32, one per 256 blocks),
// weight.nested_quant_map = DynamicMap8(), nested_offset = offset. An exporter runs it on the
// exact absmax values (an NF4 tensor's), not on NF4_DQ's already double-quantized ones.
struct NF4DoubleQuant {
  float offset = 0;
  std::vector<float> absmax2;
  std::vector<uint8_t> codes;
  float Absmax(int64_t block) const;  // code[q] * absmax2 + offset: what bnb dequantizes
};
NF4DoubleQuant DoubleQuantizeAbsmax(const float* absmax, int64_t n);

}  // namespace qforge
