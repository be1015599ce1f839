// GPTQ linear weights as AutoGPTQ / GPTQModel write them with "checkpoint_format": "gptq" (v1) and
// vLLM / transformers read them (AutoGPTQ nn_modules/qlinear/qlinear_cuda_old.py, pack and the
// torch fallback of forward). For a layer P with W [out, in], `bits` b and groups of g inputs:
//   P.qweight  I32 [in * b / 32, out]       codes packed along the INPUT dimension: column o is an
//                                           LSB-first bit stream of the codes of inputs 0, 1, ...
//                                           (input i of word k sits at bits b * (i % (32 / b)) for
//                                           b = 2, 4, 8; for b = 3, 32 inputs fill 3 words and
//                                           inputs 10 and 21 straddle two words)
//   P.qzeros   I32 [groups, out * b / 32]   zero points minus one (the v1 convention), packed along
//                                           the OUTPUT dimension the same way; a symmetric layer
//                                           stores 2^(b-1) - 1
//   P.scales   F16 [groups, out]
//   P.g_idx    I32 [in]                     group of input i: i / g (other values: act-order)
// and W[o][i] = scales[g][o] * (q - (qzeros[g][o] + 1)) with g = g_idx[i]. group_size -1 means one
// group per row (groups = 1).
//
// v1 cannot store a zero point of 0 (zero - 1 = -1 would set every higher bit of the word); export
// refuses it, naming the tensor, row and group. qforge's per-row types (INTb_ROW, INT8) have f32
// scales, which the export rounds to f16 (int_weights.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qforge/io/int_weights.h"
#include "qforge/io/safetensors_file.h"

namespace qforge::io {

struct GptqWeight {
  int64_t in = 0, out = 0, groups = 0;
  std::vector<int32_t> qweight;  // [in * bits / 32, out]
  std::vector<int32_t> qzeros;   // [groups, out * bits / 32]
  std::vector<uint16_t> scales;  // [groups, out], f16 bits
  std::vector<int32_t> g_idx;    // [in]
};

// Packs `w` (bits 2, 3, 4 or 8). Errors (kInvalidInput) name `name`: other bits, in * bits or
// out * bits not a multiple of 32, a zero point outside [1, 2^bits] (0 is not storable in v1).
GptqWeight PackGptq(const IntWeights& w, const std::string& name);

// Reads P.qweight / .qzeros / .scales / .g_idx (`prefix` is "P", without the dot) from a
// checkpoint's tensors, for a file of `bits` and `group_size` (-1: one group per row). A missing
// g_idx means i / group_size. Errors name the tensor: kUnsupported for bits other than 2, 3, 4, 8;
// kInvalidInput for wrong dtypes or shapes, g_idx out of range.
IntWeights UnpackGptq(const std::map<std::string, StRawTensor>& tensors, const std::string& prefix,
                      int bits, int group_size, const std::string& path);

}  // namespace qforge::io
