// The cache of `qforge auto`: one JSON entry per evaluated rung or probe in OUT/cache/, so an
// interrupted run re-run with the same flags skips every finished evaluation. The key covers all
// that changes a rung's outcome: the baseline model's content hash, the recipe (its JSON), the
// suites' and the text's content hashes, and the evaluation and gate settings.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace qforge::plan {

struct RungKey {
  uint64_t model_hash = 0;
  std::string recipe_json;
  std::vector<uint64_t> suite_hashes;
  uint64_t text_hash = 0;
  std::string settings;  // context, chunks, bootstrap, gate thresholds, qforge version
};

// 16 hex digits: FNV-1a over the fields, each length-prefixed so no two keys collide by
// concatenation.
std::string RungCacheKey(const RungKey& key);

class AutoCache {
 public:
  explicit AutoCache(std::string dir);  // creates the directory
  // The stored entry, or nullopt when absent or unreadable (a corrupt entry is recomputed).
  std::optional<nlohmann::json> Load(const std::string& key) const;
  void Store(const std::string& key, const nlohmann::json& entry) const;  // atomic write
  std::string PathFor(const std::string& key) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace qforge::plan
