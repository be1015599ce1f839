// Generation features and their paired shift.
#include "qforge/eval/shift.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "qforge/core/error.h"

namespace qforge::eval {
namespace {

std::string Lower(std::string s) {
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

GenerationFeatures Features(const CaseOutcome& o, const ShiftOptions& options) {
  GenerationFeatures f;
  f.length = double(o.output_ids.size());
  f.eos = o.hit_eos;
  const std::string text = Lower(o.output);
  for (const std::string& p : options.abstain_patterns)
    if (!p.empty() && text.find(Lower(p)) != std::string::npos) f.abstained = true;
  const size_t n = size_t(options.repeat_n);
  if (o.output_ids.size() >= n) {
    std::set<std::vector<int>> seen;
    size_t total = 0, repeats = 0;
    for (size_t i = 0; i + n <= o.output_ids.size(); ++i, ++total)
      if (!seen.emplace(o.output_ids.begin() + std::ptrdiff_t(i),
                        o.output_ids.begin() + std::ptrdiff_t(i + n))
               .second)
        ++repeats;
    f.repeat_rate = double(repeats) / double(total);
  }
  f.loop = o.hit_max_tokens && f.repeat_rate > 0;
  return f;
}

double DistinctN(const std::vector<const std::vector<int>*>& outputs, int n) {
  std::set<std::vector<int>> distinct;
  size_t total = 0;
  for (const std::vector<int>* ids : outputs)
    for (size_t i = 0; i + size_t(n) <= ids->size(); ++i, ++total)
      distinct.emplace(ids->begin() + std::ptrdiff_t(i), ids->begin() + std::ptrdiff_t(i) + n);
  return total ? double(distinct.size()) / double(total) : 0;
}

std::vector<ShiftMetric> OutputShift(const std::vector<CaseOutcome>& base,
                                     const std::vector<CaseOutcome>& cand,
                                     const ShiftOptions& options,
                                     const BootstrapOptions& bootstrap) {
  QF_CHECK(base.size() == cand.size());
  std::vector<size_t> gen;  // generate outcomes: choice outcomes carry no output tokens
  for (size_t i = 0; i < base.size(); ++i)
    if (base[i].logliks.empty()) gen.push_back(i);
  std::vector<GenerationFeatures> fb, fc;
  for (size_t i : gen) {
    fb.push_back(Features(base[i], options));
    fc.push_back(Features(cand[i], options));
  }
  using Getter = double (*)(const GenerationFeatures&);
  // A statistic over resampled indices for one side, for both the mean and median metrics.
  auto mean_of = [](const std::vector<GenerationFeatures>& f, Getter g,
                    std::span<const uint32_t> idx) {
    double s = 0;
    for (uint32_t i : idx) s += g(f[i]);
    return idx.empty() ? 0.0 : s / double(idx.size());
  };
  std::vector<ShiftMetric> out;
  auto add_mean = [&](const char* name, Getter g) {
    ShiftMetric m{name, 0, 0, {}};
    std::vector<uint32_t> all(fb.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = uint32_t(i);
    m.base = mean_of(fb, g, all);
    m.cand = mean_of(fc, g, all);
    m.delta = PairedBootstrap(
        fb.size(),
        [&](std::span<const uint32_t> idx) { return mean_of(fc, g, idx) - mean_of(fb, g, idx); },
        bootstrap);
    out.push_back(m);
  };
  add_mean("length_mean", [](const GenerationFeatures& f) { return f.length; });
  {
    auto median_of = [](const std::vector<GenerationFeatures>& f, std::span<const uint32_t> idx) {
      std::vector<double> v;
      for (uint32_t i : idx) v.push_back(f[i].length);
      return Median(v);
    };
    ShiftMetric m{"length_median", 0, 0, {}};
    m.delta = PairedBootstrap(
        fb.size(),
        [&](std::span<const uint32_t> idx) { return median_of(fc, idx) - median_of(fb, idx); },
        bootstrap);
    std::vector<uint32_t> all(fb.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = uint32_t(i);
    m.base = median_of(fb, all);
    m.cand = median_of(fc, all);
    out.push_back(m);
  }
  add_mean("eos_rate", [](const GenerationFeatures& f) { return f.eos ? 1.0 : 0.0; });
  add_mean("abstain_rate", [](const GenerationFeatures& f) { return f.abstained ? 1.0 : 0.0; });
  add_mean("repeat_rate", [](const GenerationFeatures& f) { return f.repeat_rate; });
  add_mean("loop_rate", [](const GenerationFeatures& f) { return f.loop ? 1.0 : 0.0; });
  {
    auto distinct_of = [&](const std::vector<CaseOutcome>& o, std::span<const uint32_t> idx) {
      std::vector<const std::vector<int>*> outs;
      for (uint32_t i : idx) outs.push_back(&o[gen[i]].output_ids);
      return DistinctN(outs, options.distinct_n);
    };
    ShiftMetric m{"distinct_n", 0, 0, {}};
    m.delta = PairedBootstrap(
        gen.size(),
        [&](std::span<const uint32_t> idx) {
          return distinct_of(cand, idx) - distinct_of(base, idx);
        },
        bootstrap);
    std::vector<uint32_t> all(gen.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = uint32_t(i);
    m.base = distinct_of(base, all);
    m.cand = distinct_of(cand, all);
    out.push_back(m);
  }
  return out;
}

}  // namespace qforge::eval
