// The recommend engine: memory per candidate, exclusions, the preference order, ranks, commands.
#include "qforge/plan/recommend.h"

#include <algorithm>

#include "qforge/core/error.h"

namespace qforge::plan {
namespace {

const Exclusion* ExclusionFor(const Candidate& c, const Hardware& hw, bool calib) {
  for (const Exclusion& e : ExclusionRules()) {
    if (!e.feature) {
      if (c.calibrated && !calib) return &e;
      continue;
    }
    const bool needed = std::find(c.needs.begin(), c.needs.end(), *e.feature) != c.needs.end();
    if (needed && !hw.Has(*e.feature)) return &e;
  }
  return nullptr;
}

const Preference& RuleFor(const Hardware& hw, Quality quality) {
  for (const Preference& p : PreferenceRules())
    if (p.when.Matches(hw, quality)) return p;
  Fail(ErrorKind::kInternal, "recommend: no preference rule matches {}", hw.name);
}

// True when `c` is worse than every candidate the rule lists (strict rules stop at 5-8 bits).
bool BelowBar(const Candidate& c, const std::vector<std::string_view>& order) {
  for (std::string_view id : order)
    if (FindCandidate(id).tier >= c.tier) return false;
  return true;
}

// The output path of a candidate: a .gguf file, or a directory for the Hugging Face formats.
std::string OutputName(const Candidate& c) {
  return c.format == "gguf" ? fmt::format("model-{}.gguf", c.id) : fmt::format("model-{}/", c.id);
}

// quantize -> eval against the original on suites and text -> gate (strict: 1% relative drop of
// any capability; relaxed: 2%, the README's example threshold).
std::vector<std::string> Commands(const Candidate& c, const RecommendRequest& r) {
  std::string quantize = fmt::format("qforge quantize {} -r {}", r.model_arg, c.preset);
  if (c.format != "gguf") quantize += fmt::format(" --format {}", c.format);
  if (c.calibrated) quantize += " --calib calib.txt";
  quantize += " -o " + OutputName(c);
  std::string out = OutputName(c);
  if (out.back() == '/') out.pop_back();
  return {quantize,
          fmt::format("qforge eval {} --baseline {} --suite SUITE.jsonl --text heldout.txt -o "
                      "report-{}.json",
                      out, r.model_arg, c.id),
          fmt::format("qforge gate report-{}.json --max-regression {}", c.id,
                      r.quality == Quality::kStrict ? "0.01" : "0.02")};
}

Option Measure(const Candidate& c, const Recommendation& rec) {
  Option o;
  o.candidate = &c;
  const ModelShape& m = rec.request.model;
  o.weight_bytes = CandidateWeightBytes(c, m.layout);
  o.kv_bytes = KvCacheBytes(m.config, rec.request.ctx, rec.request.batch, rec.kv_bytes_per_element);
  o.overhead_bytes = RuntimeOverheadBytes(o.weight_bytes);
  o.total_bytes = o.weight_bytes + o.kv_bytes + o.overhead_bytes;
  o.headroom_bytes = rec.memory_bytes - o.total_bytes;
  o.bits_per_weight = m.params > 0 ? 8.0 * o.weight_bytes / double(m.params) : 0;
  return o;
}

}  // namespace

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kRecommended:
      return "recommended";
    case Status::kFits:
      return "fits";
    case Status::kNotPreferred:
      return "fits, not preferred";
    case Status::kTooBig:
      return "does not fit";
    case Status::kExcluded:
      return "excluded";
  }
  return "?";
}

const Option* Recommendation::Best() const {
  for (const Option& o : options)
    if (o.status == Status::kRecommended) return &o;
  return nullptr;
}

Recommendation Recommend(const RecommendRequest& request) {
  if (request.ctx < 1 || request.batch < 1)
    Fail(ErrorKind::kInvalidInput, "--ctx {} / --batch {}: both must be at least 1", request.ctx,
         request.batch);
  Recommendation rec;
  rec.request = request;
  rec.hardware = &FindHardware(request.hardware);
  rec.memory_bytes = request.memory_bytes.value_or(rec.hardware->memory_gb * 1e9);
  rec.kv_bytes_per_element = KvBytesPerElement(request.kv_type);
  rec.rule = &RuleFor(*rec.hardware, request.quality);

  std::vector<Option> preferred, others, too_big, excluded;
  const auto& order = rec.rule->order;
  for (const Candidate& c : Candidates()) {
    Option o = Measure(c, rec);
    const auto at = std::find(order.begin(), order.end(), c.id);
    if ((o.exclusion = ExclusionFor(c, *rec.hardware, request.calib))) {
      o.status = Status::kExcluded;
      o.reason = std::string(o.exclusion->reason);
      excluded.push_back(std::move(o));
    } else if (o.headroom_bytes < 0) {
      o.status = Status::kTooBig;
      o.reason = fmt::format("{}; needs {:.1f} GB, {:.1f} GB short", c.why, o.total_bytes / 1e9,
                             -o.headroom_bytes / 1e9);
      too_big.push_back(std::move(o));
    } else if (at == order.end()) {
      o.status = Status::kNotPreferred;
      const bool below_bar = BelowBar(c, order);
      o.reason = fmt::format("{}; {} rule {}'s {}", c.why, below_bar ? "below" : "not in",
                             rec.rule->name, below_bar ? "quality bar" : "order");
      others.push_back(std::move(o));
    } else {
      o.status = Status::kFits;
      o.reason = std::string(c.why);
      preferred.push_back(std::move(o));
    }
  }
  const auto position = [&](const Option& o) {
    return std::find(order.begin(), order.end(), o.candidate->id) - order.begin();
  };
  std::stable_sort(preferred.begin(), preferred.end(),
                   [&](const Option& a, const Option& b) { return position(a) < position(b); });
  std::stable_sort(too_big.begin(), too_big.end(),
                   [](const Option& a, const Option& b) { return a.total_bytes < b.total_bytes; });
  if (!preferred.empty()) {
    preferred.front().status = Status::kRecommended;
    preferred.front().reason += fmt::format(" (first of rule {} that fits)", rec.rule->name);
  }
  for (auto* group : {&preferred, &others, &too_big, &excluded})
    for (Option& o : *group) {
      if (o.status != Status::kExcluded) o.rank = int(rec.options.size()) + 1;
      if (o.status != Status::kExcluded) o.commands = Commands(*o.candidate, request);
      rec.options.push_back(std::move(o));
    }
  return rec;
}

}  // namespace qforge::plan
