// Writer for the safetensors format, for exports that serving engines load (GPTQ/AWQ int32
// qweight, bitsandbytes u8 blobs, FP8 weights with f32 scales, plain F16/BF16/F32).
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON {name: {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {string: string}} padded with spaces so the data
// section starts 8-byte aligned, then the tensor bytes with no holes (the format forbids gaps).
// Tensors are laid out by element size, largest first, then by name (as the reference Rust
// implementation does), so every tensor starts aligned to its element size. The file is written
// through io::AtomicFile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace qforge::io {

// The dtypes qforge exports, spelled as in the safetensors header.
enum class StDtype { kF32, kF16, kBF16, kF8_E4M3, kF8_E5M2, kU8, kI8, kI32, kI64 };

const char* StDtypeName(StDtype dtype);  // "F32", ..., "F8_E4M3", "U8", "I32", ...
size_t StDtypeBytes(StDtype dtype);      // bytes per element

struct StTensor {
  std::string name;
  StDtype dtype;
  std::vector<int64_t> shape;       // row-major, outermost first; {} is a scalar (1 element)
  std::span<const std::byte> data;  // exactly elements * StDtypeBytes(dtype) bytes, borrowed
};

// Writes `tensors` and `metadata` to `path` atomically. Errors (kInvalidInput): an empty, duplicate
// or "__metadata__" name, a negative dimension, or data whose size is not shape x dtype.
void WriteSafetensors(const std::string& path, const std::vector<StTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace qforge::io
