// The storage types a tensor can have, and the one table that describes them (STYLE.md practice 1).
//
// Every tool and test iterates kQTypeTraits instead of switching on the enum. A row gives the name
// used in files and on the command line, the ggml type id written into GGUF files, the block
// geometry (elements per block, bytes per block) and the scalar reference conversion of a row to
// float. Quantized types add rows here as they land.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace qforge {

enum class QType : uint8_t {
  kF32,
  kF16,
  kBF16,
  kQ8_0,
  kQ4_0,
  kQ4_1,
  kQ5_0,
  kQ5_1,
  kQ2_K,
  kQ3_K,
  kQ4_K,
  kQ5_K,
  kQ6_K,
  kIQ4_NL,
  kQ8_1,  // activation-only: the 8-bit partner of Q4_1/Q5_1 dot products
  kQ8_K,  // activation-only: the 8-bit partner of k-quant dot products
  // qforge-native types (core/qblocks_native.h); ggml has none of them, so never in GGUF.
  kINT8,
  kINT4_G32,
  kINT4_G64,
  kINT4_G128,
  kINT4_G32_Z,
  kINT4_G64_Z,
  kINT4_G128_Z,
  kINT4_ROW,
  kINT4_ROW_Z,
  kINT3_G32,
  kINT3_G64,
  kINT3_G128,
  kINT3_G32_Z,
  kINT3_G64_Z,
  kINT3_G128_Z,
  kINT3_ROW,
  kINT3_ROW_Z,
  kINT2_G32,
  kINT2_G64,
  kINT2_G128,
  kINT2_G32_Z,
  kINT2_G64_Z,
  kINT2_G128_Z,
  kINT2_ROW,
  kINT2_ROW_Z,
  kNF4,
  kNF4_DQ,
  kFP4,
  kFP8_E4M3,
  kFP8_E5M2,
  kFP8_E4M3_T,
  kFP8_E5M2_T,
  // INT8's storage with other inference paths (kernels/): W8A8 rounds activations per token to int8
  // (SmoothQuant's runtime); LLM_INT8 sends outlier input columns through f32 (LLM.int8()).
  kW8A8,
  kLLM_INT8,
  kCount,
};
inline constexpr size_t kQTypeCount = size_t(QType::kCount);

// Converts `n` elements (a multiple of block_size) from storage to float.
using DequantizeRowFn = void (*)(const void* src, float* dst, int64_t n);
// Converts `n` floats (a multiple of block_size) to storage.
using QuantizeRowFn = void (*)(const float* src, void* dst, int64_t n);

struct QTypeTraits {
  QType type;
  std::string_view name;  // as in GGUF/llama.cpp: "F32", "F16", "BF16", "Q4_K", ...
  int ggml_type;          // ggml_type enum value in GGUF tensor infos
  int64_t block_size;     // elements per block
  size_t block_bytes;     // bytes per block
  DequantizeRowFn dequantize_row;
  QuantizeRowFn quantize_row;  // null where quantization needs a method (calibration, search)
  // Bytes at the start of every row before its blocks: the f32 per-row scale (and zero point) of
  // per-channel types such as INT8, FP8_E4M3 and INT4_ROW. Rows stay self-contained: the row
  // codecs read and write the whole row, header included, and `n` counts its elements.
  size_t row_header_bytes = 0;
};

const QTypeTraits& Traits(QType type);
std::optional<QType> QTypeFromGgml(int ggml_type);
std::optional<QType> QTypeFromName(std::string_view name);  // case-insensitive

// Bytes of a row of `n` elements; n must be a multiple of the block size.
inline size_t RowBytes(QType type, int64_t n) {
  const QTypeTraits& t = Traits(type);
  return t.row_header_bytes + size_t(n / t.block_size) * t.block_bytes;
}
// Storage bits per weight including block scales, e.g. 4.5 for Q4_0 (a per-row header, 32 or 64
// bits per row, is not included: it depends on the row length).
inline double BitsPerWeight(QType type) {
  const QTypeTraits& t = Traits(type);
  return 8.0 * double(t.block_bytes) / double(t.block_size);
}

}  // namespace qforge
