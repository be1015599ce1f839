// Tensor lookup and totals over a checkpoint.
#include "qforge/core/checkpoint.h"

#include "qforge/core/error.h"

namespace qforge {

const TensorView* Checkpoint::Find(std::string_view name) const {
  for (const TensorView& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorView& Checkpoint::Get(std::string_view name) const {
  if (const TensorView* t = Find(name)) return *t;
  Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' is missing", path, name);
}

uint64_t Checkpoint::WeightBytes() const {
  uint64_t total = 0;
  for (const TensorView& t : tensors) total += t.nbytes;
  return total;
}

int64_t Checkpoint::ParameterCount() const {
  int64_t total = 0;
  for (const TensorView& t : tensors) total += t.NumElements();
  return total;
}

std::string LayerTensorName(int layer, std::string_view what) {
  return fmt::format("blk.{}.{}.weight", layer, what);
}

}  // namespace qforge
