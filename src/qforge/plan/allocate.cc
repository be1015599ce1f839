// Ranking promotions by KLD per byte and writing them into a recipe as exact-name rules.
#include "qforge/plan/allocate.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "qforge/core/error.h"

namespace qforge::plan {
namespace {

// 0: free improvement, 1: paid improvement, 2: no measurable gain (RankPromotions' groups).
int Group(const Promotion& p) {
  if (p.kld_gain > 0) return p.extra_bytes <= 0 ? 0 : 1;
  return 2;
}

bool Before(const Promotion& a, const Promotion& b) {
  const int ga = Group(a), gb = Group(b);
  if (ga != gb) return ga < gb;
  if (ga == 0 && a.kld_gain != b.kld_gain) return a.kld_gain > b.kld_gain;
  if (ga == 1) {
    const double ra = a.kld_gain / double(a.extra_bytes), rb = b.kld_gain / double(b.extra_bytes);
    if (ra != rb) return ra > rb;
  }
  if (ga == 2 && a.extra_bytes != b.extra_bytes) return a.extra_bytes < b.extra_bytes;
  return a.name < b.name;
}

}  // namespace

std::vector<Promotion> RankPromotions(const SensitivityResult& cheap,
                                      const SensitivityResult& better) {
  std::map<std::string_view, const TensorSensitivity*> by_name;
  for (const TensorSensitivity& t : better.tensors) by_name[t.name] = &t;
  std::vector<Promotion> out;
  for (const TensorSensitivity& c : cheap.tensors) {
    const auto it = by_name.find(c.name);
    if (it == by_name.end()) continue;
    const TensorSensitivity& b = *it->second;
    if (b.source != c.source)
      Fail(ErrorKind::kInvalidInput,
           "promotions: tensor '{}' is stored as {} in scan '{}' but {} in scan '{}': the scans "
           "are not of the same model",
           c.name, Traits(c.source).name, cheap.recipe, Traits(b.source).name, better.recipe);
    if (b.type == c.type) continue;
    out.push_back({c.name, c.type, b.type, int64_t(b.bytes_type) - int64_t(c.bytes_type),
                   c.kld_mean - b.kld_mean});
  }
  std::sort(out.begin(), out.end(), Before);
  return out;
}

quant::Recipe PromoteTensors(const quant::Recipe& base, std::span<const Promotion> promotions,
                             size_t count, const std::string& name) {
  if (count > promotions.size())
    Fail(ErrorKind::kInvalidInput, "promotions: {} asked for, {} available", count,
         promotions.size());
  quant::Recipe r = base;
  r.name = name;
  r.measured.clear();  // the base's measured cost no longer describes this mix
  r.description = fmt::format("{} with {} tensor(s) promoted by sensitivity",
                              base.description.empty() ? base.name : base.description, count);
  std::vector<quant::Rule> rules;
  rules.reserve(count + base.rules.size());
  // A pattern without '*' is an exact name (quant::GlobMatch); tensor names hold no '*'.
  for (size_t i = 0; i < count; ++i) {
    quant::Rule rule;
    rule.pattern = promotions[i].name;
    rule.type = std::string(Traits(promotions[i].to).name);
    rules.push_back(std::move(rule));
  }
  rules.insert(rules.end(), base.rules.begin(), base.rules.end());
  r.rules = std::move(rules);
  return r;
}

}  // namespace qforge::plan
