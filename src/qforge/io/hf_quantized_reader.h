// Reading GPTQ and AWQ safetensors checkpoints (made by qforge or by AutoGPTQ, GPTQModel, AutoAWQ):
// config.json's quantization_config says the method, and every layer's qweight / qzeros / scales
// (/ g_idx) become one qforge tensor "<layer>.weight" in the [out, in] row layout (gptq_layout.h,
// awq_layout.h, int_weights.h). Rows stay in the file's order: the HF reader already treats the
// checkpoint as rotate-half (hf_checkpoint.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/io/safetensors_file.h"

namespace qforge::io {

struct HfIntQuantConfig {
  std::string method;  // "gptq" or "awq"
  int bits = 4;
  int group_size = 128;  // -1: one group per row
};

// quantization_config of a config.json: nullopt when it is absent or names another method
// (bitsandbytes, fp8: read elsewhere). Errors name `path`: kUnsupported for GPTQ formats other
// than v1 ("checkpoint_format" gptq or absent) and AWQ versions other than "gemm"; kInvalidInput
// for missing or non-integer bits / group_size.
std::optional<HfIntQuantConfig> ParseHfIntQuantConfig(const std::string& config_json,
                                                      const std::string& path);

// Every "<layer>.qweight" in `all` rebuilt as a tensor named "<layer>.weight" (HF names); its
// parts are erased from `all` and the bytes owned by ckpt.storage. A layer whose g_idx is not
// i / group_size (act-order from other tools) or whose geometry has no qforge INT type is
// dequantized exactly to F32, and ckpt.metadata["hf.quantization_note"] says so in one line.
std::vector<TensorView> ReadHfIntQuantWeights(std::map<std::string, StRawTensor>& all,
                                              const HfIntQuantConfig& config,
                                              const std::string& path, Checkpoint& ckpt);

}  // namespace qforge::io
