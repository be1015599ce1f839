// safetensors parsing with every offset checked against the file.
#include "qforge/io/safetensors_file.h"

#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/io/byte_reader.h"

namespace qforge::io {
namespace {

// A header is JSON text describing tensors; 100 MB covers the largest sharded checkpoints
// (the format's own reference implementation uses the same limit).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

QType DtypeToQType(const std::string& dtype, const std::string& path, const std::string& name) {
  if (dtype == "F32") return QType::kF32;
  if (dtype == "F16") return QType::kF16;
  if (dtype == "BF16") return QType::kBF16;
  Fail(ErrorKind::kUnsupported, "{}: tensor '{}' has dtype {}; qforge reads F32, F16 and BF16",
       path, name, dtype);
}

TensorView ParseEntry(const std::string& name, const nlohmann::json& entry,
                      std::span<const std::byte> data, const std::string& path) {
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
      !entry.contains("data_offsets"))
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' lacks dtype, shape or data_offsets", path,
         name);
  const auto& shape = entry["shape"];
  const auto& offsets = entry["data_offsets"];
  if (!entry["dtype"].is_string() || !shape.is_array() || shape.size() > 8 || !offsets.is_array() ||
      offsets.size() != 2)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has a malformed entry", path, name);
  TensorView t;
  t.name = name;
  t.type = DtypeToQType(entry["dtype"].get<std::string>(), path, name);
  uint64_t elements = 1;
  for (const auto& d : shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t(1) << 40))
      Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has an invalid dimension {}", path, name,
           d.dump());
    const uint64_t dim = d.get<uint64_t>();
    if (dim != 0 && elements > (uint64_t(1) << 48) / dim)
      Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has more elements than any file can hold",
           path, name);
    elements *= dim;
    t.shape.push_back(int64_t(dim));
  }
  if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has non-integer data_offsets", path, name);
  const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
  const uint64_t expected = elements * Traits(t.type).block_bytes;
  if (begin > end || end > data.size())
    Fail(ErrorKind::kInvalidInput,
         "{}: tensor '{}' data_offsets [{}, {}] lie outside the {}-byte data section", path, name,
         begin, end, data.size());
  if (end - begin != expected)
    Fail(ErrorKind::kInvalidInput,
         "{}: tensor '{}' of shape {} and dtype {} needs {} bytes, data_offsets give {}", path,
         name, ShapeString(t.shape), Traits(t.type).name, expected, end - begin);
  t.data = data.data() + begin;
  t.nbytes = size_t(expected);
  return t;
}

}  // namespace

SafetensorsFile ReadSafetensors(const std::string& path) {
  SafetensorsFile st;
  st.file = MappedFile::Open(path);
  ByteReader reader(st.file->bytes(), path);
  const uint64_t header_len = reader.Read<uint64_t>("safetensors header length");
  if (header_len > kMaxHeaderBytes)
    Fail(ErrorKind::kInvalidInput, "{}: safetensors header claims {} bytes (limit {})", path,
         header_len, kMaxHeaderBytes);
  const auto header_bytes = reader.ReadBytes(header_len, "safetensors header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(
        reinterpret_cast<const char*>(header_bytes.data()),
        reinterpret_cast<const char*>(header_bytes.data() + header_bytes.size()));
  } catch (const nlohmann::json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: safetensors header is not valid JSON: {}", path, e.what());
  }
  if (!header.is_object())
    Fail(ErrorKind::kInvalidInput, "{}: safetensors header is not a JSON object", path);
  const auto data = st.file->bytes().subspan(reader.offset());
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (entry.is_object())
        for (const auto& [k, v] : entry.items())
          st.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    st.tensors.push_back(ParseEntry(name, entry, data, path));
  }
  return st;
}

}  // namespace qforge::io
