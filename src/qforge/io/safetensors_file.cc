// safetensors parsing with every offset checked against the file.
#include "qforge/io/safetensors_file.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "qforge/core/error.h"
#include "qforge/io/byte_reader.h"

namespace qforge::io {
namespace {

// A header is JSON text describing tensors; 100 MB covers the largest sharded checkpoints
// (the format's own reference implementation uses the same limit).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

std::optional<QType> DtypeToQType(const std::string& dtype) {
  if (dtype == "F32") return QType::kF32;
  if (dtype == "F16") return QType::kF16;
  if (dtype == "BF16") return QType::kBF16;
  return std::nullopt;
}

// Bytes per element of the format's dtypes, or 0 for a name the format does not define.
size_t DtypeBytes(const std::string& dtype) {
  static const std::map<std::string, size_t> kBytes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8}};
  const auto it = kBytes.find(dtype);
  return it == kBytes.end() ? 0 : it->second;
}

StRawTensor ParseEntry(const std::string& name, const nlohmann::json& entry,
                       std::span<const std::byte> data, const std::string& path,
                       bool keep_other_dtypes) {
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
      !entry.contains("data_offsets"))
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' lacks dtype, shape or data_offsets", path,
         name);
  const auto& shape = entry["shape"];
  const auto& offsets = entry["data_offsets"];
  if (!entry["dtype"].is_string() || !shape.is_array() || shape.size() > 8 || !offsets.is_array() ||
      offsets.size() != 2)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has a malformed entry", path, name);
  StRawTensor t;
  t.name = name;
  t.dtype = entry["dtype"].get<std::string>();
  const size_t element_bytes = DtypeBytes(t.dtype);
  if (element_bytes == 0 || (!keep_other_dtypes && !DtypeToQType(t.dtype)))
    Fail(ErrorKind::kUnsupported, "{}: tensor '{}' has dtype {}; qforge reads F32, F16 and BF16",
         path, name, t.dtype);
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
  const uint64_t expected = elements * element_bytes;
  if (begin > end || end > data.size())
    Fail(ErrorKind::kInvalidInput,
         "{}: tensor '{}' data_offsets [{}, {}] lie outside the {}-byte data section", path, name,
         begin, end, data.size());
  if (end - begin != expected)
    Fail(ErrorKind::kInvalidInput,
         "{}: tensor '{}' of shape {} and dtype {} needs {} bytes, data_offsets give {}", path,
         name, ShapeString(t.shape), t.dtype, expected, end - begin);
  t.bytes = data.subspan(begin, size_t(expected));
  return t;
}

}  // namespace

namespace {

SafetensorsFile Read(const std::string& path, bool keep_other_dtypes) {
  SafetensorsFile st;
  st.file = MappedFile::OpenWeights(path);
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
    StRawTensor raw = ParseEntry(name, entry, data, path, keep_other_dtypes);
    if (const auto type = DtypeToQType(raw.dtype)) {
      st.tensors.push_back(
          TensorView{raw.name, *type, raw.shape, raw.bytes.data(), raw.bytes.size()});
    } else {
      st.others.push_back(std::move(raw));
    }
  }
  return st;
}

}  // namespace

SafetensorsFile ReadSafetensors(const std::string& path) { return Read(path, false); }
SafetensorsFile ReadSafetensorsAllDtypes(const std::string& path) { return Read(path, true); }

}  // namespace qforge::io
