// Opens any supported model by sniffing its format: a GGUF file, a Hugging Face directory (or its
// config.json / .safetensors / index file), or a llama2.c checkpoint.
#pragma once

#include <string>

#include "qforge/core/checkpoint.h"

namespace qforge::io {

Checkpoint LoadCheckpoint(const std::string& path);

}  // namespace qforge::io
