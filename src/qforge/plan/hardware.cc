// The hardware table (public spec sheets; decimal GB and GB/s as the vendors state them).
#include "qforge/plan/hardware.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "qforge/core/error.h"

namespace qforge::plan {
namespace {
using F = Feature;

// int4 here means fast 4-bit *weight* kernels (W4A16: dequantize in registers, multiply in 16
// bits), which every row has through some engine: Marlin/ExLlama on NVIDIA sm_80+, vLLM's
// Triton/HIP AWQ and GPTQ kernels on ROCm, llama.cpp's Q4 blocks on CPUs and Metal. FP8 needs the
// matrix units: Ampere (A10G, A100) has none, so FP8 checkpoints there only save memory.
const std::vector<Hardware> kTable = {
    {"cpu",
     "x86-64 server or desktop CPU (llama.cpp)",
     64,
     90,
     false,
     {F::kBf16, F::kInt8, F::kInt4, F::kGguf},
     // DDR5-5600 x 2 channels x 8 bytes = 89.6 GB/s; int8 dot products with AVX-VNNI /
     // AVX512-VNNI (Intel Ice Lake+, AMD Zen 4); 64 GB is a typical workstation, pass --memory.
     "DDR5-5600 dual channel; Intel/AMD ISA manuals (VNNI)"},
    {"a10g",
     "NVIDIA A10G 24GB (Ampere GA102, sm_86; AWS g5)",
     24,
     600,
     true,
     {F::kBf16, F::kInt8, F::kInt4, F::kHfGpu, F::kGguf, F::kBnbNf4},
     // 24 GB GDDR6 at 600 GB/s; third-generation tensor cores: TF32, BF16, FP16, INT8, INT4; no
     // FP8.
     "AWS G5 instance and NVIDIA A10 datasheets"},
    {"a100",
     "NVIDIA A100 80GB SXM (Ampere, sm_80)",
     80,
     2039,
     true,
     {F::kBf16, F::kInt8, F::kInt4, F::kHfGpu, F::kGguf, F::kBnbNf4},
     // 80 GB HBM2e at 2,039 GB/s; BF16 312 TFLOPS, INT8 624 TOPS, INT4 1,248 TOPS; no FP8.
     "NVIDIA A100 Tensor Core GPU datasheet"},
    {"h100",
     "NVIDIA H100 80GB SXM (Hopper, sm_90)",
     80,
     3350,
     true,
     {F::kBf16, F::kInt8, F::kInt4, F::kFp8, F::kHfGpu, F::kGguf, F::kBnbNf4},
     // 80 GB HBM3 at 3.35 TB/s; FP8 (E4M3, E5M2) tensor cores at twice the BF16 rate; Hopper
     // dropped INT4 tensor-core MMA, 4-bit weights run through W4A16 kernels (Marlin, Machete).
     "NVIDIA H100 Tensor Core GPU datasheet; Hopper architecture whitepaper"},
    {"h200",
     "NVIDIA H200 141GB SXM (Hopper, sm_90)",
     141,
     4800,
     true,
     {F::kBf16, F::kInt8, F::kInt4, F::kFp8, F::kHfGpu, F::kGguf, F::kBnbNf4},
     // 141 GB HBM3e at 4.8 TB/s; the H100's compute (FP8 tensor cores).
     "NVIDIA H200 Tensor Core GPU datasheet"},
    {"mi300x",
     "AMD Instinct MI300X 192GB (CDNA3)",
     192,
     5300,
     true,
     {F::kBf16, F::kInt8, F::kInt4, F::kFp8, F::kHfGpu, F::kGguf},
     // 192 GB HBM3 at 5.3 TB/s; FP8 matrix cores in the FNUZ variants (e4m3fnuz: bias 8, no -0),
     // which vLLM converts OCP e4m3fn checkpoints to at load; bitsandbytes' ROCm port is partial.
     "AMD Instinct MI300X data sheet; CDNA3 ISA (FP8 formats)"},
    {"apple-m",
     "Apple M-series SoC, unified memory (M2 Pro class; llama.cpp Metal)",
     32,
     200,
     false,
     {F::kBf16, F::kInt4, F::kGguf},
     // M2 Pro: up to 32 GB unified memory at 200 GB/s (M2 Max 400, M2 Ultra 800 GB/s): pass
     // --memory for the machine at hand; the GPU has no int8 or FP8 matrix units; bf16 from M2 on.
     "Apple M2 Pro/Max/Ultra technical specifications"},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view FeatureName(Feature feature) {
  switch (feature) {
    case Feature::kBf16:
      return "bf16";
    case Feature::kInt8:
      return "int8";
    case Feature::kInt4:
      return "int4";
    case Feature::kFp8:
      return "fp8";
    case Feature::kHfGpu:
      return "hf-gpu";
    case Feature::kGguf:
      return "gguf";
    case Feature::kBnbNf4:
      return "bnb-nf4";
  }
  return "?";
}

bool Hardware::Has(Feature feature) const {
  return std::find(features.begin(), features.end(), feature) != features.end();
}

const std::vector<Hardware>& HardwareTable() { return kTable; }

const Hardware& FindHardware(std::string_view name) {
  const std::string want = Lower(name);
  for (const Hardware& h : kTable)
    if (h.name == want) return h;
  std::string names;
  for (const Hardware& h : kTable) names += (names.empty() ? "" : ", ") + std::string(h.name);
  Fail(ErrorKind::kInvalidInput, "--hardware '{}': not one of {}", name, names);
}

}  // namespace qforge::plan
