// Reader for llama2.c checkpoints (karpathy/llama2.c "version 0": 7 x int32 header, then f32
// arrays in a fixed order; a negative vocab size means the classifier is stored separately).
#pragma once

#include <string>

#include "qforge/core/checkpoint.h"

namespace qforge::io {

// Memory-maps `path` and returns views into it (zero copy). The file size must match the header
// exactly; any mismatch is an Error{kInvalidInput} naming the file.
Checkpoint LoadLlama2cCheckpoint(const std::string& path);

}  // namespace qforge::io
