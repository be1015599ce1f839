// Per-capability paired statistics.
#include "qforge/eval/compare.h"

#include <map>

#include "qforge/core/error.h"

namespace qforge::eval {
namespace {

std::string Shown(const SuiteCase& c, const CaseOutcome& o) {
  if (c.kind == CaseKind::kGenerate) return o.output;
  return o.predicted >= 0 ? c.choices[size_t(o.predicted)] : "";
}

}  // namespace

std::vector<CapabilityComparison> CompareCapabilities(const std::vector<SuiteCase>& cases,
                                                      const std::vector<CaseOutcome>& base,
                                                      const std::vector<CaseOutcome>& cand,
                                                      const BootstrapOptions& bootstrap) {
  QF_CHECK(cases.size() == base.size() && cases.size() == cand.size());
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> members;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto [it, fresh] = members.try_emplace(cases[i].capability);
    if (fresh) order.push_back(cases[i].capability);
    it->second.push_back(i);
  }
  std::vector<CapabilityComparison> out;
  for (const std::string& name : order) {
    const std::vector<size_t>& idx = members[name];
    CapabilityComparison cc;
    cc.name = name;
    cc.cases = int(idx.size());
    std::vector<double> b, c;
    double bn = 0, cn = 0;
    for (size_t i : idx) {
      b.push_back(base[i].correct ? 1 : 0);
      c.push_back(cand[i].correct ? 1 : 0);
      if (cases[i].kind == CaseKind::kChoice) {
        cc.has_choice = true;
        bn += base[i].correct_norm ? 1 : 0;
        cn += cand[i].correct_norm ? 1 : 0;
      }
      if (base[i].correct != cand[i].correct) {
        const bool r2w = base[i].correct;
        (r2w ? cc.right_to_wrong : cc.wrong_to_right)++;
        cc.flipped.push_back({cases[i].id, cases[i].prompt, cases[i].answer,
                              Shown(cases[i], base[i]), Shown(cases[i], cand[i]), r2w});
      }
    }
    for (size_t k = 0; k < b.size(); ++k) {
      cc.base_score += b[k];
      cc.cand_score += c[k];
    }
    cc.base_score /= double(b.size());
    cc.cand_score /= double(c.size());
    cc.base_score_norm = bn / double(idx.size());
    cc.cand_score_norm = cn / double(idx.size());
    cc.delta = MeanDeltaInterval(b, c, bootstrap);
    cc.relative_delta = cc.base_score > 0 ? cc.delta.estimate / cc.base_score : 0;
    cc.mcnemar_p = McNemarExactP(cc.right_to_wrong, cc.wrong_to_right);
    out.push_back(std::move(cc));
  }
  return out;
}

}  // namespace qforge::eval
