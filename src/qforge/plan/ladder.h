// The precision ladder of `qforge auto`: candidate recipes ordered cheapest first by the GGUF file
// size they will give, and the size budget they must fit.
//
// Sizes are predicted without quantizing: quant::PlanRecipe gives every tensor's type, so the
// tensor bytes are exact; the GGUF header (metadata, vocabulary, tensor infos, alignment padding)
// is estimated from above (EstimateGgufHeaderBytes). The real file is measured after writing and
// a file over budget is never chosen (plan/auto_search.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/quant/recipe.h"

namespace qforge::plan {

// A size budget: bytes of the GGUF file on disk, or bits per weight of the model's tensors
// (8 x all tensor bytes / all parameters, norms included: what `qforge inspect` and `quantize`
// print; the header is not counted).
enum class BudgetKind { kNone, kBytes, kBitsPerWeight };
struct Budget {
  BudgetKind kind = BudgetKind::kNone;
  double value = 0;  // bytes or bits per weight
  std::string text;  // as given
};

// "4GB", "700MB", "1.5kB" (powers of 1000), "3.9GiB", "512KiB" (powers of 1024), "123456" or
// "123456B" (bytes), "4.5bpw"; case-insensitive, no sign. Throws Error{kInvalidInput} otherwise.
Budget ParseBudget(const std::string& text);

// The default candidates, cheapest first: ggml mixes that GGUF holds and llama.cpp runs. With
// calibration data, GPTQ onto Q4_0 blocks joins them (also a GGUF type).
std::vector<std::string> DefaultLadder(bool calibrated);

// "a,b,c" -> {"a","b","c"}; empty items are Error{kInvalidInput}.
std::vector<std::string> SplitLadder(const std::string& list);

struct SizePrediction {
  uint64_t tensor_bytes = 0;  // exact: every tensor in the type PlanRecipe gives it
  uint64_t header_bytes = 0;  // estimate from above (EstimateGgufHeaderBytes)
  uint64_t file_bytes = 0;    // tensor_bytes + header_bytes
  int64_t parameters = 0;
  double bpw = 0;  // 8 * tensor_bytes / parameters
};

// Upper estimate of a GGUF file's bytes outside the tensor data, as io::WriteGgufCheckpoint
// writes it: a fixed 4 KiB for the header and the general.* / llama.* keys (about 30 keys of < 100
// bytes), each vocabulary entry (8-byte length + text, 4-byte score, 4-byte type; merges 8 + text),
// the extra keys (`extra_kv_bytes`: keys and values, e.g. the recipe JSON, + 12 bytes each), each
// tensor info (8 + name + 4 + 8 per dim + 4 + 8) and up to 31 bytes of alignment padding per
// tensor and after the header.
uint64_t EstimateGgufHeaderBytes(const Checkpoint& ckpt, const Vocab& vocab,
                                 uint64_t extra_kv_bytes);

// Predicted size of `recipe` applied to `ckpt`; `extra_kv_bytes` counts the extra metadata other
// than qforge.recipe (which this adds from the recipe's JSON). Throws Error{kInvalidInput} when the
// recipe names a type GGUF cannot hold (qforge's own INT8, NF4, ... types: auto writes GGUF only).
SizePrediction PredictSize(const quant::Recipe& recipe, const Checkpoint& ckpt, const Vocab& vocab,
                           uint64_t extra_kv_bytes);

// Does a file of `file_bytes` with `bpw` bits per weight fit the budget?
bool FitsBudget(const Budget& budget, uint64_t file_bytes, double bpw);

struct LadderRung {
  quant::Recipe recipe;
  SizePrediction predicted;
  bool over_budget = false;  // predicted over the budget: skipped, listed as skipped
};

// Loads every name (preset or JSON recipe file), predicts its size and orders the rungs cheapest
// first (stable: equal sizes keep the given order). Throws Error{kInvalidInput} for an unknown
// recipe, a duplicate, a calibrated method without `calibrated`, or a non-GGUF type.
std::vector<LadderRung> BuildLadder(const std::vector<std::string>& names, const Checkpoint& ckpt,
                                    const Vocab& vocab, const Budget& budget, bool calibrated,
                                    uint64_t extra_kv_bytes);

}  // namespace qforge::plan
