// AWQ GEMM linear weights as AutoAWQ writes them (awq/modules/linear/gemm.py, WQLinear_GEMM
// .from_linear; "version": "gemm") and vLLM / transformers read them. 4 bits only. For a layer P
// with W [out, in] and groups of g inputs:
//   P.qweight  I32 [in, out / 8]       codes packed along the OUTPUT dimension: word c of input row
//                                      i holds outputs 8c .. 8c+7 in the interleaved order
//                                      [0, 2, 4, 6, 1, 3, 5, 7], nibble k (bits 4k..4k+3) holding
//                                      output 8c + order[k]
//   P.qzeros   I32 [in / g, out / 8]   zero points as they are (no minus one), packed the same way
//   P.scales   F16 [in / g, out]
// and W[o][i] = scales[i / g][o] * (q - zero). AutoAWQ's GEMM layout always carries zero points
// (from_linear asserts zeros is not None); a symmetric INT4_Gg tensor is written with every zero
// 8 and reads back as INT4_Gg.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qforge/io/int_weights.h"
#include "qforge/io/safetensors_file.h"

namespace qforge::io {

// AutoAWQ's order_map: nibble k of a word holds output 8c + kAwqOrder[k].
inline constexpr int kAwqOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};

struct AwqWeight {
  int64_t in = 0, out = 0, groups = 0;
  std::vector<int32_t> qweight;  // [in, out / 8]
  std::vector<int32_t> qzeros;   // [groups, out / 8]
  std::vector<uint16_t> scales;  // [groups, out], f16 bits
};

// Packs `w` (4 bits, contiguous groups that divide the row). Errors (kInvalidInput) name `name`.
AwqWeight PackAwq(const IntWeights& w, const std::string& name);

// Reads P.qweight / .qzeros / .scales (`prefix` is "P") for a file of `bits` and `group_size`
// (-1: one group per row). Errors name the tensor: kUnsupported for bits other than 4,
// kInvalidInput for wrong dtypes or shapes.
IntWeights UnpackAwq(const std::map<std::string, StRawTensor>& tensors, const std::string& prefix,
                     int bits, int group_size, const std::string& path);

}  // namespace qforge::io
