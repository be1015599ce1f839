// The recommend rules (recommend_rules.h): exclusions and preference orders, each with its reason
// and source. Edit here to change what `qforge recommend` advises; the engine only applies them.
#include "qforge/plan/recommend_rules.h"

namespace qforge::plan {
namespace {
using D = Condition::Device;
using N = Condition::Need;
using P8 = Condition::Fp8;
using F = Feature;

const std::vector<Exclusion> kExclusions = {
    {std::nullopt,
     "needs calibration text (--calib yes): GPTQ and AWQ fit the rounding (GPTQ) or the scales "
     "(AWQ) to activations of real text",
     "GPTQ (Frantar et al., 2022) and AWQ (Lin et al., 2023): 128 calibration samples"},
    {F::kFp8,
     "no FP8 matrix units here: FP8 compute needs NVIDIA compute capability >= 8.9 (Ada, Hopper) "
     "or AMD CDNA3; elsewhere vLLM runs FP8 as weight-only W8A16 (FP8 Marlin), int8's size",
     "vLLM docs, Quantization: FP8 W8A8"},
    {F::kHfGpu,
     "GPTQ/AWQ/FP8 safetensors are served by GPU engines (vLLM, TGI, transformers on CUDA or "
     "ROCm); on this device llama.cpp's GGUF is the runtime",
     "vLLM docs, Quantization: supported hardware; llama.cpp README (backends)"},
    {F::kBnbNf4, "bitsandbytes' NF4 kernels are CUDA-first; its other backends are partial",
     "bitsandbytes docs, installation (multi-backend support)"},
    {F::kInt8, "no int8 dot-product units on this device", "hardware table (plan/hardware.cc)"},
    {F::kInt4, "no 4-bit weight kernels on this device", "hardware table (plan/hardware.cc)"},
    {F::kBf16, "no bf16/fp16 path on this device", "hardware table (plan/hardware.cc)"},
    {F::kGguf, "llama.cpp does not run on this device", "llama.cpp README (backends)"},
};

const std::vector<Preference> kPreferences = {
    {"cpu-strict",
     {D::kNotGpu, N::kStrict, P8::kAny},
     {"Q8_0", "Q6_K", "Q5_K_M", "bf16"},
     "on a CPU or Apple SoC decode reads every weight once per token, so fewer bytes run faster; "
     "strict quality stops at 5 bits: Q8_0 +0.003, Q6_K +0.02, Q5_K_M +0.06 PPL on Llama-3-8B",
     "llama.cpp tools/quantize (QUANT_OPTIONS, PPL deltas @ Llama-3-8B)"},
    {"cpu-relaxed",
     {D::kNotGpu, N::kAny, P8::kAny},
     {"Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "Q3_K_M", "Q2_K"},
     "on a CPU or Apple SoC decode is memory-bandwidth bound (tokens/s ~ bandwidth / model "
     "bytes): GGUF Q4_K_M is llama.cpp's recommended balance (+0.18 PPL on Llama-3-8B at 30% of "
     "bf16's bytes); 3 bits only when 4 do not fit",
     "llama.cpp tools/quantize (QUANT_OPTIONS); seeds' tree: CPU only -> GGUF Q4_K_M"},
    {"gpu-strict",
     {D::kGpu, N::kStrict, P8::kAny},
     {"bf16", "fp8-e4m3", "int8", "Q8_0"},
     "strict quality on a GPU: 16 bits when they fit (memory >= ~2 bytes per parameter plus the "
     "cache), else 8 bits (FP8 where native, int8 weight-only) at KLD ~1e-4..1e-3; 4 bits only "
     "with a warning",
     "seeds' tree: memory >= 2x model: FP16, ~model size: INT8; vLLM FP8/INT8 docs"},
    {"gpu-relaxed-fp8",
     {D::kGpu, N::kRelaxed, P8::kYes},
     {"fp8-e4m3", "bf16", "int8", "gptq-w4g128", "awq-w4g128", "int4-g128-asym", "Q4_K_M", "nf4",
      "Q3_K_M", "Q2_K"},
     "FP8 E4M3 runs on this GPU's tensor cores: half of bf16's memory, up to 1.6x throughput, "
     "minimal accuracy impact, no calibration; when 8 bits do not fit, calibrated int4",
     "vLLM docs, FP8 W8A8; NVIDIA H100 datasheet (FP8 tensor cores)"},
    {"gpu-relaxed",
     {D::kGpu, N::kRelaxed, P8::kAny},
     {"bf16", "int8", "gptq-w4g128", "awq-w4g128", "int4-g128-asym", "nf4", "Q4_K_M", "Q3_K_M",
      "Q2_K"},
     "best quality that fits: 16 bits at memory >= ~2 bytes per parameter, 8 bits near 1, else "
     "int4 g128 with GPTQ or AWQ (W4A16 kernels), which keep more than round-to-nearest (test "
     "bed KLD 0.0072 / 0.011 vs 0.016 / 0.013)",
     "seeds' tree: less than model size: AWQ/GPTQ 4-bit; GPTQ and AWQ papers; README test bed"},
};

}  // namespace

bool Condition::Matches(const Hardware& hardware, Quality q) const {
  if (device == D::kGpu && !hardware.gpu) return false;
  if (device == D::kNotGpu && hardware.gpu) return false;
  if (quality == N::kStrict && q != Quality::kStrict) return false;
  if (quality == N::kRelaxed && q != Quality::kRelaxed) return false;
  if (fp8 == P8::kYes && !hardware.Has(Feature::kFp8)) return false;
  if (fp8 == P8::kNo && hardware.Has(Feature::kFp8)) return false;
  return true;
}

const std::vector<Exclusion>& ExclusionRules() { return kExclusions; }
const std::vector<Preference>& PreferenceRules() { return kPreferences; }

}  // namespace qforge::plan
