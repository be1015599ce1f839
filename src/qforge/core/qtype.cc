// The qtype traits table: the only place that lists the storage types.
#include "qforge/core/qtype.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>

#include "qforge/core/error.h"
#include "qforge/core/half.h"
#include "qforge/core/qblocks.h"
#include "qforge/core/qblocks_kquants.h"
#include "qforge/core/qblocks_native.h"

namespace qforge {
namespace {

void DequantizeF32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, size_t(n) * 4); }
void QuantizeF32(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, size_t(n) * 4); }

void DequantizeF16(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = F16ToF32(s[i]);
}
void QuantizeF16(const float* src, void* dst, int64_t n) {
  auto* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = F32ToF16(src[i]);
}
void DequantizeBF16(const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = BF16ToF32(s[i]);
}
void QuantizeBF16(const float* src, void* dst, int64_t n) {
  auto* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = F32ToBF16(src[i]);
}

// Indexed by QType; ggml ids from ggml.h's enum ggml_type.
constexpr QTypeTraits kQTypeTraits[] = {
    {QType::kF32, "F32", 0, 1, 4, DequantizeF32, QuantizeF32},
    {QType::kF16, "F16", 1, 1, 2, DequantizeF16, QuantizeF16},
    {QType::kBF16, "BF16", 30, 1, 2, DequantizeBF16, QuantizeBF16},
    {QType::kQ8_0, "Q8_0", 8, kLegacyBlockSize, sizeof(BlockQ8_0), DequantizeRowQ8_0,
     QuantizeRowQ8_0},
    {QType::kQ4_0, "Q4_0", 2, kLegacyBlockSize, sizeof(BlockQ4_0), DequantizeRowQ4_0,
     QuantizeRowQ4_0},
    {QType::kQ4_1, "Q4_1", 3, kLegacyBlockSize, sizeof(BlockQ4_1), DequantizeRowQ4_1,
     QuantizeRowQ4_1},
    {QType::kQ5_0, "Q5_0", 6, kLegacyBlockSize, sizeof(BlockQ5_0), DequantizeRowQ5_0,
     QuantizeRowQ5_0},
    {QType::kQ5_1, "Q5_1", 7, kLegacyBlockSize, sizeof(BlockQ5_1), DequantizeRowQ5_1,
     QuantizeRowQ5_1},
    {QType::kQ2_K, "Q2_K", 10, kQK_K, sizeof(BlockQ2_K), DequantizeRowQ2_K, QuantizeRowQ2_K},
    {QType::kQ3_K, "Q3_K", 11, kQK_K, sizeof(BlockQ3_K), DequantizeRowQ3_K, QuantizeRowQ3_K},
    {QType::kQ4_K, "Q4_K", 12, kQK_K, sizeof(BlockQ4_K), DequantizeRowQ4_K, QuantizeRowQ4_K},
    {QType::kQ5_K, "Q5_K", 13, kQK_K, sizeof(BlockQ5_K), DequantizeRowQ5_K, QuantizeRowQ5_K},
    {QType::kQ6_K, "Q6_K", 14, kQK_K, sizeof(BlockQ6_K), DequantizeRowQ6_K, QuantizeRowQ6_K},
    {QType::kIQ4_NL, "IQ4_NL", 20, kQK4_NL, sizeof(BlockIQ4_NL), DequantizeRowIQ4_NL,
     QuantizeRowIQ4_NL},
    {QType::kQ8_1, "Q8_1", 9, kQK8_1, sizeof(BlockQ8_1), DequantizeRowQ8_1, QuantizeRowQ8_1},
    {QType::kQ8_K, "Q8_K", 15, kQK_K, sizeof(BlockQ8_K), DequantizeRowQ8_K, QuantizeRowQ8_K},
    // qforge-native types (core/qblocks_native.h): ggml_type -1, so never read from or written to
    // GGUF. Per-row types store their f32 scale (and zero) in a row header.
    {QType::kINT8, "INT8", -1, 1, 1, DequantizeRowInt8, QuantizeRowInt8, sizeof(RowHeaderScale)},
    {QType::kINT4_G32, "INT4_G32", -1, 32, sizeof(BlockIntSym<4, 32>),
     DequantizeRowIntGroup<4, 32, false>, QuantizeRowIntGroup<4, 32, false>},
    {QType::kINT4_G64, "INT4_G64", -1, 64, sizeof(BlockIntSym<4, 64>),
     DequantizeRowIntGroup<4, 64, false>, QuantizeRowIntGroup<4, 64, false>},
    {QType::kINT4_G128, "INT4_G128", -1, 128, sizeof(BlockIntSym<4, 128>),
     DequantizeRowIntGroup<4, 128, false>, QuantizeRowIntGroup<4, 128, false>},
    {QType::kINT4_G32_Z, "INT4_G32_Z", -1, 32, sizeof(BlockIntAsym<4, 32>),
     DequantizeRowIntGroup<4, 32, true>, QuantizeRowIntGroup<4, 32, true>},
    {QType::kINT4_G64_Z, "INT4_G64_Z", -1, 64, sizeof(BlockIntAsym<4, 64>),
     DequantizeRowIntGroup<4, 64, true>, QuantizeRowIntGroup<4, 64, true>},
    {QType::kINT4_G128_Z, "INT4_G128_Z", -1, 128, sizeof(BlockIntAsym<4, 128>),
     DequantizeRowIntGroup<4, 128, true>, QuantizeRowIntGroup<4, 128, true>},
    {QType::kINT4_ROW, "INT4_ROW", -1, IntRowUnit(4), size_t(IntRowUnit(4) * 4 / 8),
     DequantizeRowIntRow<4, false>, QuantizeRowIntRow<4, false>, sizeof(RowHeaderScale)},
    {QType::kINT4_ROW_Z, "INT4_ROW_Z", -1, IntRowUnit(4), size_t(IntRowUnit(4) * 4 / 8),
     DequantizeRowIntRow<4, true>, QuantizeRowIntRow<4, true>, sizeof(RowHeaderScaleZero)},
    {QType::kINT3_G32, "INT3_G32", -1, 32, sizeof(BlockIntSym<3, 32>),
     DequantizeRowIntGroup<3, 32, false>, QuantizeRowIntGroup<3, 32, false>},
    {QType::kINT3_G64, "INT3_G64", -1, 64, sizeof(BlockIntSym<3, 64>),
     DequantizeRowIntGroup<3, 64, false>, QuantizeRowIntGroup<3, 64, false>},
    {QType::kINT3_G128, "INT3_G128", -1, 128, sizeof(BlockIntSym<3, 128>),
     DequantizeRowIntGroup<3, 128, false>, QuantizeRowIntGroup<3, 128, false>},
    {QType::kINT3_G32_Z, "INT3_G32_Z", -1, 32, sizeof(BlockIntAsym<3, 32>),
     DequantizeRowIntGroup<3, 32, true>, QuantizeRowIntGroup<3, 32, true>},
    {QType::kINT3_G64_Z, "INT3_G64_Z", -1, 64, sizeof(BlockIntAsym<3, 64>),
     DequantizeRowIntGroup<3, 64, true>, QuantizeRowIntGroup<3, 64, true>},
    {QType::kINT3_G128_Z, "INT3_G128_Z", -1, 128, sizeof(BlockIntAsym<3, 128>),
     DequantizeRowIntGroup<3, 128, true>, QuantizeRowIntGroup<3, 128, true>},
    {QType::kINT3_ROW, "INT3_ROW", -1, IntRowUnit(3), size_t(IntRowUnit(3) * 3 / 8),
     DequantizeRowIntRow<3, false>, QuantizeRowIntRow<3, false>, sizeof(RowHeaderScale)},
    {QType::kINT3_ROW_Z, "INT3_ROW_Z", -1, IntRowUnit(3), size_t(IntRowUnit(3) * 3 / 8),
     DequantizeRowIntRow<3, true>, QuantizeRowIntRow<3, true>, sizeof(RowHeaderScaleZero)},
    {QType::kINT2_G32, "INT2_G32", -1, 32, sizeof(BlockIntSym<2, 32>),
     DequantizeRowIntGroup<2, 32, false>, QuantizeRowIntGroup<2, 32, false>},
    {QType::kINT2_G64, "INT2_G64", -1, 64, sizeof(BlockIntSym<2, 64>),
     DequantizeRowIntGroup<2, 64, false>, QuantizeRowIntGroup<2, 64, false>},
    {QType::kINT2_G128, "INT2_G128", -1, 128, sizeof(BlockIntSym<2, 128>),
     DequantizeRowIntGroup<2, 128, false>, QuantizeRowIntGroup<2, 128, false>},
    {QType::kINT2_G32_Z, "INT2_G32_Z", -1, 32, sizeof(BlockIntAsym<2, 32>),
     DequantizeRowIntGroup<2, 32, true>, QuantizeRowIntGroup<2, 32, true>},
    {QType::kINT2_G64_Z, "INT2_G64_Z", -1, 64, sizeof(BlockIntAsym<2, 64>),
     DequantizeRowIntGroup<2, 64, true>, QuantizeRowIntGroup<2, 64, true>},
    {QType::kINT2_G128_Z, "INT2_G128_Z", -1, 128, sizeof(BlockIntAsym<2, 128>),
     DequantizeRowIntGroup<2, 128, true>, QuantizeRowIntGroup<2, 128, true>},
    {QType::kINT2_ROW, "INT2_ROW", -1, IntRowUnit(2), size_t(IntRowUnit(2) * 2 / 8),
     DequantizeRowIntRow<2, false>, QuantizeRowIntRow<2, false>, sizeof(RowHeaderScale)},
    {QType::kINT2_ROW_Z, "INT2_ROW_Z", -1, IntRowUnit(2), size_t(IntRowUnit(2) * 2 / 8),
     DequantizeRowIntRow<2, true>, QuantizeRowIntRow<2, true>, sizeof(RowHeaderScaleZero)},
    {QType::kNF4, "NF4", -1, kNF4BlockSize, sizeof(BlockNF4), DequantizeRowNF4, QuantizeRowNF4},
    {QType::kNF4_DQ, "NF4_DQ", -1, kNF4BlockSize, sizeof(BlockNF4), DequantizeRowNF4,
     QuantizeRowNF4DQ},
    {QType::kFP4, "FP4", -1, kNF4BlockSize, sizeof(BlockNF4), DequantizeRowFP4, QuantizeRowFP4},
    {QType::kFP8_E4M3, "FP8_E4M3", -1, 1, 1, DequantizeRowFP8E4M3, QuantizeRowFP8E4M3,
     sizeof(RowHeaderScale)},
    {QType::kFP8_E5M2, "FP8_E5M2", -1, 1, 1, DequantizeRowFP8E5M2, QuantizeRowFP8E5M2,
     sizeof(RowHeaderScale)},
    // Per-tensor scale: QuantizeTensor gives every row the tensor's scale; quantize_row alone
    // treats its row as the whole tensor.
    {QType::kFP8_E4M3_T, "FP8_E4M3_T", -1, 1, 1, DequantizeRowFP8E4M3, QuantizeRowFP8E4M3,
     sizeof(RowHeaderScale)},
    {QType::kFP8_E5M2_T, "FP8_E5M2_T", -1, 1, 1, DequantizeRowFP8E5M2, QuantizeRowFP8E5M2,
     sizeof(RowHeaderScale)},
    // INT8's bytes; only the matrix product differs (kernels/matmul_int8_act.h).
    {QType::kW8A8, "W8A8", -1, 1, 1, DequantizeRowInt8, QuantizeRowInt8, sizeof(RowHeaderScale)},
    {QType::kLLM_INT8, "LLM_INT8", -1, 1, 1, DequantizeRowInt8, QuantizeRowInt8,
     sizeof(RowHeaderScale)},
};
static_assert(std::size(kQTypeTraits) == kQTypeCount, "one traits row per QType");

constexpr bool RowsInEnumOrder() {
  for (size_t i = 0; i < kQTypeCount; ++i)
    if (size_t(kQTypeTraits[i].type) != i) return false;
  return true;
}
static_assert(RowsInEnumOrder(), "kQTypeTraits rows must follow the enum order");

}  // namespace

const QTypeTraits& Traits(QType type) {
  QF_CHECK(size_t(type) < kQTypeCount);
  return kQTypeTraits[size_t(type)];
}

std::optional<QType> QTypeFromGgml(int ggml_type) {
  if (ggml_type < 0) return std::nullopt;  // -1 marks the qforge-native types: not ggml types
  for (const QTypeTraits& t : kQTypeTraits)
    if (t.ggml_type == ggml_type) return t.type;
  return std::nullopt;
}

std::optional<QType> QTypeFromName(std::string_view name) {
  for (const QTypeTraits& t : kQTypeTraits) {
    if (std::equal(name.begin(), name.end(), t.name.begin(), t.name.end(),
                   [](char a, char b) { return std::toupper(a) == std::toupper(b); }))
      return t.type;
  }
  return std::nullopt;
}

}  // namespace qforge
