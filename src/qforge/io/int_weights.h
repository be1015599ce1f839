// The unpacked integer form of a group-quantized linear weight, shared by the GPTQ and AWQ layouts
// (gptq_layout.h, awq_layout.h): per element an integer code q, per (output row, group) an f16
// scale s and an integer zero point z, and W[o][i] = s[o][g(i)] * (q[o][i] - z[o][g(i)]).
//
// qforge's INT types (core/qblocks_native.h) convert to it and back:
//   INTb_Gg     group g, z = 2^(b-1)           INTb_Gg_Z   group g, z from the block
//   INTb_ROW    group = in, z = 2^(b-1)        INTb_ROW_Z  group = in, z from the row header
//   INT8        bits 8, group = in, q = code + 128, z = 128 (the int8 code shifted to unsigned)
// GPTQ and AWQ store scales as f16. The group types already hold f16 scales (exact); the per-row
// types hold an f32 scale, which is rounded to f16 on the way out (`scales_rounded` says whether
// any value changed), so their export is not bit-exact.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/core/qtype.h"
#include "qforge/core/tensor.h"
#include "qforge/io/safetensors_file.h"

namespace qforge::io {

struct IntWeights {
  int bits = 4;
  int64_t out = 0, in = 0;
  int64_t group = 0;             // inputs per group; == in for one group per row
  bool per_row = false;          // one group per row by construction (group_size -1, INTb_ROW)
  std::vector<uint8_t> codes;    // [out, in] row-major, each in [0, 2^bits)
  std::vector<int32_t> zeros;    // [out, groups]
  std::vector<uint16_t> scales;  // [out, groups], f16 bits
  std::vector<int32_t> g_idx;    // [in] group of each input; empty: i / group
  bool scales_rounded = false;   // f32 scales were rounded to f16 (per-row types)

  int64_t groups() const { return group > 0 ? (in + group - 1) / group : 0; }
  int32_t GroupOf(int64_t i) const { return g_idx.empty() ? int32_t(i / group) : g_idx[i]; }
};

// Bits, group size (0 = one group per row) and zero-point flag of a qforge INT type; nullopt for
// every other type (INT8's inference variants W8A8 and LLM_INT8 included: a GPTQ file cannot say
// how activations are treated).
struct IntTypeInfo {
  int bits;
  int group;  // 32, 64, 128, or 0 for one group per row
  bool zero;  // INTb_*_Z
};
std::optional<IntTypeInfo> IntTypeOf(QType type);

// The integer form of a 2-D INT-type tensor. Throws Error{kInvalidInput} naming the tensor for
// another type or a size that does not match its shape.
IntWeights IntWeightsFromTensor(const TensorView& t);

// The qforge tensor holding exactly these weights: the INT type of the same bits and group (a
// per-row type when per_row) when there is one (symmetric when every zero is 2^(bits-1), g_idx is i
// / group and zeros fit the type), else F32 with every element dequantized exactly (an f16 scale
// times an integer of at most 9 bits is exact in f32). `exact_type` is set false in the F32 case.
// The bytes live in `owner`.
TensorView TensorFromIntWeights(const IntWeights& w, std::shared_ptr<const void>& owner,
                                bool& exact_type);

// W[o][i] as float (the formula above).
std::vector<float> DequantizeIntWeights(const IntWeights& w);

// Code i of an LSB-first bit stream of `bits`-bit codes held in 32-bit words words[0],
// words[stride], words[2 * stride], ...: code i occupies bits [i * bits, (i + 1) * bits) counted
// from bit 0 of the first word, so a 3-bit code may straddle two words (GPTQ's packing along a
// column of qweight or a row of qzeros). SetBitField ORs the value (its low `bits` bits) in.
uint32_t GetBitField(const uint32_t* words, int64_t stride, int64_t i, int bits);
void SetBitField(uint32_t* words, int64_t stride, int64_t i, int bits, uint32_t value);

// tensors[name], checked to have `dtype` ("I32", "F16") and `shape`; its values copied out (the
// file does not promise alignment). Errors (kInvalidInput) name `path` and the tensor.
template <typename T>
std::vector<T> RawValues(const std::map<std::string, StRawTensor>& tensors, const std::string& name,
                         std::string_view dtype, const std::vector<int64_t>& shape,
                         const std::string& path);
void CheckRawTensor(const std::map<std::string, StRawTensor>& tensors, const std::string& name,
                    std::string_view dtype, const std::vector<int64_t>& shape,
                    const std::string& path);

template <typename T>
std::vector<T> RawValues(const std::map<std::string, StRawTensor>& tensors, const std::string& name,
                         std::string_view dtype, const std::vector<int64_t>& shape,
                         const std::string& path) {
  CheckRawTensor(tensors, name, dtype, shape, path);
  const StRawTensor& t = tensors.at(name);
  std::vector<T> v(t.bytes.size() / sizeof(T));
  std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace qforge::io
