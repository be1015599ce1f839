// Format detection by content first (GGUF magic), then by name.
#include "qforge/io/load_checkpoint.h"

#include <filesystem>
#include <fstream>

#include "qforge/core/error.h"
#include "qforge/io/gguf_checkpoint.h"
#include "qforge/io/hf_checkpoint.h"
#include "qforge/io/llama2c_checkpoint.h"

namespace qforge::io {
namespace fs = std::filesystem;

Checkpoint LoadCheckpoint(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) Fail(ErrorKind::kIo, "{}: no such file or directory", path);
  if (fs::is_directory(path, ec)) return LoadHfCheckpoint(path);
  const fs::path p(path);
  if (p.filename() == "config.json" || p.filename() == "model.safetensors.index.json" ||
      p.extension() == ".safetensors")
    return LoadHfCheckpoint(path);
  char magic[4] = {};
  std::ifstream(path, std::ios::binary).read(magic, 4);
  if (std::string_view(magic, 4) == "GGUF") return LoadGgufCheckpoint(path);
  if (p.extension() == ".gguf")
    Fail(ErrorKind::kInvalidInput, "{}: not a GGUF file (bad magic)", path);
  return LoadLlama2cCheckpoint(path);
}

}  // namespace qforge::io
