// The formats `qforge recommend` chooses among: one row per deployable artifact (a qforge preset
// written in one output format), with what it needs from the hardware, whether it needs
// calibration text, and how many bits each weight takes in the written file, scales included.
//
// Weight bytes come from the real tensor mix: the preset's recipe is planned on the model's
// tensors (quant::PlanRecipe), so GGUF mixes such as Q4_K_M (Q6_K classifier, Q6_K attn_v /
// ffn_down in llama.cpp's use_more_bits layers) and the Hugging Face exports' 16-bit embedding and
// head count as they are written. GGUF tensors take ggml's block bytes (the traits table); Hugging
// Face exports take the layout's own formula (below), since their scales differ from qforge's
// in-memory blocks (GPTQ stores f16 scales and 4-bit packed zeros).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/plan/hardware.h"

namespace qforge::plan {

// How much quality a format gives up, coarsely (llama.cpp's PPL deltas on Llama-3-8B and the
// test bed's KLD, both in the quality note): the rules' orders are what rank; this labels rows.
enum class Tier {
  kLossless,      // 16-bit
  kNearLossless,  // 8-bit: KLD ~1e-4..1e-3, +0.003 PPL (Q8_0)
  kSmallLoss,     // 5-6 bit k-quants: +0.02..0.06 PPL
  kModerate,      // 4-bit: +0.18 PPL (Q4_K_M), calibrated int4 close to it
  kLarge,         // 3-bit and below: +0.66 PPL (Q3_K_M) and worse
};
std::string_view TierName(Tier tier);

// Bits per weight of a quantized tensor in a Hugging Face export: `bits` per weight plus
// (scale_bits + zero_bits) per group of `group` weights along a row; group 0 = one per row (the
// row length), -1 = one per tensor (negligible).
struct HfLayout {
  double bits = 0;
  double scale_bits = 0;
  double zero_bits = 0;
  int group = 0;
};

struct Candidate {
  std::string_view id;         // the rules' name for it: the preset name ("gptq-w4g128")
  std::string_view preset;     // `qforge quantize -r` value
  std::string_view format;     // `qforge quantize --format` value: gguf, gptq, awq, fp8, bnb-nf4
  std::string_view label;      // "GPTQ int4 g128 (vLLM/transformers)"
  std::vector<Feature> needs;  // every one must be in the hardware row
  bool calibrated;             // needs --calib text (GPTQ, AWQ)
  HfLayout hf;                 // format != gguf: bits of the quantized tensors in the file
  Tier tier;
  std::string_view quality;  // published / measured cost
  std::string_view why;      // one line: what it is good for
};

const std::vector<Candidate>& Candidates();
// By id; throws Error{kInternal} (the rules name only ids of this table; a test checks).
const Candidate& FindCandidate(std::string_view id);

// Bytes of the weights of `model` (its tensors' names and shapes) written as `candidate`.
// 1-D tensors (norms) count as f32 in GGUF and 16-bit in Hugging Face exports.
double CandidateWeightBytes(const Candidate& candidate, const Checkpoint& model);

}  // namespace qforge::plan
