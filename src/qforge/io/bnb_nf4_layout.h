// bitsandbytes' serialized form of a 4-bit linear weight (Params4bit in a transformers checkpoint),
// to and from qforge's NF4 / NF4_DQ / FP4 tensors.
//
// For a weight W of shape [out, in] saved under name P ("model.layers.0.self_attn.q_proj.weight"),
// bitsandbytes (nn/modules.py Params4bit._save_to_state_dict, functional.py QuantState.as_dict with
// packed=True) writes:
//   P                                   U8 [numel/2, 1]  W flattened row-major, blocks of 64;
//                                                        byte j = code(2j) << 4 | code(2j+1)
//   P.absmax                            F32 [numel/64]   per-block absmax
//                                       U8  [numel/64]   with double quantization: 8-bit codes
//   P.quant_map                         F32 [16]         the 4-bit table (NF4 or FP4)
//   P.nested_absmax                     F32 [ceil(blocks/256)]   double quantization only
//   P.nested_quant_map                  F32 [256]        bnb's signed dynamic map, idem
//   P.quant_state.bitsandbytes__nf4     U8 [len]         UTF-8 JSON of the other fields:
//     {"quant_type": "nf4", "blocksize": 64, "dtype": "float16", "shape": [out, in]
//      [, "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": mean(absmax)]}
// qforge's BlockNF4 already holds bnb's packed bytes (qblocks_native.h), so packing is a copy of
// the codes and a split of the absmax values; qforge requires in % 64 == 0 so that blocks never
// straddle rows.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qforge/core/qblocks_native.h"
#include "qforge/core/tensor.h"
#include "qforge/io/safetensors_file.h"

namespace qforge::io {

struct BnbNf4Weight {
  std::vector<int64_t> shape;   // [out, in] of the weight itself
  std::vector<uint8_t> packed;  // P
  bool double_quant = false;
  std::vector<float> absmax;  // P.absmax without double quantization
  NF4DoubleQuant dq;          // with it: P.absmax (codes), P.nested_absmax, nested_offset
  std::string quant_state;    // P.quant_state.bitsandbytes__nf4 (JSON text)
};

// The serialized form of an NF4 tensor (exact per-block absmax, not NF4_DQ's). `dtype` is the
// torch dtype bnb dequantizes to ("float16", "bfloat16", "float32"). Throws Error{kInvalidInput}
// for another type or a shape that is not 2-D with in % 64 == 0.
BnbNf4Weight PackBnbNf4(const TensorView& nf4, bool double_quant, const std::string& dtype);

// Suffix of the JSON blob that marks a bnb 4-bit weight, for quant types "nf4" and "fp4".
inline constexpr std::string_view kBnbQuantStatePrefix = ".quant_state.bitsandbytes__";

// Reads the weight P from the tensors of a checkpoint (all dtypes, by name): an NF4 tensor, NF4_DQ
// when double-quantized (absmax = code * nested_absmax + offset, as bnb dequantizes), or FP4. The
// returned view's bytes live in `owner`. Errors name `path` and P: kInvalidInput for inconsistent
// parts, kUnsupported for layouts qforge cannot hold (blocksize != 64, in % 64 != 0, double-
// quantized FP4, a quant_map that is not bnb's table).
TensorView UnpackBnbNf4(const std::map<std::string, StRawTensor>& tensors,
                        const std::string& weight, const std::string& path,
                        std::shared_ptr<const void>& owner);

}  // namespace qforge::io
