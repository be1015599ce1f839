// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}}, then the tensor bytes.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qforge/core/tensor.h"
#include "qforge/io/mapped_file.h"

namespace qforge::io {

// A tensor of a dtype with no QType (U8, I8, I32, F8_E4M3, ...): quantized checkpoints store their
// packed codes and scales in these, and their readers interpret them.
struct StRawTensor {
  std::string name;
  std::string dtype;  // as in the header: "U8", "F8_E4M3", ...
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;
};

struct SafetensorsFile {
  std::shared_ptr<const MappedFile> file;
  std::vector<TensorView> tensors;              // names as stored in the file
  std::map<std::string, std::string> metadata;  // the "__metadata__" entry
  std::vector<StRawTensor> others;              // other dtypes: ReadSafetensorsAllDtypes only
};

// Memory-maps and validates `path`: header length within the file, JSON well-formed, every
// tensor's dtype known, offsets ordered and inside the data section, byte size = shape x dtype.
// Tensors of dtypes qforge cannot compute with (I8, F64, ...) are an Error{kUnsupported}.
SafetensorsFile ReadSafetensors(const std::string& path);
// The same, but tensors of the format's other dtypes (U8, F8_E4M3, I32, ...) land in `others`,
// checked the same way: for quantized checkpoints, whose readers interpret them.
SafetensorsFile ReadSafetensorsAllDtypes(const std::string& path);

}  // namespace qforge::io
