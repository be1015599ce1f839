// Runs a recipe's calibrated method (GPTQ, AWQ, SmoothQuant) over a model, one decoder layer at
// a time, as the reference implementations do:
//
//   hidden states of every calibration window <- embeddings
//   for each layer: run it over the windows, capturing the inputs of its linear layers;
//                   apply the method (GPTQ quantizes; AWQ and SmoothQuant fold per-channel scales
//                   into the preceding RMSNorm or linear layer and round to nearest);
//                   run the now-quantized layer to get the next layer's inputs.
//
// So the inputs of layer i+1 come from the already-quantized layer i, and only one layer's
// captures live at a time (the windows' hidden states, [samples, tokens, dim] f32, stay in memory).
// GPTQ's true-sequential order goes further inside a layer: q/k/v, then o, then gate/up, then down,
// each captured after the previous group was quantized.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/calib/calibration_data.h"
#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"
#include "qforge/quant/recipe.h"

namespace qforge::calib {

struct CalibratedOptions {
  int64_t sample_tokens = 2048;  // input rows kept per linear input: AWQ's searches, the report
  // Called before each layer's stage with (stage, layer, layer count).
  std::function<void(std::string_view, int, int)> on_progress;
};

// What the method did to one linear layer, measured on the captured inputs X it was calibrated on.
struct LinearReport {
  std::string name;
  QType type = QType::kF32;
  // Relative output error ||X W^T - X W'^T||_F / ||X W^T||_F of the method's W' and of plain
  // round-to-nearest of the same type (AWQ / SmoothQuant: W' acts on the rescaled inputs).
  double error = 0.0;
  double rtn_error = 0.0;
  double seconds = 0.0;
  std::string detail;  // "damp 0.01", "ratio 0.45, clipped 12%", "max scale 3.2"
};

struct CalibratedModel {
  // The source with the method applied: linear layers already in their recipe types, RMSNorm
  // weights divided by the folded scales. quant::QuantizeCheckpoint finishes it (it keeps tensors
  // that already have their recipe's type, and rounds the rest: embeddings, classifier).
  Checkpoint checkpoint;
  std::vector<LinearReport> linears;
  double seconds = 0.0;
};

// Throws Error{kInvalidInput} for a recipe without a calibrated method, a model that is not a
// Llama, or a type the method cannot produce (GPTQ needs a fixed grid per group: linear_grid.h).
CalibratedModel RunCalibratedMethod(const Checkpoint& source, const quant::Recipe& recipe,
                                    const CalibrationSet& calibration, ThreadPool& pool,
                                    const CalibratedOptions& options = {});

// The calibration size a method uses when the recipe and the command line say nothing: GPTQ's
// reference 128 x 2048 and AWQ's 128 x 512, cut to the model's context.
SampleOptions DefaultSampleOptions(const quant::Recipe& recipe, const ModelConfig& config);

}  // namespace qforge::calib
