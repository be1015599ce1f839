// The sensitivity scan: one baseline run kept in memory, then one candidate run per tensor.
#include "qforge/plan/sensitivity.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "qforge/core/error.h"
#include "qforge/eval/kld.h"
#include "qforge/model/llama_model.h"
#include "qforge/quant/quantize_model.h"

namespace qforge::plan {
namespace {

uint64_t TypeBytes(QType type, const TensorView& t) {
  return uint64_t(RowBytes(type, t.Cols())) * uint64_t(t.Rows());
}

// The recipe's choices for the 2-D tensors the scan covers (all, or those `only` names).
std::vector<size_t> SelectTensors(const std::vector<quant::TensorChoice>& plan,
                                  const Checkpoint& base, const std::vector<std::string>& only) {
  std::vector<size_t> picked;
  std::vector<bool> used(only.size(), false);
  for (size_t i = 0; i < plan.size(); ++i) {
    if (base.tensors[i].shape.size() < 2) continue;
    bool keep = only.empty();
    for (size_t g = 0; g < only.size(); ++g)
      if (quant::GlobMatch(only[g], plan[i].name)) keep = used[g] = true;
    if (keep) picked.push_back(i);
  }
  for (size_t g = 0; g < only.size(); ++g)
    if (!used[g])
      Fail(ErrorKind::kInvalidInput,
           "sensitivity: '{}' matches no 2-D tensor of {} (names look like blk.0.attn_q.weight; "
           "'*' matches any run of characters)",
           only[g], base.path);
  return picked;
}

// Scored rows of every chunk's logits, computed once: the baseline every candidate compares to.
class Baseline {
 public:
  Baseline(model::LlamaModel& model, std::span<const int> tokens, const eval::ChunkPlan& plan,
           int bos_id)
      : vocab_(size_t(model.config().vocab_size)), rows_(size_t(plan.scored_per_chunk())) {
    logits_.resize(size_t(plan.chunks) * rows_ * vocab_);
    std::vector<float> scratch(size_t(plan.n_ctx - plan.first) * vocab_);
    std::vector<int> chunk;
    model::KvCache cache = model.NewCache(plan.n_ctx);
    for (int c = 0; c < plan.chunks; ++c) {
      eval::ChunkTokens(tokens, plan, c, bos_id, chunk);
      model.Forward(chunk, 0, cache, plan.first, scratch.data());
      std::copy_n(scratch.begin(), rows_ * vocab_, logits_.begin() + ptrdiff_t(c * rows_ * vocab_));
    }
  }
  std::span<const float> Row(int chunk, size_t row) const {
    return {&logits_[(size_t(chunk) * rows_ + row) * vocab_], vocab_};
  }

 private:
  size_t vocab_, rows_;
  std::vector<float> logits_;
};

// Compares one run's logits (chunk `c`, rows first..n_ctx-1) with the baseline's, token by token
// in parallel, and adds them to `stats` in text order, so the sums do not depend on the threads.
void CompareChunk(const Baseline& base, int c, std::span<const float> cand,
                  std::span<const int> chunk, const eval::ChunkPlan& plan, ThreadPool& pool,
                  eval::DistributionStats& stats) {
  const size_t rows = size_t(plan.scored_per_chunk());
  const size_t vocab = cand.size() / size_t(plan.n_ctx - plan.first);
  std::vector<eval::TokenComparison> out(rows);
  pool.ParallelFor(
      int64_t(rows),
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
          out[size_t(r)] =
              eval::CompareToken(base.Row(c, size_t(r)), cand.subspan(size_t(r) * vocab, vocab),
                                 chunk[size_t(plan.first + r + 1)]);
      },
      /*min_per_thread=*/8);
  for (const eval::TokenComparison& t : out) stats.Add(t);
}

// The summary of one candidate model over every chunk.
eval::DistributionResult RunCandidate(model::LlamaModel& model, const Baseline& base,
                                      std::span<const int> tokens, const eval::ChunkPlan& plan,
                                      int bos_id, ThreadPool& pool) {
  const size_t vocab = size_t(model.config().vocab_size);
  std::vector<float> logits(size_t(plan.n_ctx - plan.first) * vocab);
  std::vector<int> chunk;
  model::KvCache cache = model.NewCache(plan.n_ctx);
  eval::DistributionStats stats;
  for (int c = 0; c < plan.chunks; ++c) {
    eval::ChunkTokens(tokens, plan, c, bos_id, chunk);
    model.Forward(chunk, 0, cache, plan.first, logits.data());
    CompareChunk(base, c, logits, chunk, plan, pool, stats);
  }
  return stats.Summarize();
}

// The baseline against itself: KLD 0, PPL ratio 1 and full top-token agreement exactly, and the
// baseline's perplexity; what a tensor left as stored gets, without a forward pass.
eval::DistributionResult BaselineSelf(const Baseline& base, std::span<const int> tokens,
                                      const eval::ChunkPlan& plan, int bos_id) {
  eval::DistributionStats stats;
  std::vector<int> chunk;
  for (int c = 0; c < plan.chunks; ++c) {
    eval::ChunkTokens(tokens, plan, c, bos_id, chunk);
    for (size_t r = 0; r < size_t(plan.scored_per_chunk()); ++r)
      stats.Add(
          eval::CompareToken(base.Row(c, r), base.Row(c, r), chunk[size_t(plan.first) + r + 1]));
  }
  return stats.Summarize();
}

// Tensor `t` quantized alone by QuantizeCheckpoint (the same row codecs and bytes as a whole-model
// quantization); `owner` receives the buffer the returned view points into.
TensorView QuantizeOne(const TensorView& t, QType type, const ModelConfig& config, ThreadPool& pool,
                       std::shared_ptr<const void>& owner) {
  Checkpoint one;
  one.config = config;
  one.tensors = {t};
  quant::Recipe recipe;
  recipe.name = "sensitivity";
  recipe.default_type = std::string(Traits(type).name);
  quant::QuantizeOptions options;
  options.measure_error = false;
  quant::QuantizedModel q = quant::QuantizeCheckpoint(one, recipe, pool, options);
  QF_CHECK(q.checkpoint.tensors.size() == 1 && q.checkpoint.tensors[0].type == type &&
           !q.checkpoint.storage.empty());
  owner = q.checkpoint.storage.back();
  return q.checkpoint.tensors[0];
}

TensorSensitivity FromSummary(const quant::TensorChoice& choice, const TensorView& t,
                              const eval::DistributionResult& d, bool scanned) {
  TensorSensitivity s;
  s.name = choice.name;
  s.source = choice.source;
  s.type = choice.type;
  s.bytes_source = TypeBytes(choice.source, t);
  s.bytes_type = TypeBytes(choice.type, t);
  s.kld_mean = d.kld_mean;
  s.kld_unc = d.kld_unc;
  s.ppl_ratio = d.ppl_ratio;
  s.same_top = d.same_top;
  s.scanned = scanned;
  return s;
}

eval::ChunkPlan PlanScan(const Checkpoint& base, const SensitivityOptions& options,
                         uint64_t& baseline_bytes) {
  const eval::ChunkPlan plan =
      eval::PlanChunks(base.config.max_seq_len, options.tokens.size(), options.ppl);
  const int64_t scored = int64_t(plan.chunks) * plan.scored_per_chunk();
  if (scored < 2)
    Fail(ErrorKind::kInvalidInput,
         "sensitivity: {} chunk(s) of {} tokens score {} token(s); the statistics need at least 2",
         plan.chunks, plan.n_ctx, scored);
  const uint64_t per_chunk =
      uint64_t(plan.scored_per_chunk()) * uint64_t(base.config.vocab_size) * sizeof(float);
  baseline_bytes = per_chunk * uint64_t(plan.chunks);
  if (baseline_bytes > kMaxBaselineBytes) {
    const uint64_t fit = kMaxBaselineBytes / per_chunk;
    Fail(ErrorKind::kInvalidInput,
         "sensitivity: the baseline's distributions would take {} MiB ({} chunks x {} scored "
         "tokens x {} vocabulary x 4 bytes), above the {} MiB cap; {}",
         baseline_bytes >> 20, plan.chunks, plan.scored_per_chunk(), base.config.vocab_size,
         kMaxBaselineBytes >> 20,
         fit > 0 ? fmt::format("use at most {} chunk(s)", fit)
                 : std::string("even one chunk is too large: use a shorter context"));
  }
  return plan;
}

}  // namespace

void RankByKld(std::vector<TensorSensitivity>& tensors) {
  // A NaN KLD (a candidate whose logits overflowed) ranks as the most damaging, and keeps the
  // comparison a strict weak order.
  auto key = [](double kld) { return std::isnan(kld) ? HUGE_VAL : kld; };
  std::sort(tensors.begin(), tensors.end(),
            [&](const TensorSensitivity& a, const TensorSensitivity& b) {
              if (key(a.kld_mean) != key(b.kld_mean)) return key(a.kld_mean) > key(b.kld_mean);
              return a.name < b.name;
            });
}

SensitivityResult ScanSensitivity(const Checkpoint& base, const quant::Recipe& recipe,
                                  const SensitivityOptions& options, ThreadPool& pool,
                                  const std::function<void(int, int)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  SensitivityResult result;
  result.recipe = recipe.name;
  if (recipe.method.method != quant::Method::kRtn)
    result.note = fmt::format(
        "recipe '{}' names method {}: the scan rounds its types to nearest (calibrated methods "
        "are out of scope)",
        recipe.name, quant::MethodName(recipe.method.method));
  const std::vector<quant::TensorChoice> choices = quant::PlanRecipe(recipe, base);
  const std::vector<size_t> picked = SelectTensors(choices, base, options.only);
  const eval::ChunkPlan plan = PlanScan(base, options, result.baseline_bytes);
  const int bos = options.ppl.bos_id;
  const std::span<const int> tokens = options.tokens;

  // The candidates share the baseline's views and storage; only one tensor differs.
  Checkpoint shared;
  shared.path = base.path;
  shared.format = base.format;
  shared.config = base.config;
  shared.tensors = base.tensors;
  shared.storage = base.storage;
  model::LlamaModel base_model(shared, pool);
  const Baseline baseline(base_model, tokens, plan, bos);
  const eval::DistributionResult self = BaselineSelf(baseline, tokens, plan, bos);
  result.chunks = plan.chunks;
  result.n_ctx = plan.n_ctx;
  result.scored_tokens = self.count;
  result.ppl_base = self.ppl_base;
  result.forward_passes = plan.chunks;

  int to_scan = 0;
  for (size_t i : picked) to_scan += choices[i].quantized ? 1 : 0;
  int done = 0;
  for (size_t i : picked) {
    const quant::TensorChoice& choice = choices[i];
    if (!choice.quantized) {
      result.tensors.push_back(FromSummary(choice, base.tensors[i], self, false));
      continue;
    }
    Checkpoint cand = shared;
    std::shared_ptr<const void> owner;
    cand.tensors[i] = QuantizeOne(base.tensors[i], choice.type, base.config, pool, owner);
    cand.storage.push_back(std::move(owner));
    model::LlamaModel cand_model(cand, pool);
    const eval::DistributionResult d = RunCandidate(cand_model, baseline, tokens, plan, bos, pool);
    result.tensors.push_back(FromSummary(choice, base.tensors[i], d, true));
    result.forward_passes += plan.chunks;
    if (progress) progress(++done, to_scan);
  }
  RankByKld(result.tensors);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace qforge::plan
