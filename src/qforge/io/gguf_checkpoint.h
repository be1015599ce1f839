// Loads a GGUF "llama" file as a Checkpoint: config, zero-copy tensor views and embedded
// vocabulary.
#pragma once

#include <string>

#include "qforge/core/checkpoint.h"
#include "qforge/io/gguf_file.h"

namespace qforge::io {

// Memory-maps `path` (kept alive in Checkpoint::storage) and validates it with GgufFile::Parse.
// general.architecture must be "llama" (else Error{kUnsupported}). Tensor names are kept as stored
// (GGUF names are qforge's canonical names); rope_style is kAdjacentPairs; tied_embeddings means
// the file has no "output.weight". The vocabulary is filled when tokenizer.ggml.model is "llama"
// (SentencePiece) or "gpt2" (byte-level BPE). Every KV is also in Checkpoint::metadata as text.
Checkpoint LoadGgufCheckpoint(const std::string& path);

// The same from an already parsed file whose tensor offsets point into `bytes`; `bytes` must
// outlive the checkpoint (LoadGgufCheckpoint keeps its map in storage).
Checkpoint GgufToCheckpoint(const GgufFile& file, std::span<const std::byte> bytes);

}  // namespace qforge::io
