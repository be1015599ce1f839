// `qforge recommend`'s output: a table for people, JSON for machines.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "qforge/plan/recommend.h"
#include "qforge/quant/recipe.h"

namespace qforge::plan {
namespace {

// How many fitting options get their commands printed in the text (JSON has all).
constexpr int kCommandsShown = 3;

std::string_view QualityName(Quality q) { return q == Quality::kStrict ? "strict" : "relaxed"; }

double Gb(double bytes) { return bytes / 1e9; }

// The preset's measured cost on the test bed (quant/presets.cc), when it has one.
std::string TestBedNote(const Candidate& c) {
  for (const quant::Recipe& r : quant::Presets())
    if (r.name == c.preset && !r.measured.empty()) return "test bed: " + r.measured;
  return "";
}

std::string KvFormula(const Recommendation& rec) {
  const ModelConfig& c = rec.request.model.config;
  return fmt::format(
      "2 x {} layers x {} kv heads x {} head dim x {} ctx x {} batch x {:g} bytes "
      "({})",
      c.n_layers, c.n_kv_heads, c.head_dim(), rec.request.ctx, rec.request.batch,
      rec.kv_bytes_per_element, rec.request.kv_type);
}

std::string Headroom(const Option& o) {
  if (o.status == Status::kExcluded) return "-";
  return fmt::format("{} ({:+.1f})", o.headroom_bytes >= 0 ? "yes" : "no", Gb(o.headroom_bytes));
}

template <typename... Args>
void Line(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  out += fmt::format(format, std::forward<Args>(args)...);
  out += '\n';
}

}  // namespace

std::string FormatRecommendation(const Recommendation& rec) {
  const RecommendRequest& r = rec.request;
  const ModelShape& m = r.model;
  std::string out;
  Line(out, "model: {} ({:.2f}B parameters; {})", m.name, double(m.params) / 1e9, m.source);
  Line(out, "hardware: {} -- {}; memory {:.1f} GB ({:.1f} GiB){}", rec.hardware->name,
       rec.hardware->description, Gb(rec.memory_bytes), rec.memory_bytes / double(1 << 30),
       r.memory_bytes ? "" : ", the device's typical size");
  Line(out, "quality {}, calibration text {}", QualityName(r.quality), r.calib ? "yes" : "no");
  Line(out, "KV cache: {} = {:.2f} GB", KvFormula(rec),
       Gb(KvCacheBytes(m.config, r.ctx, r.batch, rec.kv_bytes_per_element)));
  Line(out, "runtime overhead: 1 GB + 10% of the weights (a stated heuristic); GB = 1e9 bytes");
  Line(out, "rule {}: {}", rec.rule->name, rec.rule->reason);
  Line(out, "  source: {}", rec.rule->citation);
  out += '\n';
  Line(out, "{:>4}  {:<15} {:>5} {:>10} {:>7} {:>9}  {:<16} {}", "rank", "format", "bits",
       "weights GB", "KV GB", "total GB", "fits (headroom)", "status");
  for (const Option& o : rec.options) {
    if (o.status == Status::kExcluded) continue;
    Line(out, "{:>4}  {:<15} {:>5.2f} {:>10.2f} {:>7.2f} {:>9.2f}  {:<16} {}", o.rank,
         o.candidate->id, o.bits_per_weight, Gb(o.weight_bytes), Gb(o.kv_bytes), Gb(o.total_bytes),
         Headroom(o), StatusName(o.status));
    const std::string bed = TestBedNote(*o.candidate);
    Line(out, "      {}: {}{}", TierName(o.candidate->tier), o.candidate->quality,
         bed.empty() ? "" : "; " + bed);
    Line(out, "      why: {}", o.reason);
  }
  out += '\n';
  if (const Option* best = rec.Best()) {
    Line(out, "recommended: {} -- {}", best->candidate->id, best->candidate->label);
  } else {
    Line(out, "nothing in rule {}'s list fits in {:.1f} GB{}", rec.rule->name, Gb(rec.memory_bytes),
         rec.options.empty() || rec.options.front().status != Status::kNotPreferred
             ? ": more memory, a shorter --ctx or a smaller --batch"
             : "; the best option outside it: " + std::string(rec.options.front().candidate->id));
  }
  int shown = 0;
  for (const Option& o : rec.options) {
    if (o.headroom_bytes < 0 || o.status == Status::kExcluded || shown == kCommandsShown) continue;
    ++shown;
    Line(out, "{}. {} ({}):", o.rank, o.candidate->id, o.candidate->label);
    for (const std::string& c : o.commands) Line(out, "  {}", c);
  }
  bool header = false;
  for (const Option& o : rec.options) {
    if (o.status != Status::kExcluded) continue;
    if (!header) Line(out, "excluded:");
    header = true;
    Line(out, "  {}: {} [{}]", o.candidate->id, o.reason, o.exclusion->citation);
  }
  return out;
}

std::string RecommendationJson(const Recommendation& rec) {
  using nlohmann::json;
  const RecommendRequest& r = rec.request;
  const ModelConfig& c = r.model.config;
  json options = json::array();
  for (const Option& o : rec.options) {
    const Candidate& k = *o.candidate;
    json j = {{"rank", o.rank > 0 ? json(o.rank) : json(nullptr)},
              {"id", k.id},
              {"preset", k.preset},
              {"format", k.format},
              {"label", k.label},
              {"calibrated", k.calibrated},
              {"needs", json::array()},
              {"status", StatusName(o.status)},
              {"bits_per_weight", o.bits_per_weight},
              {"weights_bytes", o.weight_bytes},
              {"kv_bytes", o.kv_bytes},
              {"overhead_bytes", o.overhead_bytes},
              {"total_bytes", o.total_bytes},
              {"total_gb", Gb(o.total_bytes)},
              {"fits", o.status != Status::kExcluded && o.headroom_bytes >= 0},
              {"headroom_bytes", o.headroom_bytes},
              {"tier", TierName(k.tier)},
              {"quality", k.quality},
              {"test_bed", TestBedNote(k)},
              {"reason", o.reason},
              {"commands", o.commands}};
    for (Feature f : k.needs) j["needs"].push_back(FeatureName(f));
    if (o.exclusion) j["citation"] = o.exclusion->citation;
    options.push_back(std::move(j));
  }
  const Option* best = rec.Best();
  const json out = {
      {"model",
       {{"name", r.model.name},
        {"source", r.model.source},
        {"params", r.model.params},
        {"layers", c.n_layers},
        {"dim", c.dim},
        {"heads", c.n_heads},
        {"kv_heads", c.n_kv_heads},
        {"head_dim", c.head_dim()},
        {"vocab", c.vocab_size}}},
      {"hardware",
       {{"name", rec.hardware->name},
        {"description", rec.hardware->description},
        {"memory_gb_typical", rec.hardware->memory_gb},
        {"bandwidth_gbs", rec.hardware->bandwidth_gbs},
        {"citation", rec.hardware->citation}}},
      {"memory_bytes", rec.memory_bytes},
      {"quality", QualityName(r.quality)},
      {"calib", r.calib},
      {"kv_cache",
       {{"ctx", r.ctx},
        {"batch", r.batch},
        {"type", r.kv_type},
        {"bytes_per_element", rec.kv_bytes_per_element},
        {"formula", KvFormula(rec)},
        {"bytes", KvCacheBytes(c, r.ctx, r.batch, rec.kv_bytes_per_element)}}},
      {"overhead", "1e9 bytes + 10% of the weights"},
      {"units", "bytes; GB = 1e9 bytes, GiB = 2^30 bytes"},
      {"rule",
       {{"name", rec.rule->name}, {"reason", rec.rule->reason}, {"citation", rec.rule->citation}}},
      {"recommended", best ? json(best->candidate->id) : json(nullptr)},
      {"options", std::move(options)}};
  return out.dump(2);
}

}  // namespace qforge::plan
