// llama.cpp importance-matrix files: GGUF and legacy .dat readers, GGUF writer (imatrix_file.h).
#include "qforge/io/imatrix_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/io/byte_reader.h"
#include "qforge/io/gguf_file.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/io/mapped_file.h"

namespace qforge::io {
namespace {

constexpr std::string_view kSumsSuffix = ".in_sum2";
constexpr std::string_view kCountsSuffix = ".counts";

// Sums of squares and token counts are finite and non-negative; anything else is a corrupt file
// (a NaN importance would silently poison every scale search of the weight).
void CheckValues(const std::vector<float>& v, const std::string& path, const std::string& name,
                 std::string_view what) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]) || v[i] < 0.0f)
      Fail(ErrorKind::kInvalidInput, "{}: entry '{}': {} [{}] is {} (must be finite and >= 0)",
           path, name, what, i, v[i]);
}

std::vector<float> ReadF32Tensor(std::span<const std::byte> bytes, const GgufTensorInfo& t,
                                 const std::string& path) {
  if (t.type != QType::kF32)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' is {}, an imatrix stores F32", path, t.name,
         Traits(t.type).name);
  std::vector<float> v(size_t(t.nbytes / sizeof(float)));  // inside the file: Parse checked it
  std::memcpy(v.data(), bytes.data() + t.offset, v.size() * sizeof(float));
  return v;
}

ImportanceMatrix ParseGguf(std::span<const std::byte> bytes, const std::string& path) {
  const GgufFile file = GgufFile::Parse(bytes, path);
  ImportanceMatrix m;
  for (std::string_view key : {"imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"})
    if (!file.Has(key))
      Fail(ErrorKind::kInvalidInput, "{}: not an imatrix file: key '{}' is missing", path, key);
  m.datasets = file.GetStringArray("imatrix.datasets");
  m.chunks_count = file.GetU32("imatrix.chunk_count");
  m.chunk_size = file.GetU32("imatrix.chunk_size");
  // name -> (in_sum2, counts), in name order as llama-quantize iterates them.
  std::map<std::string, std::pair<const GgufTensorInfo*, const GgufTensorInfo*>> pairs;
  for (const GgufTensorInfo& t : file.tensors()) {
    const std::string_view name = t.name;
    if (name.ends_with(kSumsSuffix))
      pairs[std::string(name.substr(0, name.size() - kSumsSuffix.size()))].first = &t;
    else if (name.ends_with(kCountsSuffix))
      pairs[std::string(name.substr(0, name.size() - kCountsSuffix.size()))].second = &t;
    // other tensors (llama-imatrix's ".in_sum" means) do not enter the importance
  }
  for (const auto& [name, pair] : pairs) {
    const auto [sums, counts] = pair;
    if (sums == nullptr || counts == nullptr)
      Fail(ErrorKind::kInvalidInput, "{}: entry '{}' has {} but no {}", path, name,
           sums ? kSumsSuffix : kCountsSuffix, sums ? kCountsSuffix : kSumsSuffix);
    ImportanceEntry e{ReadF32Tensor(bytes, *sums, path), ReadF32Tensor(bytes, *counts, path)};
    // in_sum2 has ne = {columns, experts}; counts one value per expert.
    const size_t experts = e.sum_sq.size() / size_t(sums->shape.back());
    if (e.counts.size() != experts)
      Fail(ErrorKind::kInvalidInput, "{}: entry '{}': {} counts for {} experts", path, name,
           e.counts.size(), experts);
    CheckValues(e.sum_sq, path, name, "in_sum2");
    CheckValues(e.counts, path, name, "counts");
    m.entries.emplace(name, std::move(e));
  }
  if (m.entries.empty())
    Fail(ErrorKind::kInvalidInput, "{}: no importance entries ('<name>.in_sum2' + '.counts')",
         path);
  return m;
}

int32_t ReadLength(ByteReader& in, std::string_view what) {
  const int32_t len = in.Read<int32_t>(what);
  if (len < 0) Fail(ErrorKind::kInvalidInput, "{}: {} is negative ({})", in.file(), what, len);
  in.Require(uint64_t(len), what);
  return len;
}

ImportanceMatrix ParseLegacy(std::span<const std::byte> bytes, const std::string& path) {
  ByteReader in(bytes, path);
  ImportanceMatrix m;
  const int32_t n_entries = in.Read<int32_t>("entry count");
  if (n_entries < 1)
    Fail(ErrorKind::kInvalidInput, "{}: no data (entry count {}): not an imatrix file?", path,
         n_entries);
  for (int32_t i = 0; i < n_entries; ++i) {
    const int32_t len = ReadLength(in, "entry name length");
    if (len == 0) Fail(ErrorKind::kInvalidInput, "{}: entry {} has an empty name", path, i + 1);
    const auto raw = in.ReadBytes(uint64_t(len), "entry name");
    // llama-quantize builds the name as a C string: it ends at the first NUL byte.
    std::string name(reinterpret_cast<const char*>(raw.data()), raw.size());
    name.resize(std::strlen(name.c_str()));
    const int32_t ncall = in.Read<int32_t>("call count");
    const int32_t nval = in.Read<int32_t>("value count");
    if (nval < 1) Fail(ErrorKind::kInvalidInput, "{}: entry '{}' has {} values", path, name, nval);
    const auto data = in.ReadBytes(uint64_t(nval) * sizeof(float), "entry values");
    std::vector<float> values(static_cast<size_t>(nval));
    std::memcpy(values.data(), data.data(), data.size());
    CheckValues(values, path, name, "value");
    // Values are means times ncall: llama-quantize divides by ncall when it is positive.
    ImportanceEntry e{std::move(values), {ncall > 0 ? float(ncall) : 1.0f}};
    if (!m.entries.emplace(name, std::move(e)).second)
      Fail(ErrorKind::kInvalidInput, "{}: entry '{}' appears twice", path, name);
  }
  if (in.remaining() > 0) {  // newer legacy files: chunk count and the dataset's name
    const int32_t chunks = in.Read<int32_t>("chunk count");
    const int32_t dataset_len = ReadLength(in, "dataset name length");
    const auto dataset = in.ReadBytes(uint64_t(dataset_len), "dataset name");
    m.chunks_count = std::max(0, chunks);
    m.datasets.emplace_back(reinterpret_cast<const char*>(dataset.data()), dataset.size());
    if (in.remaining() > 0)
      Fail(ErrorKind::kInvalidInput, "{}: {} unexpected bytes after the dataset name", path,
           in.remaining());
  }
  return m;
}

std::span<const std::byte> FloatBytes(const std::vector<float>& v) {
  return std::as_bytes(std::span<const float>(v));
}

uint32_t ToU32(int64_t v, std::string_view what) {
  if (v < 0 || v > int64_t(std::numeric_limits<uint32_t>::max()))
    Fail(ErrorKind::kInvalidInput, "imatrix {} {} does not fit the file's u32", what, v);
  return uint32_t(v);
}

}  // namespace

ImportanceMatrix ParseImatrix(std::span<const std::byte> bytes, const std::string& path) {
  const bool gguf = bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0;
  ImportanceMatrix m = gguf ? ParseGguf(bytes, path) : ParseLegacy(bytes, path);
  m.file = path;
  return m;
}

ImportanceMatrix ReadImatrix(const std::string& path) {
  const auto map = MappedFile::Open(path);
  return ParseImatrix(map->bytes(), path);
}

void WriteImatrixGguf(const ImportanceMatrix& matrix, const std::string& path) {
  GgufWriter w;
  w.Add("general.type", "imatrix");
  w.AddStringArray("imatrix.datasets", matrix.datasets);
  w.Add("imatrix.chunk_count", ToU32(matrix.chunks_count, "chunk count"));
  w.Add("imatrix.chunk_size", ToU32(matrix.chunk_size, "chunk size"));
  for (const auto& [name, e] : matrix.entries) {
    const size_t experts = e.counts.size();
    if (experts == 0 || e.sum_sq.empty() || e.sum_sq.size() % experts != 0)
      Fail(ErrorKind::kInvalidInput, "imatrix entry '{}': {} sums do not split into {} experts",
           name, e.sum_sq.size(), experts);
    const int64_t cols = int64_t(e.sum_sq.size() / experts);
    w.AddTensor(name + std::string(kSumsSuffix), QType::kF32, {int64_t(experts), cols},
                FloatBytes(e.sum_sq));
    w.AddTensor(name + std::string(kCountsSuffix), QType::kF32, {int64_t(experts), 1},
                FloatBytes(e.counts));
  }
  w.Write(path);
}

}  // namespace qforge::io
