// The layer-by-layer driver of the calibrated methods (see calibrated_quantize.h).
#include "qforge/calib/calibrated_quantize.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include "qforge/calib/input_capture.h"
#include "qforge/core/error.h"
#include "qforge/model/llama_model.h"
#include "qforge/quant/awq.h"
#include "qforge/quant/fake_quantize.h"
#include "qforge/quant/gptq.h"
#include "qforge/quant/linear_grid.h"
#include "qforge/quant/smoothquant.h"

namespace qforge::calib {
namespace {

using model::LinearInput;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// One linear layer of the decoder layer being processed.
struct Linear {
  std::string what;  // "attn_q", ...
  LinearInput input;
  TensorView model::LayerWeights::*slot;
  std::string name;
  quant::TensorChoice choice;
  int64_t rows = 0, cols = 0;
  std::vector<float> original;  // f32 weights as loaded
  std::vector<float> work;      // with the method's scales folded in
  std::vector<float> row_scale;  // outputs divided by these (a later layer's scales), or empty
};

constexpr std::array<std::pair<const char*, LinearInput>, 7> kLinears = {{
    {"attn_q", LinearInput::kAttention},
    {"attn_k", LinearInput::kAttention},
    {"attn_v", LinearInput::kAttention},
    {"attn_output", LinearInput::kAttentionOutput},
    {"ffn_gate", LinearInput::kFeedForward},
    {"ffn_up", LinearInput::kFeedForward},
    {"ffn_down", LinearInput::kFeedForwardDown},
}};
constexpr TensorView model::LayerWeights::*kSlots[7] = {
    &model::LayerWeights::wq, &model::LayerWeights::wk, &model::LayerWeights::wv,
    &model::LayerWeights::wo, &model::LayerWeights::w_gate, &model::LayerWeights::w_up,
    &model::LayerWeights::w_down};

std::vector<float> Dequantized(const TensorView& t) {
  std::vector<float> out(size_t(t.NumElements()));
  for (int64_t r = 0; r < t.Rows(); ++r)
    Traits(t.type).dequantize_row(t.Row(r), &out[size_t(r * t.Cols())], t.Cols());
  return out;
}

double RelativeError(const std::vector<float>& ref, const std::vector<float>& out) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = double(out[i]) - double(ref[i]);
    num += d * d;
    den += double(ref[i]) * double(ref[i]);
  }
  return den > 0.0 ? std::sqrt(num / den) : std::sqrt(num);
}

class Driver {
 public:
  Driver(const Checkpoint& source, const quant::Recipe& recipe, const CalibrationSet& calib,
         ThreadPool& pool, const CalibratedOptions& options)
      : source_(source),
        recipe_(recipe),
        calib_(calib),
        pool_(pool),
        options_(options),
        config_(source.config),
        tokens_(int(calib.windows.front().size())),
        model_(source, pool, tokens_),
        cache_(1, tokens_, source.config.kv_dim()) {
    result_.checkpoint = source;
    for (size_t i = 0; i < source.tensors.size(); ++i) index_[source.tensors[i].name] = i;
    for (const quant::TensorChoice& c : quant::PlanRecipe(recipe, source)) plan_[c.name] = c;
  }

  CalibratedModel Run() {
    const auto start = Clock::now();
    const size_t dim = size_t(config_.dim);
    hidden_.resize(calib_.windows.size() * size_t(tokens_) * dim);
    for (size_t s = 0; s < calib_.windows.size(); ++s)
      model_.Embed(calib_.windows[s], &hidden_[s * size_t(tokens_) * dim]);
    for (int l = 0; l < config_.n_layers; ++l) {
      LoadLayer(l);
      switch (recipe_.method.method) {
        case quant::Method::kGptq:
          Gptq(l);
          break;
        case quant::Method::kAwq:
        case quant::Method::kSmoothQuant:
          Scaled(l);
          break;
        case quant::Method::kRtn:
          Fail(ErrorKind::kInvalidInput, "recipe '{}' has no calibrated method", recipe_.name);
      }
      Progress("next layer's inputs", l);
      for (size_t s = 0; s < calib_.windows.size(); ++s)
        model_.ForwardLayer(l, Window(s), tokens_, 0, cache_, 0);
    }
    result_.seconds = Seconds(start);
    return std::move(result_);
  }

 private:
  float* Window(size_t s) { return &hidden_[s * size_t(tokens_) * size_t(config_.dim)]; }
  int64_t TotalTokens() const { return int64_t(calib_.windows.size()) * tokens_; }
  void Progress(std::string_view stage, int layer) {
    if (options_.on_progress) options_.on_progress(stage, layer, config_.n_layers);
  }

  void LoadLayer(int l) {
    linears_.clear();
    for (size_t k = 0; k < kLinears.size(); ++k) {
      Linear lin;
      lin.what = kLinears[k].first;
      lin.input = kLinears[k].second;
      lin.slot = kSlots[k];
      lin.name = LayerTensorName(l, lin.what);
      const TensorView& t = source_.Get(lin.name);
      lin.choice = plan_.at(lin.name);
      lin.rows = t.Rows();
      lin.cols = t.Cols();
      lin.original = Dequantized(t);
      lin.work = lin.original;
      linears_.push_back(std::move(lin));
    }
  }

  Linear& Find(std::string_view what) {
    for (Linear& lin : linears_)
      if (lin.what == what) return lin;
    QF_CHECK(false);
    return linears_.front();
  }

  // Runs layer l over every window (without changing the hidden states), capturing the inputs in
  // `wanted`.
  std::map<LinearInput, std::unique_ptr<InputCapture>> Capture(int l,
                                                               std::vector<LinearInput> wanted,
                                                               bool hessian) {
    std::map<LinearInput, std::unique_ptr<InputCapture>> caps;
    for (LinearInput in : wanted) {
      const int width = in == LinearInput::kFeedForwardDown ? config_.hidden_dim : config_.dim;
      caps[in] = std::make_unique<InputCapture>(
          width, InputCaptureOptions{hessian, options_.sample_tokens, TotalTokens()});
    }
    const model::LinearObserver observer = [&](int, LinearInput in, const float* x, int n, int) {
      if (auto it = caps.find(in); it != caps.end()) it->second->Add(x, n);
    };
    std::vector<float> scratch(size_t(tokens_) * size_t(config_.dim));
    for (size_t s = 0; s < calib_.windows.size(); ++s) {
      std::copy_n(Window(s), scratch.size(), scratch.begin());
      model_.ForwardLayer(l, scratch.data(), tokens_, 0, cache_, 0, observer);
    }
    return caps;
  }

  // Puts `bytes` (the linear's recipe type) in the model and the result.
  void Install(int l, Linear& lin, std::vector<std::byte> bytes) {
    auto owned = std::make_shared<std::vector<std::byte>>(std::move(bytes));
    TensorView& out = result_.checkpoint.tensors[index_.at(lin.name)];
    out.type = lin.choice.type;
    out.data = owned->data();
    out.nbytes = owned->size();
    result_.checkpoint.storage.push_back(owned);
    model_.layer_weights(l).*(lin.slot) = out;
  }

  void InstallNorm(int l, const char* what, std::vector<float> weight) {
    auto owned = std::make_shared<std::vector<float>>(weight);
    TensorView& out = result_.checkpoint.tensors[index_.at(LayerTensorName(l, what))];
    out.type = QType::kF32;
    out.data = reinterpret_cast<const std::byte*>(owned->data());
    out.nbytes = owned->size() * sizeof(float);
    result_.checkpoint.storage.push_back(owned);
    (std::string_view(what) == "attn_norm" ? model_.layer_weights(l).attn_norm
                                           : model_.layer_weights(l).ffn_norm) = std::move(weight);
  }

  // Output errors of the method and of RTN on the captured sample x (original coordinates);
  // `input_scale` maps x to the coordinates the stored weights act on (x / s), empty for none.
  void Report(const Linear& lin, const InputCapture& cap, const std::vector<std::byte>& bytes,
              const std::vector<float>& input_scale, double seconds, std::string detail) {
    const int64_t n = cap.sample_rows();
    LinearReport r{lin.name, lin.choice.type, 0.0, 0.0, seconds, std::move(detail)};
    if (n > 0) {
      const std::vector<float>& x = cap.sample();
      const auto ref = quant::MultiplyTransposed(x.data(), n, lin.original.data(), lin.rows, lin.cols, pool_);
      std::vector<float> xs = x;
      if (!input_scale.empty())
        for (int64_t t = 0; t < n; ++t)
          for (int64_t j = 0; j < lin.cols; ++j) xs[size_t(t * lin.cols + j)] /= input_scale[size_t(j)];
      const auto deq = quant::DequantizeMatrix(lin.choice.type, bytes.data(), lin.rows, lin.cols);
      auto out = quant::MultiplyTransposed(xs.data(), n, deq.data(), lin.rows, lin.cols, pool_);
      if (!lin.row_scale.empty())
        for (int64_t t = 0; t < n; ++t)
          for (int64_t o = 0; o < lin.rows; ++o) out[size_t(t * lin.rows + o)] *= lin.row_scale[size_t(o)];
      r.error = RelativeError(ref, out);
      std::vector<float> rtn = lin.original;
      quant::FakeQuantize(lin.choice.type, rtn.data(), lin.rows, lin.cols, rtn.data(), pool_);
      r.rtn_error = RelativeError(ref, quant::MultiplyTransposed(x.data(), n, rtn.data(), lin.rows, lin.cols, pool_));
    }
    result_.linears.push_back(std::move(r));
  }

  void Gptq(int l) {
    const quant::MethodConfig& m = recipe_.method;
    quant::GptqOptions opts{m.damp_percent, 0.0025, m.block_size, m.desc_act, m.static_groups};
    std::vector<std::vector<LinearInput>> stages = {
        {LinearInput::kAttention}, {LinearInput::kAttentionOutput}, {LinearInput::kFeedForward},
        {LinearInput::kFeedForwardDown}};
    if (!m.true_sequential)
      stages = {{LinearInput::kAttention, LinearInput::kAttentionOutput, LinearInput::kFeedForward,
                 LinearInput::kFeedForwardDown}};
    for (const auto& stage : stages) {
      Progress("capturing", l);
      auto caps = Capture(l, stage, /*hessian=*/true);
      for (Linear& lin : linears_) {
        if (std::find(stage.begin(), stage.end(), lin.input) == stage.end()) continue;
        if (!lin.choice.quantized) continue;
        const auto grid = quant::LinearGrid::For(lin.choice.type);
        if (!grid)
          Fail(ErrorKind::kInvalidInput,
               "recipe '{}': GPTQ needs a type with a fixed grid per group (INT*, Q4_0, Q4_1, "
               "Q5_0, Q5_1, Q8_0); {} is {} (use awq, or imatrix, for k-quants)",
               recipe_.name, lin.name, Traits(lin.choice.type).name);
        Progress(lin.what, l);
        const auto start = Clock::now();
        const InputCapture& cap = *caps.at(lin.input);
        quant::GptqResult g =
            quant::GptqQuantize(lin.work.data(), lin.rows, lin.cols, cap.Hessian(), *grid, opts);
        const double seconds = Seconds(start);
        Report(lin, cap, g.bytes, {}, seconds, fmt::format("damp {:.4g}", g.damp_used));
        Install(l, lin, std::move(g.bytes));
      }
    }
  }

  // AWQ and SmoothQuant: one capture, scales folded, then round to nearest.
  void Scaled(int l) {
    const bool awq = recipe_.method.method == quant::Method::kAwq;
    Progress("capturing", l);
    auto caps = Capture(l,
                        {LinearInput::kAttention, LinearInput::kAttentionOutput,
                         LinearInput::kFeedForward, LinearInput::kFeedForwardDown},
                        /*hessian=*/false);
    std::map<LinearInput, std::vector<float>> scales;
    std::map<LinearInput, std::string> details;
    std::vector<float> attn_norm = model_.layer_weights(l).attn_norm;
    std::vector<float> ffn_norm = model_.layer_weights(l).ffn_norm;
    quant::AwqOptions awq_opts;
    awq_opts.grid = recipe_.method.awq_grid;
    awq_opts.clip = recipe_.method.awq_clip;

    // Scales for the linears reading `input`; their columns get s, the producer divides by s.
    const auto search = [&](LinearInput input, std::vector<const char*> readers) {
      std::vector<Linear*> lins;
      for (const char* w : readers)
        if (Find(w).choice.quantized) lins.push_back(&Find(w));
      if (lins.empty()) return false;
      const InputCapture& cap = *caps.at(input);
      std::vector<float> s;
      if (awq) {
        std::vector<quant::AwqLinear> al;
        for (Linear* lin : lins) al.push_back({lin->work.data(), lin->rows, lin->choice.type});
        const quant::AwqScales found = quant::AwqSearchScales(
            cap.sample().data(), cap.sample_rows(), cap.width(), cap.MeanAbs(), al, awq_opts, pool_);
        s = found.scales;
        details[input] = fmt::format("ratio {:.2f}", found.ratio);
      } else {
        std::vector<quant::SmoothLinear> sl;
        for (Linear* lin : lins) sl.push_back({lin->work.data(), lin->rows});
        s = quant::SmoothQuantScales(cap.absmax(), sl, recipe_.method.alpha);
        details[input] = fmt::format("max scale {:.3g}", *std::max_element(s.begin(), s.end()));
      }
      for (Linear* lin : lins) quant::ScaleColumns(lin->work.data(), lin->rows, lin->cols, s);
      scales[input] = std::move(s);
      return true;
    };
    Progress("searching scales", l);
    if (search(LinearInput::kAttention, {"attn_q", "attn_k", "attn_v"}))
      for (size_t j = 0; j < attn_norm.size(); ++j) attn_norm[j] /= scales[LinearInput::kAttention][j];
    if (search(LinearInput::kFeedForward, {"ffn_gate", "ffn_up"}))
      for (size_t j = 0; j < ffn_norm.size(); ++j) ffn_norm[j] /= scales[LinearInput::kFeedForward][j];
    if (awq) {
      // attn_v's output rows feed attn_output's columns one to one only without grouped-query
      // attention (AutoAWQ skips it otherwise too).
      if (config_.n_heads == config_.n_kv_heads && Find("attn_v").choice.quantized &&
          search(LinearInput::kAttentionOutput, {"attn_output"})) {
        Linear& v = Find("attn_v");
        quant::DivideRows(v.work.data(), v.rows, v.cols, scales[LinearInput::kAttentionOutput]);
        v.row_scale = scales[LinearInput::kAttentionOutput];
      }
      if (Find("ffn_up").choice.quantized && search(LinearInput::kFeedForwardDown, {"ffn_down"})) {
        Linear& up = Find("ffn_up");
        quant::DivideRows(up.work.data(), up.rows, up.cols, scales[LinearInput::kFeedForwardDown]);
        up.row_scale = scales[LinearInput::kFeedForwardDown];
      }
    }
    InstallNorm(l, "attn_norm", attn_norm);
    InstallNorm(l, "ffn_norm", ffn_norm);

    for (Linear& lin : linears_) {
      if (!lin.choice.quantized) continue;
      const auto start = Clock::now();
      const InputCapture& cap = *caps.at(lin.input);
      const auto it = scales.find(lin.input);
      const std::vector<float> none;
      const std::vector<float>& s = it != scales.end() ? it->second : none;
      std::string detail = details.count(lin.input) ? details[lin.input] : "no scales";
      if (awq && awq_opts.clip && lin.what != "attn_q" && lin.what != "attn_k") {
        Progress("clipping", l);
        std::vector<float> xs = cap.sample();
        if (!s.empty())
          for (int64_t t = 0; t < cap.sample_rows(); ++t)
            for (int64_t j = 0; j < lin.cols; ++j) xs[size_t(t * lin.cols + j)] /= s[size_t(j)];
        const double clipped = quant::AwqClip({lin.work.data(), lin.rows, lin.choice.type}, xs.data(),
                                              std::min<int64_t>(cap.sample_rows(), 512), lin.cols,
                                              awq_opts, pool_);
        detail += fmt::format(", clipped {:.0f}%", 100.0 * clipped);
      }
      std::vector<std::byte> bytes =
          quant::QuantizeMatrix(lin.choice.type, lin.work.data(), lin.rows, lin.cols, pool_);
      Report(lin, cap, bytes, s, Seconds(start), std::move(detail));
      Install(l, lin, std::move(bytes));
    }
  }

  const Checkpoint& source_;
  const quant::Recipe& recipe_;
  const CalibrationSet& calib_;
  ThreadPool& pool_;
  CalibratedOptions options_;
  ModelConfig config_;
  int tokens_;
  model::LlamaModel model_;
  model::KvCache cache_;
  CalibratedModel result_;
  std::map<std::string, size_t> index_;
  std::map<std::string, quant::TensorChoice> plan_;
  std::vector<float> hidden_;
  std::vector<Linear> linears_;
};

}  // namespace

CalibratedModel RunCalibratedMethod(const Checkpoint& source, const quant::Recipe& recipe,
                                    const CalibrationSet& calibration, ThreadPool& pool,
                                    const CalibratedOptions& options) {
  if (recipe.method.method == quant::Method::kRtn)
    Fail(ErrorKind::kInvalidInput, "recipe '{}' has no calibrated method", recipe.name);
  if (source.config.architecture != "llama")
    Fail(ErrorKind::kUnsupported, "{}: calibrated methods support the Llama family, not '{}'",
         source.path, source.config.architecture);
  if (calibration.windows.empty() || calibration.windows.front().size() < 2)
    Fail(ErrorKind::kInvalidInput, "calibration needs at least one window of 2 tokens or more");
  return Driver(source, recipe, calibration, pool, options).Run();
}

SampleOptions DefaultSampleOptions(const quant::Recipe& recipe, const ModelConfig& config) {
  SampleOptions o;
  o.samples = recipe.method.samples > 0 ? recipe.method.samples : 128;
  int tokens = recipe.method.method == quant::Method::kGptq ? 2048 : 512;
  if (recipe.method.tokens > 0) tokens = recipe.method.tokens;
  if (config.max_seq_len > 0) tokens = std::min(tokens, config.max_seq_len);
  o.tokens = tokens;
  return o;
}

}  // namespace qforge::calib
