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

// One tensor's point in one scan.
struct Point {
  QType type;
  int64_t bytes;
  double kld;
};

// The steps from points[0] along the lower convex hull of the points: each step goes to the point
// with the highest KLD bought per extra byte (among those with less KLD), the farthest one on
// ties; a point with no more bytes and less KLD is free and taken first (the lowest KLD of them).
std::vector<Promotion> HullSteps(const std::string& name, const std::vector<Point>& points) {
  std::vector<Promotion> steps;
  Point at = points[0];
  const Point* free_best = nullptr;
  for (const Point& p : points)
    if (p.bytes <= at.bytes && p.kld < at.kld && (!free_best || p.kld < free_best->kld))
      free_best = &p;
  if (free_best) {
    steps.push_back(
        {name, at.type, free_best->type, free_best->bytes - at.bytes, at.kld - free_best->kld});
    at = *free_best;
  }
  for (;;) {
    const Point* next = nullptr;
    double best = 0;
    for (const Point& p : points) {
      if (p.bytes <= at.bytes || p.kld >= at.kld) continue;
      const double ratio = (at.kld - p.kld) / double(p.bytes - at.bytes);
      if (!next || ratio > best || (ratio == best && p.bytes > next->bytes))
        next = &p, best = ratio;
    }
    if (!next) return steps;
    steps.push_back({name, at.type, next->type, next->bytes - at.bytes, at.kld - next->kld});
    at = *next;
  }
}

// The stored type of `t` must agree across scans of one model.
void CheckSameSource(const TensorSensitivity& a, const std::string& scan_a,
                     const TensorSensitivity& b, const std::string& scan_b) {
  if (a.source != b.source)
    Fail(ErrorKind::kInvalidInput,
         "promotions: tensor '{}' is stored as {} in scan '{}' but {} in scan '{}': the scans "
         "are not of the same model",
         a.name, Traits(a.source).name, scan_a, Traits(b.source).name, scan_b);
}

}  // namespace

std::vector<Promotion> RankLadderPromotions(std::span<const SensitivityResult> scans) {
  if (scans.empty()) return {};
  std::vector<std::map<std::string_view, const TensorSensitivity*>> by_name(scans.size());
  for (size_t s = 0; s < scans.size(); ++s)
    for (const TensorSensitivity& t : scans[s].tensors) by_name[s][t.name] = &t;
  std::vector<Promotion> out;
  for (const TensorSensitivity& c : scans[0].tensors) {
    std::vector<Point> points = {{c.type, int64_t(c.bytes_type), c.kld_mean}};
    for (size_t s = 1; s < scans.size(); ++s) {
      const auto it = by_name[s].find(c.name);
      if (it == by_name[s].end()) continue;
      CheckSameSource(c, scans[0].recipe, *it->second, scans[s].recipe);
      points.push_back({it->second->type, int64_t(it->second->bytes_type), it->second->kld_mean});
    }
    const std::vector<Promotion> steps = HullSteps(c.name, points);
    out.insert(out.end(), steps.begin(), steps.end());
  }
  // A tensor's steps have strictly decreasing ratios, so the sort keeps them in order; the free
  // step (group 0) precedes its paid ones.
  std::stable_sort(out.begin(), out.end(), Before);
  return out;
}

std::vector<Promotion> RankPromotions(const SensitivityResult& cheap,
                                      const SensitivityResult& better) {
  std::map<std::string_view, const TensorSensitivity*> by_name;
  for (const TensorSensitivity& t : better.tensors) by_name[t.name] = &t;
  std::vector<Promotion> out;
  for (const TensorSensitivity& c : cheap.tensors) {
    const auto it = by_name.find(c.name);
    if (it == by_name.end()) continue;
    const TensorSensitivity& b = *it->second;
    CheckSameSource(c, cheap.recipe, b, better.recipe);
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
  std::map<std::string_view, size_t> rule_of;  // a laddered tensor's one rule: its last step wins
  // A pattern without '*' is an exact name (quant::GlobMatch); tensor names hold no '*'.
  for (size_t i = 0; i < count; ++i) {
    const std::string type(Traits(promotions[i].to).name);
    const auto [it, added] = rule_of.emplace(promotions[i].name, rules.size());
    if (!added) {
      rules[it->second].type = type;
      continue;
    }
    quant::Rule rule;
    rule.pattern = promotions[i].name;
    rule.type = type;
    rules.push_back(std::move(rule));
  }
  rules.insert(rules.end(), base.rules.begin(), base.rules.end());
  r.rules = std::move(rules);
  return r;
}

}  // namespace qforge::plan
