// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}}, then the tensor bytes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qforge/core/tensor.h"
#include "qforge/io/mapped_file.h"

namespace qforge::io {

struct SafetensorsFile {
  std::shared_ptr<const MappedFile> file;
  std::vector<TensorView> tensors;              // names as stored in the file
  std::map<std::string, std::string> metadata;  // the "__metadata__" entry
};

// Memory-maps and validates `path`: header length within the file, JSON well-formed, every
// tensor's dtype known, offsets ordered and inside the data section, byte size = shape x dtype.
// Tensors of dtypes qforge cannot compute with (I8, F64, ...) are an Error{kUnsupported}.
SafetensorsFile ReadSafetensors(const std::string& path);

}  // namespace qforge::io
