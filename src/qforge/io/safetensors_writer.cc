// safetensors writer: checks every tensor, orders them for alignment, writes header then data.
#include "qforge/io/safetensors_writer.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "qforge/core/error.h"
#include "qforge/io/atomic_file.h"

namespace qforge::io {
namespace {

struct DtypeInfo {
  const char* name;
  size_t bytes;
};

DtypeInfo Info(StDtype dtype) {
  switch (dtype) {
    case StDtype::kF32:
      return {"F32", 4};
    case StDtype::kF16:
      return {"F16", 2};
    case StDtype::kBF16:
      return {"BF16", 2};
    case StDtype::kF8_E4M3:
      return {"F8_E4M3", 1};
    case StDtype::kF8_E5M2:
      return {"F8_E5M2", 1};
    case StDtype::kU8:
      return {"U8", 1};
    case StDtype::kI8:
      return {"I8", 1};
    case StDtype::kI32:
      return {"I32", 4};
    case StDtype::kI64:
      return {"I64", 8};
  }
  Fail(ErrorKind::kInternal, "invalid safetensors dtype {}", int(dtype));
}

void CheckTensor(const StTensor& t, const std::string& path, std::set<std::string>& names) {
  if (t.name.empty() || t.name == "__metadata__" || !names.insert(t.name).second)
    Fail(ErrorKind::kInvalidInput, "{}: tensor name '{}' is empty, reserved or repeated", path,
         t.name);
  uint64_t elements = 1;
  for (int64_t d : t.shape) {
    if (d < 0 || (d > 0 && elements > (uint64_t(1) << 48) / uint64_t(d)))
      Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has an invalid dimension {}", path, t.name,
           d);
    elements *= uint64_t(d);
  }
  if (elements * StDtypeBytes(t.dtype) != t.data.size())
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has {} bytes, its shape and {} need {}", path,
         t.name, t.data.size(), StDtypeName(t.dtype), elements * StDtypeBytes(t.dtype));
}

}  // namespace

const char* StDtypeName(StDtype dtype) { return Info(dtype).name; }
size_t StDtypeBytes(StDtype dtype) { return Info(dtype).bytes; }

void WriteSafetensors(const std::string& path, const std::vector<StTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  for (const StTensor& t : tensors) CheckTensor(t, path, names);

  // Largest elements first: each tensor's byte size is a multiple of its element size, so every
  // start offset stays a multiple of the element sizes that follow it.
  std::vector<const StTensor*> order;
  for (const StTensor& t : tensors) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const StTensor* a, const StTensor* b) {
    const size_t ea = StDtypeBytes(a->dtype), eb = StDtypeBytes(b->dtype);
    return ea != eb ? ea > eb : a->name < b->name;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const StTensor* t : order) {
    header[t->name] = {{"dtype", StDtypeName(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->data.size()}}};
    offset += t->data.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data section 8-byte aligned

  AtomicFile out(path);
  uint8_t len[8];
  for (int k = 0; k < 8; ++k) len[k] = uint8_t(uint64_t(text.size()) >> (8 * k));  // little-endian
  out.Write(len, 8);
  out.Write(text.data(), text.size());
  for (const StTensor* t : order) out.Write(t->data);
  out.Commit();
}

}  // namespace qforge::io
