// The importance matrix of a model from calibration text, as llama-imatrix computes it: for
// every matrix multiplication of the full-precision model, the sum of x^2 per input column and the
// number of tokens, so that quantize --imatrix (and llama-quantize) weights the k-quant searches
// by the mean x^2 of each column.
#pragma once

#include <functional>

#include "qforge/calib/calibration_data.h"
#include "qforge/core/checkpoint.h"
#include "qforge/core/importance.h"
#include "qforge/core/thread_pool.h"

namespace qforge::calib {

// Entries for every linear layer and the classifier ("output.weight", or "token_embd.weight"
// when the model ties them, as llama.cpp names the tensor the product used). `on_layer` is
// called after each layer with (layers done, layer count).
ImportanceMatrix ComputeImportance(const Checkpoint& source, const CalibrationSet& calibration,
                                   ThreadPool& pool,
                                   const std::function<void(int, int)>& on_layer = {});

}  // namespace qforge::calib
