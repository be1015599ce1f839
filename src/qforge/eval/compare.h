// Paired comparison of suite outcomes per capability: both scores, the delta with a paired
// bootstrap interval, McNemar's exact test on the discordant cases, and the cases that flipped.
#pragma once

#include <string>
#include <vector>

#include "qforge/eval/scorer.h"
#include "qforge/eval/stats.h"
#include "qforge/eval/suites.h"

namespace qforge::eval {

// A case that changed between the models, with both outputs (generate) or picks (choice).
struct FlippedCase {
  std::string id;
  std::string prompt;
  std::string answer;
  std::string base_output;
  std::string cand_output;
  bool right_to_wrong = true;  // false: wrong -> right
};

struct CapabilityComparison {
  std::string name;
  int cases = 0;
  double base_score = 0;  // accuracy in [0, 1]
  double cand_score = 0;
  Interval delta;             // cand - base, 95% paired bootstrap
  double relative_delta = 0;  // delta / base_score (0 when base_score is 0)
  int64_t right_to_wrong = 0;
  int64_t wrong_to_right = 0;
  double mcnemar_p = 1;
  bool has_choice = false;  // acc_norm is reported for choice cases
  double base_score_norm = 0, cand_score_norm = 0;
  std::vector<FlippedCase> flipped;
};

// `cases`, `base` and `cand` are parallel (one outcome per case, same order). Capabilities appear
// in the order of their first case.
std::vector<CapabilityComparison> CompareCapabilities(const std::vector<SuiteCase>& cases,
                                                      const std::vector<CaseOutcome>& base,
                                                      const std::vector<CaseOutcome>& cand,
                                                      const BootstrapOptions& bootstrap = {});

}  // namespace qforge::eval
