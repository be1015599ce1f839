// `qforge recommend`: which precision to ship for a model on given hardware and memory, ranked,
// with the memory arithmetic, a reason per option, and the qforge commands that produce and
// validate it (DESIGN.md "plan").
//
// The engine only applies data: the hardware table (hardware.h), the candidates
// (recommend_candidates.h) and the rules (recommend_rules.h). Ranking: the first preference rule
// that matches the request orders the candidates; candidates an exclusion rule drops are listed
// apart; the rest are ranked (1) in the rule's order when they fit, (2) then those that fit but
// the rule does not list (for a strict rule: below its quality bar), (3) then those that do not
// fit, smallest first. The recommendation is rank 1 when it fits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qforge/plan/hardware.h"
#include "qforge/plan/memory_estimate.h"
#include "qforge/plan/recommend_candidates.h"
#include "qforge/plan/recommend_rules.h"

namespace qforge::plan {

struct RecommendRequest {
  ModelShape model;
  std::string hardware = "cpu";
  std::optional<double> memory_bytes;  // unset: the hardware's typical memory per device
  Quality quality = Quality::kRelaxed;
  bool calib = true;                // calibration text available (GPTQ, AWQ)
  int64_t ctx = 4096;               // KV cache: tokens per sequence
  int64_t batch = 1;                // KV cache: sequences at once
  std::string kv_type = "f16";      // KvBytesPerElement
  std::string model_arg = "MODEL";  // how the commands name the model
};

// kNotPreferred: fits, but the rule does not list it (for strict rules: below their quality bar).
enum class Status { kRecommended, kFits, kNotPreferred, kTooBig, kExcluded };
std::string_view StatusName(Status status);  // "recommended", "fits", ...

struct Option {
  const Candidate* candidate = nullptr;
  int rank = 0;  // 1-based; 0 for excluded candidates
  Status status = Status::kFits;
  double weight_bytes = 0, kv_bytes = 0, overhead_bytes = 0, total_bytes = 0;
  double bits_per_weight = 0;            // weight bytes x 8 / parameters
  double headroom_bytes = 0;             // memory - total (negative: short by that much)
  std::string reason;                    // one line
  const Exclusion* exclusion = nullptr;  // set for kExcluded
  std::vector<std::string> commands;     // quantize, eval, gate
};

struct Recommendation {
  RecommendRequest request;
  const Hardware* hardware = nullptr;
  double memory_bytes = 0;
  double kv_bytes_per_element = 0;
  const Preference* rule = nullptr;
  std::vector<Option> options;  // ranked options first, then the excluded ones
  const Option* Best() const;   // the recommended option, or null when nothing fits
};

// Throws Error{kInvalidInput} for an unknown hardware or KV type, ctx or batch < 1.
Recommendation Recommend(const RecommendRequest& request);

// The ranked table, the arithmetic, the rule and the commands, for people.
std::string FormatRecommendation(const Recommendation& rec);
// The same as JSON (documented in the README's recommend section).
std::string RecommendationJson(const Recommendation& rec);

}  // namespace qforge::plan
