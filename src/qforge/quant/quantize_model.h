// Round-to-nearest quantization of a whole checkpoint by a recipe, in memory, with per-tensor
// error statistics. The result is an ordinary Checkpoint (its quantized tensors live in buffers it
// owns; unquantized tensors still borrow the source's storage), so the forward pass, the GGUF
// writer and the evaluation run on it unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/importance.h"
#include "qforge/core/thread_pool.h"
#include "qforge/quant/error_stats.h"
#include "qforge/quant/recipe.h"

namespace qforge::quant {

struct TensorResult {
  TensorChoice choice;
  std::vector<int64_t> shape;
  uint64_t bytes = 0;     // stored size after quantization
  ErrorStats error;       // quantized vs source values (zero error for unquantized tensors)
  bool weighted = false;  // quantized by the importance-weighted search (options.importance)
};

struct QuantizedModel {
  Checkpoint checkpoint;
  std::vector<TensorResult> tensors;  // in checkpoint order
  ErrorStats total;                   // over the quantized tensors
};

struct QuantizeOptions {
  bool measure_error = true;  // dequantize again and compare (costs one more pass per row)
  // llama.cpp's importance matrix (io/imatrix_file.h), or null. A tensor with an entry whose type
  // has a weighted search (core/qblocks_weighted.h) is quantized as llama-quantize --imatrix does,
  // bit for bit; other tensors round to nearest. As llama-quantize, an entry whose length is not
  // the row length is Error{kInvalidInput}, except for token_embd.weight (quantized without).
  // The result's metadata gets llama.cpp's quantize.imatrix.* provenance keys.
  const ImportanceMatrix* importance = nullptr;
  // Called after each tensor with (tensors done, tensor count).
  std::function<void(size_t, size_t)> on_tensor;
};

// The checkpoint quantized by `recipe`. Rows are quantized in parallel; each row's bytes depend
// only on that row, so the output is identical at any thread count. Throws Error{kInvalidInput}
// naming the tensor and row when a weight to quantize is NaN or infinite.
QuantizedModel QuantizeCheckpoint(const Checkpoint& source, const Recipe& recipe, ThreadPool& pool,
                                  const QuantizeOptions& options = {});

}  // namespace qforge::quant
