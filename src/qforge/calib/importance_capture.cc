#include "qforge/calib/importance_capture.h"

#include <map>

#include "qforge/calib/input_capture.h"
#include "qforge/core/error.h"
#include "qforge/kernels/ops.h"
#include "qforge/model/llama_model.h"

namespace qforge::calib {
namespace {

using model::LinearInput;

ImportanceEntry Entry(const InputCapture& cap) {
  ImportanceEntry e;
  const std::vector<float> mean = cap.MeanSquare();
  e.sum_sq.resize(mean.size());
  for (size_t j = 0; j < mean.size(); ++j) e.sum_sq[j] = mean[j] * float(cap.count());
  e.counts = {float(cap.count())};
  return e;
}

}  // namespace

ImportanceMatrix ComputeImportance(const Checkpoint& source, const CalibrationSet& calibration,
                                   ThreadPool& pool, const std::function<void(int, int)>& on_layer) {
  if (calibration.windows.empty()) Fail(ErrorKind::kInvalidInput, "no calibration windows");
  const ModelConfig& c = source.config;
  const int tokens = int(calibration.windows.front().size());
  model::LlamaModel model(source, pool, tokens);
  model::KvCache cache(1, tokens, c.kv_dim());
  const size_t per_window = size_t(tokens) * size_t(c.dim);
  std::vector<float> hidden(calibration.windows.size() * per_window);
  for (size_t s = 0; s < calibration.windows.size(); ++s)
    model.Embed(calibration.windows[s], &hidden[s * per_window]);

  ImportanceMatrix m;
  for (int l = 0; l < c.n_layers; ++l) {
    std::map<LinearInput, InputCapture> caps;
    caps.emplace(LinearInput::kAttention, InputCapture(c.dim, {}));
    caps.emplace(LinearInput::kAttentionOutput, InputCapture(c.dim, {}));
    caps.emplace(LinearInput::kFeedForward, InputCapture(c.dim, {}));
    caps.emplace(LinearInput::kFeedForwardDown, InputCapture(c.hidden_dim, {}));
    const model::LinearObserver observe = [&](int, LinearInput in, const float* x, int n, int) {
      caps.at(in).Add(x, n);
    };
    for (size_t s = 0; s < calibration.windows.size(); ++s)
      model.ForwardLayer(l, &hidden[s * per_window], tokens, 0, cache, 0, observe);
    for (const char* w : {"attn_q", "attn_k", "attn_v"})
      m.entries[LayerTensorName(l, w)] = Entry(caps.at(LinearInput::kAttention));
    m.entries[LayerTensorName(l, "attn_output")] = Entry(caps.at(LinearInput::kAttentionOutput));
    for (const char* w : {"ffn_gate", "ffn_up"})
      m.entries[LayerTensorName(l, w)] = Entry(caps.at(LinearInput::kFeedForward));
    m.entries[LayerTensorName(l, "ffn_down")] = Entry(caps.at(LinearInput::kFeedForwardDown));
    if (on_layer) on_layer(l + 1, c.n_layers);
  }
  // The classifier reads output_norm(x).
  const TensorView& norm_t = source.Get(kOutputNormName);
  std::vector<float> norm(size_t(c.dim)), row(size_t(c.dim));
  Traits(norm_t.type).dequantize_row(norm_t.data, norm.data(), c.dim);
  InputCapture head(c.dim, {});
  for (size_t t = 0; t < hidden.size() / size_t(c.dim); ++t) {
    kernels::RmsNorm(&hidden[t * size_t(c.dim)], norm.data(), c.dim, c.norm_eps, row.data());
    head.Add(row.data(), 1);
  }
  const bool tied = source.Find(kOutputName) == nullptr;
  m.entries[std::string(tied ? kTokenEmbeddingName : kOutputName)] = Entry(head);
  m.chunks_count = int64_t(calibration.windows.size());
  m.chunk_size = tokens;
  return m;
}

}  // namespace qforge::calib
