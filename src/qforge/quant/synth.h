// Random-weight models of real Llama shapes, for speed tests (DESIGN.md `qforge synth`).
//
// The weights are noise with the scale of trained weights, so a forward pass does the same work
// (and reads the same bytes) as the real model would; the quality is meaningless. Every row is a
// pure function of (seed, tensor name, row): a counter-based generator, so the file's bytes do not
// depend on the thread count, and rows are generated and quantized a few at a time while the GGUF
// file is written, so a 7B f16 file never needs its 14 GB in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/thread_pool.h"
#include "qforge/quant/recipe.h"

namespace qforge::quant {

// One row of the shapes table: a real model's dimensions (all with the Llama 2 vocabulary).
struct SynthShape {
  std::string_view name;    // "llama-1b", ...
  std::string_view source;  // the model whose dimensions these are
  int dim, hidden_dim, n_layers, n_heads, n_kv_heads, max_seq_len;
  float rope_theta;
  bool tied_embeddings;
};

// The shapes `qforge synth --shape` knows, in help order.
const std::vector<SynthShape>& SynthShapes();
// Throws Error{kInvalidInput} listing the known names.
const SynthShape& FindSynthShape(std::string_view name);

// The config of `shape` with a vocabulary of `vocab_size` tokens.
ModelConfig SynthConfig(const SynthShape& shape, int vocab_size);

// The standard deviation of the N(0, sigma) noise of a tensor (by GGUF name), or the constant
// value of a norm weight (`is_norm`). See synth.cc for where the numbers come from.
struct SynthScale {
  bool is_norm = false;
  float value = 0.0f;  // sigma, or the constant of a norm vector
};
SynthScale SynthScaleFor(std::string_view tensor_name, const ModelConfig& config);

// Row `row` of tensor `tensor_name` as floats (cols of them): N(0, sigma) from the seed, the name
// and the row only.
void SynthRow(uint64_t seed, std::string_view tensor_name, int64_t row, const SynthScale& scale,
              float* out, int64_t cols);

struct SynthOptions {
  uint64_t seed = 0;
  std::string recipe = "f16";  // preset name or JSON recipe file; only ggml types can be written
  std::string shape_name;      // recorded in the file (qforge.synth.shape)
};

// Writes a llama.cpp-loadable GGUF of `config` with `vocab` embedded to `out_path` (atomically),
// generating and quantizing rows in parallel on `pool`. Throws Error{kInvalidInput} when the
// recipe names a type ggml lacks or one that quantizes whole tensors at once, or when the
// vocabulary size differs from config.vocab_size. Shows a progress bar.
void WriteSynthGguf(const ModelConfig& config, const Vocab& vocab, const std::string& out_path,
                    const SynthOptions& options, ThreadPool& pool);

}  // namespace qforge::quant
