// qforge inspect: architecture, tokenizer, every tensor (type, shape, bytes, NaN/Inf), totals.
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/thread_pool.h"

namespace qforge::cli {
namespace {

struct InspectFlags {
  ModelFlags model;
  bool json = false;
  bool metadata = false;
};

struct NonFinite {
  int64_t nan = 0, inf = 0;
};

// Dequantizes every row (in parallel over rows) and counts NaN and Inf values.
NonFinite CountNonFinite(const TensorView& t, ThreadPool& pool) {
  const int64_t rows = t.Rows(), cols = t.Cols();
  std::vector<NonFinite> per_row(static_cast<size_t>(rows));
  pool.ParallelFor(rows, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = begin; r < end; ++r) {
      Traits(t.type).dequantize_row(t.Row(r), row.data(), cols);
      for (float v : row) {
        per_row[size_t(r)].nan += std::isnan(v);
        per_row[size_t(r)].inf += std::isinf(v);
      }
    }
  });
  NonFinite total;
  for (const NonFinite& n : per_row) total.nan += n.nan, total.inf += n.inf;
  return total;
}

std::string RopeName(RopeStyle s) {
  return s == RopeStyle::kAdjacentPairs ? "adjacent pairs" : "rotate half";
}

void Run(const InspectFlags& flags) {
  LoadedModel m = LoadModel(flags.model, /*need_tokenizer=*/false);
  const Checkpoint& ckpt = m.checkpoint;
  const ModelConfig& c = ckpt.config;
  ThreadPool pool(flags.model.threads);
  std::string tokenizer_desc;
  try {
    auto tok = LoadTokenizerFor(ckpt, flags.model.tokenizer);
    tokenizer_desc = fmt::format("{} tokens, bos {}, eos {}{}", tok->vocab_size(), tok->bos_id(),
                                 tok->eos_id(), ckpt.vocab ? " (embedded)" : "");
  } catch (const Error& e) {
    tokenizer_desc = fmt::format("none ({})", e.what());
  }
  nlohmann::json tensors = nlohmann::json::array();
  int64_t total_nan = 0, total_inf = 0;
  for (const TensorView& t : ckpt.tensors) {
    const NonFinite nf = CountNonFinite(t, pool);
    total_nan += nf.nan;
    total_inf += nf.inf;
    tensors.push_back({{"name", t.name},
                       {"type", Traits(t.type).name},
                       {"shape", t.shape},
                       {"bytes", t.nbytes},
                       {"nan", nf.nan},
                       {"inf", nf.inf}});
  }
  const int64_t params = ckpt.ParameterCount();
  const double bpw = params > 0 ? 8.0 * double(ckpt.WeightBytes()) / double(params) : 0.0;
  if (flags.json) {
    nlohmann::json j = {{"path", ckpt.path},
                        {"format", ckpt.format},
                        {"config",
                         {{"architecture", c.architecture},
                          {"dim", c.dim},
                          {"hidden_dim", c.hidden_dim},
                          {"n_layers", c.n_layers},
                          {"n_heads", c.n_heads},
                          {"n_kv_heads", c.n_kv_heads},
                          {"vocab_size", c.vocab_size},
                          {"context", c.max_seq_len},
                          {"norm_eps", c.norm_eps},
                          {"rope_theta", c.rope_theta},
                          {"rope_style", RopeName(c.rope_style)},
                          {"tied_embeddings", c.tied_embeddings}}},
                        {"tokenizer", tokenizer_desc},
                        {"parameters", params},
                        {"weight_bytes", ckpt.WeightBytes()},
                        {"bits_per_weight", bpw},
                        {"nan", total_nan},
                        {"inf", total_inf},
                        {"tensors", tensors}};
    if (flags.metadata) j["metadata"] = ckpt.metadata;
    fmt::print("{}\n", j.dump(1));
    return;
  }
  fmt::print("model:        {} ({})\n", ckpt.path, ckpt.format);
  fmt::print(
      "architecture: {}: dim {}, ffn {}, {} layers, {} heads ({} kv, head dim {}), vocab {}, "
      "context {}\n",
      c.architecture, c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim(),
      c.vocab_size, c.max_seq_len);
  fmt::print("              rope theta {} ({}), rms eps {}, classifier {}\n", c.rope_theta,
             RopeName(c.rope_style), c.norm_eps,
             c.tied_embeddings ? "tied to the embedding" : "separate");
  fmt::print("tokenizer:    {}\n", tokenizer_desc);
  fmt::print("size:         {} parameters, {} of weights, {:.2f} bits per weight\n",
             HumanCount(params), HumanBytes(ckpt.WeightBytes()), bpw);
  fmt::print("non-finite:   {} NaN, {} Inf\n\n", total_nan, total_inf);
  fmt::print("{:<28} {:<6} {:<14} {:>12} {:>6} {:>6}\n", "tensor", "type", "shape", "bytes", "nan",
             "inf");
  for (const auto& t : tensors)
    fmt::print("{:<28} {:<6} {:<14} {:>12} {:>6} {:>6}\n", t["name"].get<std::string>(),
               t["type"].get<std::string>(), ShapeString(t["shape"].get<std::vector<int64_t>>()),
               t["bytes"].get<uint64_t>(), t["nan"].get<int64_t>(), t["inf"].get<int64_t>());
  if (flags.metadata) {
    fmt::print("\nmetadata:\n");
    for (const auto& [k, v] : ckpt.metadata) fmt::print("  {} = {}\n", k, v);
  }
}

}  // namespace

void RegisterInspect(CLI::App& app) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* verb = app.add_subcommand(
      "inspect", "Architecture, tensors, dtypes, size, bits per weight, NaN/Inf");
  AddModelFlags(*verb, flags->model);
  verb->add_flag("--json", flags->json, "Print JSON instead of tables");
  verb->add_flag("--metadata", flags->metadata, "Also print the file's metadata key/values");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
