// Writes GGUF v3 files: a general key/value + tensor writer, and the Checkpoint -> llama.cpp
// export.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/io/gguf_file.h"

namespace qforge::io {

// Collects metadata and tensor descriptions, then writes the file in one pass through AtomicFile.
// Tensor bytes are produced on demand while writing, one tensor at a time, so the whole model is
// never in memory.
class GgufWriter {
 public:
  // Receives the next chunk of a tensor's bytes.
  using ByteSink = std::function<void(std::span<const std::byte>)>;
  // Emits exactly the tensor's byte size through the sink, in as many chunks as it likes.
  using Producer = std::function<void(const ByteSink&)>;

  // `alignment` (a power of two) is written as general.alignment and pads the data section.
  explicit GgufWriter(uint32_t alignment = kGgufDefaultAlignment);

  // Metadata in insertion order. A duplicate key or "general.alignment" is Error{kInvalidInput}.
  void Add(std::string key, GgufValue value);
  void AddStringArray(std::string key, const std::vector<std::string>& values);
  void AddF32Array(std::string key, const std::vector<float>& values);
  void AddI32Array(std::string key, const std::vector<int32_t>& values);

  // `shape` is in qforge order (outermost first); it is reversed into GGUF's ne[]. Names must be
  // unique and shorter than 64 bytes (GGML_MAX_NAME), shapes 1 to 4 positive dims with rows a
  // multiple of the type's block size; violations are Error{kInvalidInput}.
  void AddTensor(std::string name, QType type, std::vector<int64_t> shape, Producer produce);
  // Convenience: the bytes already exist (they must outlive Write()).
  void AddTensor(std::string name, QType type, std::vector<int64_t> shape,
                 std::span<const std::byte> bytes);

  // Writes header, tensor infos and data to `path` atomically (temp file, then rename).
  // A producer that emits the wrong number of bytes is Error{kInternal}.
  void Write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    QType type;
    std::vector<int64_t> shape;
    uint64_t nbytes;
    Producer produce;
  };
  uint32_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> kvs_;
  std::vector<Tensor> tensors_;
};

struct GgufWriteOptions {
  // 2-D weights are converted to this type (1-D tensors to F32); nullopt writes every tensor in
  // the type it has (a quantized checkpoint from quant/). Only ggml's types can be written.
  std::optional<QType> matrix_type = QType::kF16;
  int file_type = -1;  // general.file_type (llama_ftype); -1: from the most common matrix type
  std::string name;    // general.name; empty = taken from the checkpoint or "llama"
  std::vector<std::pair<std::string, std::string>> extra_kvs;  // e.g. {"qforge.version", "0.1.0"}
};

// Writes `ckpt` as a llama.cpp-loadable "llama" GGUF with `vocab` embedded. Source tensors may be
// F32, F16 or BF16 and are converted row by row through the qtype traits. A kRotateHalf (Hugging
// Face) checkpoint gets its attn_q / attn_k rows permuted back to adjacent-pair order, as
// llama.cpp's convert_hf_to_gguf.py does. Refuses to overwrite ckpt.path.
void WriteGgufCheckpoint(const Checkpoint& ckpt, const Vocab& vocab, const std::string& out_path,
                         const GgufWriteOptions& opts);

// The metadata WriteGgufCheckpoint writes (general.*, llama.* from ckpt.config, tokenizer.* from
// `vocab`, opts.extra_kvs), for writers that stream tensors of their own (quant/synth.h). The
// tensors' types and shapes only feed general.file_type; their data is not read.
void AddLlamaMetadata(GgufWriter& w, const Checkpoint& ckpt, const Vocab& vocab,
                      const GgufWriteOptions& opts);

// The source row that lands in GGUF row `row` of a q/k weight under the Hugging Face -> GGUF
// permutation: gguf_row[h*hd + 2*i + half] = hf_row[h*hd + half*hd/2 + i].
int64_t UnpermuteRopeRow(int64_t row, int64_t head_dim);

}  // namespace qforge::io
