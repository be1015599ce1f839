// Export of a quantized checkpoint as a Hugging Face model directory that the serving ecosystem
// loads: model.safetensors + config.json (+ tokenizer files), with the linear weights in
// bitsandbytes' NF4 layout (transformers), as per-tensor FP8 with weight_scale (vLLM "fp8"), or
// as GPTQ v1 / AWQ GEMM qweight, qzeros, scales (, g_idx) (gptq_layout.h, awq_layout.h; gptq also
// writes quantize_config.json).
//
// The checkpoint's tensors must already have their final types (quant::QuantizeCheckpoint makes
// them; io/ cannot quantize): F32/F16/BF16 anywhere, plus NF4 (bnb-nf4), FP8_E4M3_T /
// FP8_E5M2_T (fp8), INT types of one bits/group size (gptq: INTb_Gg(_Z), INTb_ROW(_Z), INT8 with
// b = 2, 3, 4; awq: INT4_Gg(_Z)) for the per-layer linear weights. Its q/k rows must be in Hugging
// Face's rotate-half order (ToRotateHalf converts an adjacent-pair checkpoint before quantizing).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "qforge/core/checkpoint.h"

namespace qforge::io {

enum class HfQuantFormat { kBnbNf4, kFp8, kGptq, kAwq };

// How the GPTQ weights were made, recorded in quantization_config and quantize_config.json
// (AutoGPTQ's BaseQuantizeConfig fields; the GPTQ quantizer fills them in).
struct GptqExportOptions {
  double damp_percent = 0.01;
  bool desc_act = false;  // act-order (the weights stay in input order: g_idx is i / group_size)
  bool true_sequential = true;
  bool static_groups = false;
};

struct HfExportOptions {
  HfQuantFormat format = HfQuantFormat::kBnbNf4;
  // bnb-nf4: double-quantize the absmax values (bnb_4bit_use_double_quant). The tensors stay NF4
  // (exact absmax): double quantization runs here on the exact values, as bitsandbytes does.
  bool nf4_double_quant = false;
  GptqExportOptions gptq;
  std::map<std::string, std::string> metadata;  // safetensors __metadata__ (qforge.version, ...)
  // Files copied into the directory: (source path, file name there), e.g. the tokenizer's.
  std::vector<std::pair<std::string, std::string>> files;
  bool force = false;  // replace an existing non-empty directory
};

// Writes `dir` atomically: everything goes to a sibling "<dir>.tmp-<pid>" that is renamed into
// place at the end, so an interrupted export leaves no half-written model. Errors
// (kInvalidInput): `dir` is or holds ckpt.path, `dir` exists and is not empty (without force) or
// is a file, a tensor has no Hugging Face name, or a tensor's type does not fit the format (the
// message names the tensor and its type).
void ExportHfCheckpoint(const Checkpoint& ckpt, const std::string& dir,
                        const HfExportOptions& opts);

// config.json of a LlamaForCausalLM with `quantization_config` for the format.
std::string HfConfigJson(const Checkpoint& ckpt, const HfExportOptions& opts);

// The checkpoint with its attn_q / attn_k rows in Hugging Face's rotate-half order (a copy of
// those two tensors per layer; the others still borrow). A kRotateHalf checkpoint comes back
// unchanged. Rows are moved whole, so it works for every row-wise type; it is meant for the
// unquantized source.
Checkpoint ToRotateHalf(const Checkpoint& ckpt);

}  // namespace qforge::io
