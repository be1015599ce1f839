// The rung cache of `qforge auto`.
#include "qforge/plan/auto_cache.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "qforge/core/error.h"
#include "qforge/eval/cache.h"
#include "qforge/eval/suites.h"
#include "qforge/eval/write_text.h"

namespace qforge::plan {
namespace {

uint64_t Mix(uint64_t h, std::string_view bytes) {
  const uint64_t n = bytes.size();
  h = eval::Fnv1a64(std::string_view(reinterpret_cast<const char*>(&n), sizeof n), h);
  return eval::Fnv1a64(bytes, h);
}
uint64_t Mix(uint64_t h, uint64_t v) {
  return eval::Fnv1a64(std::string_view(reinterpret_cast<const char*>(&v), sizeof v), h);
}

}  // namespace

std::string RungCacheKey(const RungKey& key) {
  uint64_t h = eval::Fnv1a64("qforge auto rung v1");
  h = Mix(h, key.model_hash);
  h = Mix(h, key.recipe_json);
  h = Mix(h, uint64_t(key.suite_hashes.size()));
  for (uint64_t s : key.suite_hashes) h = Mix(h, s);
  h = Mix(h, key.text_hash);
  h = Mix(h, key.settings);
  return eval::HexKey(h);
}

AutoCache::AutoCache(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    Fail(ErrorKind::kInvalidInput, "{}: cannot create the cache directory: {}", dir_, ec.message());
}

std::string AutoCache::PathFor(const std::string& key) const {
  return (std::filesystem::path(dir_) / ("rung-" + key + ".json")).string();
}

std::optional<nlohmann::json> AutoCache::Load(const std::string& key) const {
  std::ifstream in(PathFor(key), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("key", "") != key) return std::nullopt;
  return j;
}

void AutoCache::Store(const std::string& key, const nlohmann::json& entry) const {
  nlohmann::json j = entry;
  j["key"] = key;
  eval::WriteTextAtomic(PathFor(key), j.dump(1) + "\n");
}

}  // namespace qforge::plan
