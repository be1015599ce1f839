#include "qforge/quant/quantize_model.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"

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

void QuantizeRows(const TensorView& src, QType to, std::byte* out, bool measure, ThreadPool& pool,
                  ErrorStats& stats) {
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
    if (choice.quantized) {
      if (Traits(choice.type).quantize_row == nullptr)
        Fail(ErrorKind::kUnsupported, "recipe '{}': type {} has no round-to-nearest quantizer",
             recipe.name, Traits(choice.type).name);
      const size_t bytes = RowBytes(choice.type, t.Cols()) * size_t(t.Rows());
      auto buffer = std::shared_ptr<std::byte[]>(new std::byte[bytes]);
      QuantizeRows(source.tensors[i], choice.type, buffer.get(), options.measure_error, pool,
                   r.error);
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
  return result;
}

}  // namespace qforge::quant
