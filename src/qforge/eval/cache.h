// Baseline cache: the baseline's suite outcomes stored on disk, keyed by model hash + suite hash +
// settings, so a CI gate that checks many candidates against one baseline runs the baseline's
// generations once. Text distribution metrics (kld.h) are not cached: they need the baseline's
// full next-token distributions, which is what llama.cpp writes to its large logits file and what
// the lockstep run avoids; they cost one forward pass per chunk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qforge/eval/scorer.h"

namespace qforge::eval {

// Content hash of a model: a file's bytes, or a directory's regular files (names and bytes, in
// name order). 64-bit FNV-1a over 8-byte words: fast enough for multi-GB files, and a key, not a
// security measure.
uint64_t HashModelPath(const std::string& path);

std::string HexKey(uint64_t key);

// Cache key: `settings` is every option that changes the outcomes (context length, qforge version).
std::string BaselineCacheKey(uint64_t model_hash, uint64_t suite_hash, const std::string& settings);

// Outcomes as JSON text and back (throws Error{kInvalidInput} for a malformed entry).
std::string OutcomesToJson(const std::vector<CaseOutcome>& outcomes);
std::vector<CaseOutcome> OutcomesFromJson(const std::string& text, const std::string& where);

class BaselineCache {
 public:
  explicit BaselineCache(std::string dir);  // creates the directory
  // The stored outcomes, or nullopt when absent or unreadable (a corrupt entry is recomputed).
  std::optional<std::vector<CaseOutcome>> Load(const std::string& key, size_t expected_cases) const;
  void Store(const std::string& key, const std::vector<CaseOutcome>& outcomes) const;
  std::string PathFor(const std::string& key) const;

 private:
  std::string dir_;
};

}  // namespace qforge::eval
