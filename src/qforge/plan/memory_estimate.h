// The memory arithmetic of `qforge recommend`: a model's shape (from a parameter count or a model
// file), sizes with units, the KV cache, and the runtime overhead.
//
// Units: GB is decimal (1e9 bytes), GiB binary (2^30), as vendors and llama.cpp state them: an
// "80 GB" A100 has 80e9 bytes, llama-quantize's "4.58G" is GiB. Every size here is in bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/core/checkpoint.h"

namespace qforge::plan {

// A model's dimensions, enough for the weights' and the KV cache's bytes.
struct ModelShape {
  std::string name;    // "Llama-2-7B", or the model file, or "interpolated (7.5B)"
  std::string source;  // how it was found: "known shape", "model file", "interpolated: ..."
  ModelConfig config;
  int64_t params = 0;  // exact parameter count of `layout`
  Checkpoint layout;   // the tensors' names, shapes and stored types, without data
};

// One row of the known-shapes table (llama_shapes_table.cc): published configs.
struct KnownShape {
  std::string_view name;     // "Llama-2-7B"
  std::string_view nominal;  // the --params spelling that picks it: "7B"
  int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, max_seq_len;
  bool tied_embeddings;
};
const std::vector<KnownShape>& KnownShapes();

// "7B", "8b", "1.1B", "350M", "6738415616", "7e9", or a known name ("Llama-3-70B"): a count.
// Throws Error{kInvalidInput} naming the value for anything else (and for counts <= 0).
int64_t ParseParamCount(std::string_view text);

// The shape for --params: a known shape when the spelling is a nominal size ("7B") or a name, or
// when the count is within 2% of a known model's; otherwise interpolated (see the .cc).
ModelShape ShapeForParams(std::string_view text);

// The shape of a model file (GGUF, safetensors directory, llama2.c): its config, and its
// parameters counted tensor by tensor.
ModelShape ShapeFromModelFile(const std::string& path);

// The Llama tensors of `config` with names and shapes only (no data): what quant::PlanRecipe
// needs to give each tensor its type. 2-D weights are F16, 1-D norms F32 (as GGUF stores them).
Checkpoint ShapeCheckpoint(const ModelConfig& config);

// "80GB", "80 GB", "24G" (G = GB), "80GiB", "512MB", "1.5TB", "80" (GB): bytes. Case-insensitive.
// Throws Error{kInvalidInput} naming the flag and value for anything else or a size <= 0.
double ParseBytes(std::string_view text, std::string_view flag = "--memory");

// The KV cache: 2 (K and V) x layers x kv_heads x head_dim x ctx x batch x bytes per element.
double KvCacheBytes(const ModelConfig& config, int64_t ctx, int64_t batch,
                    double bytes_per_element);

// KV cache element types: f16 (2 bytes), fp8 (1), q8_0 (34/32), q4_0 (18/32; llama.cpp
// --cache-type-k/v). Throws Error{kInvalidInput} for others.
double KvBytesPerElement(std::string_view kv_type);

// Runtime memory beside weights and KV cache: CUDA context / runtime, activation and compute
// buffers, allocator slack. A stated heuristic, not a measurement: 1 GB + 10% of the weights.
double RuntimeOverheadBytes(double weight_bytes);

}  // namespace qforge::plan
