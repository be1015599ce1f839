// FP8 linear weights as vLLM's "fp8" quantization method loads them (vllm/model_executor/layers/
// quantization/fp8.py; the AutoFP8 / llm-compressor checkpoint form), to and from qforge's FP8
// tensors:
//   P.weight        F8_E4M3 [out, in]   float8_e4m3fn codes, row-major
//   P.weight_scale  F32 []              one scale per tensor: W = code * scale
// qforge's FP8_E4M3_T rows are | scale:f32 | codes:u8[in] | with the same scale in every row, so
// the export drops the repeated headers. Reading also accepts a per-channel weight_scale [out, 1]
// (compressed-tensors' "channel" strategy), which becomes qforge's per-row FP8_E4M3.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qforge/core/tensor.h"
#include "qforge/io/safetensors_file.h"

namespace qforge::io {

struct Fp8Weight {
  std::vector<int64_t> shape;  // [out, in]
  std::vector<uint8_t> codes;  // P.weight
  float scale = 0;             // P.weight_scale
  bool e5m2 = false;           // F8_E5M2 instead of F8_E4M3
};

// The serialized form of an FP8_E4M3_T or FP8_E5M2_T tensor. Throws Error{kInvalidInput} for
// another type, a shape that is not 2-D, or rows whose scales differ (not a per-tensor tensor).
Fp8Weight PackFp8(const TensorView& fp8);

// Reads P.weight (an F8_E4M3 / F8_E5M2 tensor) and P.weight_scale from a checkpoint's tensors by
// name. `weight` is the name of the codes ("....q_proj.weight"); `scale_name` the scale's. Errors
// name `path` and the tensor (kInvalidInput: missing or misshapen scale).
TensorView UnpackFp8(const std::map<std::string, StRawTensor>& tensors, const std::string& weight,
                     const std::string& scale_name, const std::string& path,
                     std::shared_ptr<const void>& owner);

// "model.layers.0.mlp.up_proj.weight" -> "model.layers.0.mlp.up_proj.weight_scale".
std::string Fp8ScaleName(const std::string& weight);

}  // namespace qforge::io
