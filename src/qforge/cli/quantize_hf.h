// qforge quantize --format bnb-nf4|fp8|gptq|awq: the Hugging Face directory exports
// (io/hf_export.h).
#pragma once

#include <string>

#include "qforge/cli/common.h"
#include "qforge/quant/recipe.h"

namespace qforge::cli {

// True for the formats written as a Hugging Face directory.
bool IsHfFormat(const std::string& format);

// Quantizes the model by `recipe` and writes `output` as a directory in `format`. The recipe's
// types are adapted to what the format stores: for bnb-nf4, NF4_DQ becomes NF4 with bitsandbytes'
// double quantization applied by the exporter (it needs the exact absmax values; the result is
// bit-identical to NF4_DQ); for fp8, per-channel FP8_E4M3/E5M2 become per-tensor FP8_*_T, since
// vLLM's "fp8" method has one scale per tensor (a note says so); for gptq and awq the recipe's INT
// types are kept (the exporter refuses the ones the format cannot hold, naming the tensor).
void QuantizeToHf(const ModelFlags& model, const quant::Recipe& recipe, const std::string& format,
                  const std::string& output, bool force);

}  // namespace qforge::cli
