// The decision rules of `qforge recommend`, as data (recommend_rules_table.cc).
//
// Two kinds of rows. An Exclusion drops a candidate that needs a feature the hardware lacks, or
// calibration text the user does not have. A Preference, the first whose condition matches, gives
// the order in which candidates are tried: the recommendation is the first one that is allowed
// and fits in memory. "memory >= 2x the model: 16-bit; about the model's size: 8-bit; less: 4-bit"
// is then not a rule of its own: it is what "best quality that fits" gives on a GPU. Every row
// says why, and cites where that comes from.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "qforge/plan/hardware.h"

namespace qforge::plan {

enum class Quality { kStrict, kRelaxed };

struct Exclusion {
  // Candidates needing `feature` on hardware without it; nullopt: calibrated candidates when the
  // user has no calibration text (--calib no).
  std::optional<Feature> feature;
  std::string_view reason;
  std::string_view citation;
};

// Which requests a preference row applies to. An unset field matches anything.
struct Condition {
  enum class Device { kAny, kGpu, kNotGpu } device = Device::kAny;
  enum class Need { kAny, kStrict, kRelaxed } quality = Need::kAny;
  enum class Fp8 { kAny, kYes, kNo } fp8 = Fp8::kAny;  // hardware with FP8 E4M3 matrix units

  bool Matches(const Hardware& hardware, Quality quality) const;
};

struct Preference {
  std::string_view name;  // "gpu-relaxed-fp8", shown with the recommendation
  Condition when;
  std::vector<std::string_view> order;  // candidate ids, most preferred first
  std::string_view reason;
  std::string_view citation;
};

const std::vector<Exclusion>& ExclusionRules();
const std::vector<Preference>& PreferenceRules();  // first match wins; the last matches all

}  // namespace qforge::plan
