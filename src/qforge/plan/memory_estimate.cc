// Shapes, sizes with units, KV cache and overhead for `qforge recommend`.
#include "qforge/plan/memory_estimate.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "qforge/core/error.h"
#include "qforge/io/load_checkpoint.h"

namespace qforge::plan {
namespace {

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c)))
      out += char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A leading decimal number ("1.5", "7e9") and the rest of the text.
std::optional<std::pair<double, std::string>> SplitNumber(const std::string& s) {
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end == s.data() || !std::isfinite(value)) return std::nullopt;
  return std::make_pair(value, std::string(end, s.data() + s.size()));
}

ModelConfig ConfigOf(const KnownShape& k) {
  ModelConfig c;
  c.dim = k.dim;
  c.hidden_dim = k.hidden_dim;
  c.n_layers = k.n_layers;
  c.n_heads = k.n_heads;
  c.n_kv_heads = k.n_kv_heads;
  c.vocab_size = k.vocab_size;
  c.max_seq_len = k.max_seq_len;
  c.tied_embeddings = k.tied_embeddings;
  return c;
}

int64_t CountParams(const ModelConfig& config) { return ShapeCheckpoint(config).ParameterCount(); }

ModelShape FromConfig(std::string name, std::string source, const ModelConfig& config) {
  ModelShape s{std::move(name), std::move(source), config, 0, ShapeCheckpoint(config)};
  s.params = s.layout.ParameterCount();
  return s;
}

ModelShape Known(const KnownShape& k) {
  return FromConfig(std::string(k.name), "known shape", ConfigOf(k));
}

int RoundTo(double x, int multiple) {
  return std::max(multiple, int(std::lround(x / multiple)) * multiple);
}

// Interpolation for a count between (or beyond) the known shapes: layers linearly and width
// geometrically in log(params) between the two neighbours (beyond the table: both scaled by
// (P/P0)^(1/3), since params ~ 12 x layers x width^2 and both grow together); head dim 128, the
// nearer neighbour's kv heads, vocabulary and tying; the FFN size then solved so the count is P
// (rounded to a multiple of 256, as the real models' are).
ModelShape Interpolate(int64_t params) {
  std::vector<ModelShape> rows;
  for (const KnownShape& k : KnownShapes()) rows.push_back(Known(k));
  std::sort(rows.begin(), rows.end(),
            [](const ModelShape& a, const ModelShape& b) { return a.params < b.params; });
  const double lp = std::log(double(params));
  const auto hi = std::find_if(rows.begin(), rows.end(),
                               [&](const ModelShape& r) { return r.params > params; });
  double layers, dim;
  const ModelShape* nearest;
  if (hi == rows.begin() || hi == rows.end()) {
    nearest = hi == rows.begin() ? &rows.front() : &rows.back();
    const double scale = std::cbrt(double(params) / double(nearest->params));
    layers = nearest->config.n_layers * scale;
    dim = nearest->config.dim * scale;
  } else {
    const ModelShape& a = *(hi - 1);
    const ModelShape& b = *hi;
    const double t = (lp - std::log(double(a.params))) /
                     (std::log(double(b.params)) - std::log(double(a.params)));
    layers = a.config.n_layers + t * (b.config.n_layers - a.config.n_layers);
    dim = std::exp(std::log(double(a.config.dim)) +
                   t * (std::log(double(b.config.dim)) - std::log(double(a.config.dim))));
    nearest = t < 0.5 ? &a : &b;
  }
  ModelConfig c;
  c.n_layers = std::max(1, int(std::lround(layers)));
  c.dim = RoundTo(dim, 128);
  c.n_heads = c.dim / 128;
  c.n_kv_heads = std::min(c.n_heads, nearest->config.n_kv_heads);
  c.vocab_size = nearest->config.vocab_size;
  c.tied_embeddings = nearest->config.tied_embeddings;
  c.max_seq_len = nearest->config.max_seq_len;
  const double d = c.dim, kvd = double(c.n_kv_heads) * 128;
  const double embed = d * c.vocab_size * (c.tied_embeddings ? 1 : 2) + d;
  const double per_layer = (double(params) - embed) / c.n_layers;
  c.hidden_dim = RoundTo((per_layer - 2 * d - 2 * d * d - 2 * d * kvd) / (3 * d), 256);
  return FromConfig(
      fmt::format("interpolated ({:.4g}B)", double(params) / 1e9),
      fmt::format(
          "interpolated from the known Llama shapes (layers and width between the neighbours in "
          "log(params), head dim 128, kv heads and vocabulary of {}, FFN size solved for the "
          "count)",
          nearest->name),
      c);
}

[[noreturn]] void BadParams(std::string_view text, std::string_view why) {
  std::string names;
  for (const KnownShape& k : KnownShapes())
    names += (names.empty() ? "" : ", ") + std::string(k.name);
  Fail(ErrorKind::kInvalidInput,
       "--params '{}': {}; give a count with a unit (7B, 1.1B, 350M), a full count (6738415616) "
       "or a known model ({})",
       text, why, names);
}

[[noreturn]] void BadBytes(std::string_view flag, std::string_view text, std::string_view why) {
  Fail(ErrorKind::kInvalidInput,
       "{} '{}': {}; give a size such as 80GB, 80 GB, 24G or 80GiB (GB and G are decimal, 1e9 "
       "bytes; GiB is 2^30 bytes; a bare number is GB)",
       flag, text, why);
}

}  // namespace

int64_t ParseParamCount(std::string_view text) {
  const std::string s = Lower(text);
  for (const KnownShape& k : KnownShapes())
    if (s == Lower(k.name)) return CountParams(ConfigOf(k));
  const auto split = SplitNumber(s);
  if (!split) BadParams(text, "not a number");
  const auto& [value, unit] = *split;
  double scale = 0;
  if (unit.empty())
    scale = 1;
  else if (unit == "k")
    scale = 1e3;
  else if (unit == "m")
    scale = 1e6;
  else if (unit == "b" || unit == "bn" || unit == "g")
    scale = 1e9;
  else if (unit == "t")
    scale = 1e12;
  else
    BadParams(text, fmt::format("unknown unit '{}'", unit));
  const double count = value * scale;
  if (!(count > 0)) BadParams(text, "a model has more than zero parameters");
  if (unit.empty() && count < 1e6)
    BadParams(text, "too small for a bare count (did you mean a unit, 70B?)");
  if (count > 1e14) BadParams(text, "more than 100T parameters");
  return int64_t(std::llround(count));
}

ModelShape ShapeForParams(std::string_view text) {
  const std::string s = Lower(text);
  for (const KnownShape& k : KnownShapes())
    if (s == Lower(k.name) || (!k.nominal.empty() && s == Lower(k.nominal))) return Known(k);
  const int64_t params = ParseParamCount(text);
  for (const KnownShape& k : KnownShapes()) {
    ModelShape known = Known(k);
    if (std::abs(double(known.params - params)) <= 0.02 * double(params)) return known;
  }
  return Interpolate(params);
}

ModelShape ShapeFromModelFile(const std::string& path) {
  const Checkpoint ckpt = io::LoadCheckpoint(path);
  if (ckpt.config.n_layers <= 0 || ckpt.config.n_kv_heads <= 0 || ckpt.config.dim <= 0)
    Fail(ErrorKind::kInvalidInput, "{}: no Llama config (layers, kv heads, width) to size", path);
  ModelShape s{
      path, fmt::format("model file ({})", ckpt.format), ckpt.config, ckpt.ParameterCount(), {}};
  s.layout.path = ckpt.path;
  s.layout.format = ckpt.format;
  s.layout.config = ckpt.config;
  s.layout.tensors = ckpt.tensors;
  for (TensorView& t : s.layout.tensors) t.data = nullptr;  // the map closes with `ckpt`
  return s;
}

Checkpoint ShapeCheckpoint(const ModelConfig& c) {
  Checkpoint ckpt;
  ckpt.path = "(shape)";
  ckpt.format = "shape";
  ckpt.config = c;
  const int64_t d = c.dim, kvd = int64_t(c.kv_dim()), h = c.hidden_dim;
  const auto add = [&](std::string name, std::vector<int64_t> shape) {
    TensorView t;
    t.name = std::move(name);
    t.type = shape.size() == 1 ? QType::kF32 : QType::kF16;
    t.shape = std::move(shape);
    ckpt.tensors.push_back(std::move(t));
  };
  add(std::string(kTokenEmbeddingName), {c.vocab_size, d});
  for (int i = 0; i < c.n_layers; ++i) {
    add(LayerTensorName(i, "attn_norm"), {d});
    add(LayerTensorName(i, "attn_q"), {d, d});
    add(LayerTensorName(i, "attn_k"), {kvd, d});
    add(LayerTensorName(i, "attn_v"), {kvd, d});
    add(LayerTensorName(i, "attn_output"), {d, d});
    add(LayerTensorName(i, "ffn_norm"), {d});
    add(LayerTensorName(i, "ffn_gate"), {h, d});
    add(LayerTensorName(i, "ffn_up"), {h, d});
    add(LayerTensorName(i, "ffn_down"), {d, h});
  }
  add(std::string(kOutputNormName), {d});
  if (!c.tied_embeddings) add(std::string(kOutputName), {c.vocab_size, d});
  return ckpt;
}

double ParseBytes(std::string_view text, std::string_view flag) {
  const std::string s = Lower(text);
  const auto split = SplitNumber(s);
  if (!split) BadBytes(flag, text, "not a number");
  const auto& [value, unit] = *split;
  struct Unit {
    const char* name;
    double bytes;
  };
  static const Unit kUnits[] = {{"", 1e9},
                                {"g", 1e9},
                                {"gb", 1e9},
                                {"gib", 1 << 30},
                                {"m", 1e6},
                                {"mb", 1e6},
                                {"mib", 1 << 20},
                                {"k", 1e3},
                                {"kb", 1e3},
                                {"kib", 1024},
                                {"t", 1e12},
                                {"tb", 1e12},
                                {"tib", 1099511627776.0}};
  for (const Unit& u : kUnits)
    if (unit == u.name) {
      const double bytes = value * u.bytes;
      if (!(bytes > 0)) BadBytes(flag, text, "must be more than zero");
      return bytes;
    }
  BadBytes(flag, text, fmt::format("unknown unit '{}'", unit));
}

double KvCacheBytes(const ModelConfig& c, int64_t ctx, int64_t batch, double bytes_per_element) {
  return 2.0 * c.n_layers * c.n_kv_heads * c.head_dim() * double(ctx) * double(batch) *
         bytes_per_element;
}

double KvBytesPerElement(std::string_view kv_type) {
  const std::string s = Lower(kv_type);
  if (s == "f16" || s == "fp16" || s == "bf16") return 2;
  if (s == "f32") return 4;
  if (s == "fp8" || s == "fp8_e4m3" || s == "fp8-e4m3") return 1;
  if (s == "q8_0") return 34.0 / 32;  // ggml block: f16 scale + 32 int8
  if (s == "q4_0") return 18.0 / 32;  // f16 scale + 32 nibbles
  Fail(ErrorKind::kInvalidInput, "--kv-type '{}': not one of f16, bf16, f32, fp8, q8_0, q4_0",
       kv_type);
}

double RuntimeOverheadBytes(double weight_bytes) { return 1e9 + 0.10 * weight_bytes; }

}  // namespace qforge::plan
