// The hardware `qforge recommend --hardware` knows: memory per device, bandwidth, and what each
// runs natively (bf16, int8, int4 weight kernels, FP8 E4M3) and with which serving engines.
//
// The table is data (hardware_table.cc), one row per device with the public spec facts cited
// beside it; the recommender reads the flags, it never tests device names.
#pragma once

#include <string_view>
#include <vector>

namespace qforge::plan {

// What a candidate format needs from the device to run at full speed.
enum class Feature {
  kBf16,    // bf16/fp16 matrix units (or, on a CPU, llama.cpp's 16-bit GGUF path)
  kInt8,    // int8 dot products (tensor cores, AVX-VNNI / AVX512-VNNI, ...)
  kInt4,    // 4-bit weight kernels (Marlin/ExLlama W4A16 on GPUs, llama.cpp's 4-bit blocks)
  kFp8,     // FP8 E4M3 matrix units (NVIDIA Hopper/Ada, AMD CDNA3)
  kHfGpu,   // served from safetensors by a GPU engine (vLLM, TGI, transformers): GPTQ, AWQ, FP8
  kGguf,    // llama.cpp runs GGUF here (CPU, CUDA, ROCm/HIP, Metal)
  kBnbNf4,  // bitsandbytes' NF4 kernels (CUDA)
};
std::string_view FeatureName(Feature feature);  // "fp8", "hf-gpu", ...

struct Hardware {
  std::string_view name;         // the --hardware value: "cpu", "a10g", "a100", "h100", ...
  std::string_view description;  // "NVIDIA A100 80GB SXM (Ampere, sm_80)"
  double memory_gb;              // memory of one typical device (decimal GB), the --memory default
  double bandwidth_gbs;          // memory bandwidth, GB/s (decode speed ~ bandwidth / bytes read)
  bool gpu;                      // a discrete accelerator (false: CPU, unified-memory SoC)
  std::vector<Feature> features;
  std::string_view citation;  // where the numbers come from

  bool Has(Feature feature) const;
};

// The table, in help order.
const std::vector<Hardware>& HardwareTable();
// By name (case-insensitive); throws Error{kInvalidInput} listing the known names.
const Hardware& FindHardware(std::string_view name);

}  // namespace qforge::plan
