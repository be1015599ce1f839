// ToRotateHalf: GGUF / llama2.c q/k row order -> Hugging Face's (the inverse of the GGUF writer's
// permutation, io::UnpermuteRopeRow).
#include <cstring>
#include <memory>
#include <string_view>

#include "qforge/core/error.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/io/hf_export.h"

namespace qforge::io {
namespace {

int64_t Heads(const ModelConfig& c, std::string_view name) {
  if (!name.starts_with("blk.")) return 0;
  if (name.ends_with(".attn_q.weight")) return c.n_heads;
  if (name.ends_with(".attn_k.weight")) return c.n_kv_heads;
  return 0;
}

}  // namespace

Checkpoint ToRotateHalf(const Checkpoint& ckpt) {
  Checkpoint out = ckpt;
  if (ckpt.config.rope_style == RopeStyle::kRotateHalf) return out;
  const int64_t head_dim = ckpt.config.head_dim();
  for (TensorView& t : out.tensors) {
    const int64_t heads = Heads(ckpt.config, t.name);
    if (heads == 0) continue;
    if (t.shape.size() != 2 || t.Rows() != heads * head_dim || head_dim % 2 != 0 ||
        t.nbytes != t.RowStride() * size_t(t.Rows()))
      Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' of shape {} is not {} heads of {} rows",
           ckpt.path, t.name, ShapeString(t.shape), heads, head_dim);
    auto buffer = std::shared_ptr<std::byte[]>(new std::byte[t.nbytes]);
    const size_t stride = t.RowStride();
    // GGUF row g holds Hugging Face row UnpermuteRopeRow(g): put it back there.
    for (int64_t g = 0; g < t.Rows(); ++g)
      std::memcpy(buffer.get() + size_t(UnpermuteRopeRow(g, head_dim)) * stride, t.Row(g), stride);
    t.data = buffer.get();
    out.storage.push_back(std::move(buffer));
  }
  out.config.rope_style = RopeStyle::kRotateHalf;
  return out;
}

}  // namespace qforge::io
