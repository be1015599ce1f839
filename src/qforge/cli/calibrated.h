// Quantizing by a recipe from the command line, calibrated or not: --calib and its companions,
// the calibration sampling, the layer-by-layer method (calib/calibrated_quantize.h) with progress,
// and the per-layer report of what the method bought over round-to-nearest.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/quant/recipe.h"
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::cli {

struct CalibFlags {
  std::string file;           // --calib
  int samples = 0;            // --calib-samples (0: the recipe's or the method's default)
  int tokens = 0;             // --calib-tokens
  uint64_t seed = 0;          // --calib-seed
  std::string chat_template;  // --chat-template
  bool report = true;         // print the per-layer table
};

void AddCalibFlags(CLI::App& verb, CalibFlags& flags);

// The recipe applied to `source`. A calibrated recipe (gptq, awq, smoothquant) needs flags.file
// and the tokenizer; the calibration file's name and SHA-256 go into the result's metadata
// (qforge.calibration.*) so that quantized files record them and `eval` can check for leakage.
quant::QuantizedModel QuantizeByRecipe(const Checkpoint& source, const quant::Recipe& recipe,
                                       const tokenizer::Tokenizer* tokenizer,
                                       const CalibFlags& flags, ThreadPool& pool,
                                       bool measure_error);

}  // namespace qforge::cli
