// `qforge sensitivity --json`: the scan as JSON, and back (so a later step, such as the auto
// search's cache or the HTML page, can read a scan written on another run).
//
//   {"kind": "qforge.sensitivity", "version": 1, "recipe": "Q4_K_M", "note": "",
//    "n_ctx": 256, "chunks": 8, "scored_tokens": 1016, "ppl_base": 3.21,
//    "forward_passes": 240, "seconds": 12.3, "baseline_bytes": 2080768,
//    "tensors": [{"rank": 1, "name": "blk.0.ffn_down.weight", "source": "F32", "type": "Q4_K",
//                 "bytes_source": 786432, "bytes_type": 110592, "kld_mean": 0.0123,
//                 "kld_unc": 0.0004, "ppl_ratio": 1.011, "same_top": 0.98, "scanned": true}, ...]}
#pragma once

#include <nlohmann/json.hpp>

#include "qforge/plan/sensitivity.h"

namespace qforge::report {

inline constexpr int kSensitivityVersion = 1;

nlohmann::json SensitivityToJson(const plan::SensitivityResult& result);

// Throws Error{kInvalidInput} naming `source` and the first missing or malformed field.
plan::SensitivityResult SensitivityFromJson(const nlohmann::json& j, const std::string& source);

}  // namespace qforge::report
