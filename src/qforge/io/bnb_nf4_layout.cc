// Packing and unpacking of bitsandbytes' 4-bit weights (layout in bnb_nf4_layout.h).
#include "qforge/io/bnb_nf4_layout.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "qforge/core/error.h"

namespace qforge::io {
namespace {

template <typename T>
std::vector<T> CopyOut(std::span<const std::byte> bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

int64_t Elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const StRawTensor& Part(const std::map<std::string, StRawTensor>& tensors, const std::string& name,
                        const char* dtype, int64_t elements, const std::string& path) {
  const auto it = tensors.find(name);
  if (it == tensors.end())
    Fail(ErrorKind::kInvalidInput, "{}: bitsandbytes weight lacks '{}'", path, name);
  if (it->second.dtype != dtype || Elements(it->second.shape) != elements)
    Fail(ErrorKind::kInvalidInput, "{}: '{}' is {} {}, expected {} with {} elements", path, name,
         it->second.dtype, ShapeString(it->second.shape), dtype, elements);
  return it->second;
}

// The table must be bnb's own: qforge computes with its copy of the table, not the file's.
void RequireTable(const StRawTensor& t, const float* table, size_t n, const std::string& path) {
  const std::vector<float> values = CopyOut<float>(t.bytes);
  if (values.size() != n || std::memcmp(values.data(), table, n * sizeof(float)) != 0)
    Fail(ErrorKind::kUnsupported, "{}: '{}' is not bitsandbytes' standard table", path, t.name);
}

nlohmann::json ParseQuantState(const StRawTensor& blob, const std::string& path) {
  try {
    const auto* text = reinterpret_cast<const char*>(blob.bytes.data());
    nlohmann::json j = nlohmann::json::parse(text, text + blob.bytes.size());
    if (!j.is_object() || !j.contains("shape") || !j["shape"].is_array() ||
        !j.contains("blocksize") || !j.contains("quant_type"))
      Fail(ErrorKind::kInvalidInput, "{}: '{}' lacks shape, blocksize or quant_type", path,
           blob.name);
    return j;
  } catch (const nlohmann::json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: '{}' is not valid JSON: {}", path, blob.name, e.what());
  }
}

}  // namespace

BnbNf4Weight PackBnbNf4(const TensorView& nf4, bool double_quant, const std::string& dtype) {
  if (nf4.type != QType::kNF4 || nf4.shape.size() != 2 || nf4.Cols() % kNF4BlockSize != 0)
    Fail(ErrorKind::kInvalidInput,
         "tensor '{}' ({} {}): bitsandbytes export needs a 2-D NF4 weight whose rows are whole "
         "blocks of {}",
         nf4.name, Traits(nf4.type).name, ShapeString(nf4.shape), kNF4BlockSize);
  const size_t blocks = size_t(nf4.NumElements() / kNF4BlockSize);
  if (nf4.nbytes != blocks * sizeof(BlockNF4))
    Fail(ErrorKind::kInvalidInput, "tensor '{}' has {} bytes, {} NF4 blocks need {}", nf4.name,
         nf4.nbytes, blocks, blocks * sizeof(BlockNF4));
  BnbNf4Weight w;
  w.shape = nf4.shape;
  w.double_quant = double_quant;
  w.packed.resize(blocks * sizeof(BlockNF4::qs));
  std::vector<float> absmax(blocks);
  for (size_t b = 0; b < blocks; ++b) {
    BlockNF4 block;
    std::memcpy(&block, nf4.data + b * sizeof(BlockNF4), sizeof(BlockNF4));
    absmax[b] = block.absmax;
    std::memcpy(w.packed.data() + b * sizeof(block.qs), block.qs, sizeof(block.qs));
  }
  nlohmann::ordered_json state = {
      {"quant_type", "nf4"}, {"blocksize", kNF4BlockSize}, {"dtype", dtype}, {"shape", nf4.shape}};
  if (double_quant) {
    w.dq = DoubleQuantizeAbsmax(absmax.data(), int64_t(blocks));
    state["nested_blocksize"] = kNF4DoubleQuantBlock;
    state["nested_dtype"] = "float32";
    state["nested_offset"] = double(w.dq.offset);
  } else {
    w.absmax = std::move(absmax);
  }
  w.quant_state = state.dump();
  return w;
}

TensorView UnpackBnbNf4(const std::map<std::string, StRawTensor>& tensors,
                        const std::string& weight, const std::string& path,
                        std::shared_ptr<const void>& owner) {
  const auto blob_it = tensors.lower_bound(weight + std::string(kBnbQuantStatePrefix));
  if (blob_it == tensors.end() ||
      !blob_it->first.starts_with(weight + std::string(kBnbQuantStatePrefix)))
    Fail(ErrorKind::kInvalidInput, "{}: '{}' has no quant_state", path, weight);
  const nlohmann::json state = ParseQuantState(blob_it->second, path);
  const std::string quant_type = state["quant_type"].is_string() ? state["quant_type"] : "";
  const bool nested = state.contains("nested_offset");
  std::vector<int64_t> shape;
  for (const auto& d : state["shape"]) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() == 0 || d.get<uint64_t>() > (1u << 30))
      Fail(ErrorKind::kInvalidInput, "{}: '{}' has an invalid shape {}", path, blob_it->first,
           state["shape"].dump());
    shape.push_back(d.get<int64_t>());
  }
  if ((quant_type != "nf4" && quant_type != "fp4") || state["blocksize"] != kNF4BlockSize ||
      shape.size() != 2 || shape[1] % kNF4BlockSize != 0 || (nested && quant_type == "fp4"))
    Fail(ErrorKind::kUnsupported,
         "{}: '{}' is {} with blocksize {} and shape {}{}: qforge reads nf4/fp4 in blocks of 64 "
         "whose rows are whole blocks (double quantization for nf4 only)",
         path, weight, quant_type, state["blocksize"].dump(), state["shape"].dump(),
         nested ? " (double-quantized)" : "");
  const int64_t numel = shape[0] * shape[1], blocks = numel / kNF4BlockSize;
  const StRawTensor& packed = Part(tensors, weight, "U8", numel / 2, path);
  const StRawTensor& absmax =
      Part(tensors, weight + ".absmax", nested ? "U8" : "F32", blocks, path);
  const bool nf4 = quant_type == "nf4";
  RequireTable(Part(tensors, weight + ".quant_map", "F32", 16, path), nf4 ? kNF4Levels : kFP4Levels,
               16, path);

  auto out = std::make_shared<std::vector<BlockNF4>>(size_t(blocks));
  if (nested) {
    const int64_t groups = (blocks + kNF4DoubleQuantBlock - 1) / kNF4DoubleQuantBlock;
    RequireTable(Part(tensors, weight + ".nested_quant_map", "F32", 256, path), DynamicMap8(), 256,
                 path);
    if (!state["nested_offset"].is_number() ||
        state.value("nested_blocksize", int64_t(0)) != kNF4DoubleQuantBlock)
      Fail(ErrorKind::kUnsupported, "{}: '{}' has nested_blocksize {} or a non-numeric offset",
           path, weight, state.value("nested_blocksize", nlohmann::json()).dump());
    NF4DoubleQuant dq;
    dq.offset = state["nested_offset"].get<float>();
    dq.absmax2 =
        CopyOut<float>(Part(tensors, weight + ".nested_absmax", "F32", groups, path).bytes);
    dq.codes = CopyOut<uint8_t>(absmax.bytes);
    for (int64_t b = 0; b < blocks; ++b) (*out)[size_t(b)].absmax = dq.Absmax(b);
  } else {
    const std::vector<float> values = CopyOut<float>(absmax.bytes);
    for (int64_t b = 0; b < blocks; ++b) (*out)[size_t(b)].absmax = values[size_t(b)];
  }
  for (int64_t b = 0; b < blocks; ++b)
    std::memcpy((*out)[size_t(b)].qs, packed.bytes.data() + b * 32, 32);

  TensorView t;
  t.type = !nf4 ? QType::kFP4 : nested ? QType::kNF4_DQ : QType::kNF4;
  t.shape = shape;
  t.data = reinterpret_cast<const std::byte*>(out->data());
  t.nbytes = out->size() * sizeof(BlockNF4);
  owner = out;
  return t;
}

}  // namespace qforge::io
