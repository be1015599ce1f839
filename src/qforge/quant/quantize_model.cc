#include "qforge/quant/quantize_model.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/core/qblocks_weighted.h"

namespace qforge::quant {
namespace {

// Rows with a NaN/Inf weight: the first one found, reported after the parallel loop.
struct BadRow {
  std::mutex mu;
  int64_t row = -1;
  void Note(int64_t r) {
    std::lock_guard lock(mu);
    if (row < 0 || r < row) row = r;
  }
};

// Types whose scale depends on the whole tensor (FP8 per-tensor, NF4 with double quantization):
// the tensor is dequantized to f32 once and quantized in one call.
void QuantizeWhole(const TensorView& src, QType to, std::byte* out, bool measure,
                   ErrorStats& stats) {
  const int64_t cols = src.Cols(), rows = src.Rows();
  std::vector<float> all(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = all.data() + r * cols;
    Traits(src.type).dequantize_row(src.Row(r), row, cols);
    for (int64_t c = 0; c < cols; ++c)
      if (!std::isfinite(row[c]))
        Fail(ErrorKind::kInvalidInput,
             "tensor '{}' row {} holds NaN or Inf weights: refusing to quantize", src.name, r);
  }
  QuantizeTensor(to, all.data(), rows, cols, out);
  if (!measure) return;
  const size_t stride = RowBytes(to, cols);
  std::vector<float> back(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    Traits(to).dequantize_row(out + size_t(r) * stride, back.data(), cols);
    stats.Add({all.data() + r * cols, size_t(cols)}, back);
  }
}

// `importance` (one value per column, or null): ggml's importance-weighted search instead of the
// type's reference quantizer.
void QuantizeRows(const TensorView& src, QType to, std::byte* out, bool measure, ThreadPool& pool,
                  ErrorStats& stats, const float* importance = nullptr) {
  if (QuantizesPerTensor(to)) return QuantizeWhole(src, to, out, measure, stats);
  const int64_t cols = src.Cols(), rows = src.Rows();
  const size_t out_stride = RowBytes(to, cols);
  const QTypeTraits& from_traits = Traits(src.type);
  const QTypeTraits& to_traits = Traits(to);
  BadRow bad;
  // Per-row statistics merged in row order afterwards, so the sums do not depend on how rows were
  // split across threads.
  std::vector<ErrorStats> per_row(measure ? size_t(rows) : 0);
  pool.ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        std::vector<float> row(static_cast<size_t>(cols)), back(static_cast<size_t>(cols));
        for (int64_t r = begin; r < end; ++r) {
          from_traits.dequantize_row(src.Row(r), row.data(), cols);
          bool finite = true;
          for (float v : row) finite &= std::isfinite(v);
          if (!finite) {
            bad.Note(r);
            continue;
          }
          std::byte* dst = out + size_t(r) * out_stride;
          if (importance == nullptr || !QuantizeRowWeighted(to, row.data(), dst, cols, importance))
            to_traits.quantize_row(row.data(), dst, cols);
          if (measure) {
            to_traits.dequantize_row(dst, back.data(), cols);
            per_row[size_t(r)].Add(row, back);
          }
        }
      },
      /*min_per_thread=*/16);
  if (bad.row >= 0)
    Fail(ErrorKind::kInvalidInput,
         "tensor '{}' row {} holds NaN or Inf weights: refusing to quantize", src.name, bad.row);
  for (const ErrorStats& s : per_row) stats.Merge(s);
}

// The importance vector llama-quantize would pass for tensor `t` quantized to `type`: empty when
// the matrix has no entry for it or the type ignores it. A length other than the row length is an
// error, as in llama-quantize, except for the token embedding (which it quantizes without). An
// infinite importance (sums that overflowed) would turn every weighted sum into NaN: an error too.
std::vector<float> ImportanceFor(const ImportanceMatrix* matrix, const TensorView& t, QType type) {
  const ImportanceEntry* entry = matrix ? matrix->Find(t.name) : nullptr;
  if (entry == nullptr) return {};
  std::vector<float> importance = entry->Importance();
  if (int64_t(importance.size()) != t.Cols()) {
    if (t.name == "token_embd.weight") return {};
    Fail(ErrorKind::kInvalidInput,
         "imatrix {}: entry '{}' has {} values but the tensor's rows have {} columns", matrix->file,
         t.name, importance.size(), t.Cols());
  }
  for (size_t j = 0; j < importance.size(); ++j)
    if (!std::isfinite(importance[j]) || importance[j] < 0)
      Fail(ErrorKind::kInvalidInput, "imatrix {}: entry '{}' column {} has importance {}",
           matrix->file, t.name, j, importance[j]);
  if (!HasWeightedQuantizer(type)) return {};
  return importance;
}

// llama-quantize's provenance keys (its kv overrides: strings, and u32 counts kept printable here).
void NoteImportance(const ImportanceMatrix& m, Checkpoint& ckpt) {
  ckpt.metadata["quantize.imatrix.file"] = m.file;
  if (!m.datasets.empty()) ckpt.metadata["quantize.imatrix.dataset"] = m.datasets.front();
  ckpt.metadata["quantize.imatrix.entries_count"] = std::to_string(m.entries.size());
  if (m.chunks_count > 0)
    ckpt.metadata["quantize.imatrix.chunks_count"] = std::to_string(m.chunks_count);
}

}  // namespace

QuantizedModel QuantizeCheckpoint(const Checkpoint& source, const Recipe& recipe, ThreadPool& pool,
                                  const QuantizeOptions& options) {
  QuantizedModel result;
  result.checkpoint = source;  // shares the source storage for the tensors that stay as they are
  const std::vector<TensorChoice> plan = PlanRecipe(recipe, source);
  for (size_t i = 0; i < plan.size(); ++i) {
    const TensorChoice& choice = plan[i];
    TensorView& t = result.checkpoint.tensors[i];
    TensorResult r{choice, t.shape, t.nbytes, {}};
    // A tensor that already has its recipe type was produced by a calibrated method (GPTQ's
    // bytes, calib/calibrated_quantize.h): rounding it again could only lose what the method found.
    const bool already = choice.quantized && source.tensors[i].type == choice.type;
    if (choice.quantized && !already) {
      if (Traits(choice.type).quantize_row == nullptr)
        Fail(ErrorKind::kUnsupported, "recipe '{}': type {} has no round-to-nearest quantizer",
             recipe.name, Traits(choice.type).name);
      const size_t bytes = RowBytes(choice.type, t.Cols()) * size_t(t.Rows());
      auto buffer = std::shared_ptr<std::byte[]>(new std::byte[bytes]);
      const std::vector<float> importance =
          ImportanceFor(options.importance, source.tensors[i], choice.type);
      r.weighted = !importance.empty();
      QuantizeRows(source.tensors[i], choice.type, buffer.get(), options.measure_error, pool,
                   r.error, r.weighted ? importance.data() : nullptr);
      t.type = choice.type;
      t.data = buffer.get();
      t.nbytes = bytes;
      r.bytes = bytes;
      result.checkpoint.storage.push_back(std::move(buffer));
      result.total.Merge(r.error);
    }
    result.tensors.push_back(std::move(r));
    if (options.on_tensor) options.on_tensor(i + 1, plan.size());
  }
  result.checkpoint.metadata["qforge.recipe"] = recipe.name;
  if (options.importance != nullptr) NoteImportance(*options.importance, result.checkpoint);
  return result;
}

}  // namespace qforge::quant
