// Model hashing and the on-disk baseline cache.
#include "qforge/eval/cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/eval/suites.h"
#include "qforge/eval/write_text.h"
#include "qforge/io/mapped_file.h"

namespace qforge::eval {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

uint64_t HashBytes(const uint8_t* p, size_t n, uint64_t h) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

uint64_t HashFile(const fs::path& path, uint64_t h) {
  const auto file = io::MappedFile::Open(path.string());
  const auto bytes = file->bytes();
  return HashBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), h);
}

}  // namespace

uint64_t HashModelPath(const std::string& path) {
  std::error_code ec;
  uint64_t h = 0xcbf29ce484222325ull;
  if (!fs::is_directory(path, ec)) return HashFile(path, h);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    h = Fnv1a64(f.filename().string(), h);
    h = HashFile(f, h);
  }
  return h;
}

std::string HexKey(uint64_t key) { return fmt::format("{:016x}", key); }

std::string BaselineCacheKey(uint64_t model_hash, uint64_t suite_hash,
                             const std::string& settings) {
  return HexKey(model_hash) + "-" + HexKey(suite_hash) + "-" + HexKey(Fnv1a64(settings));
}

std::string OutcomesToJson(const std::vector<CaseOutcome>& outcomes) {
  json arr = json::array();
  for (const CaseOutcome& o : outcomes)
    arr.push_back({{"id", o.id},
                   {"correct", o.correct},
                   {"output", o.output},
                   {"output_ids", o.output_ids},
                   {"hit_eos", o.hit_eos},
                   {"hit_max_tokens", o.hit_max_tokens},
                   {"logliks", o.logliks},
                   {"predicted", o.predicted},
                   {"predicted_norm", o.predicted_norm},
                   {"correct_norm", o.correct_norm}});
  return json{{"version", 1}, {"outcomes", arr}}.dump();
}

std::vector<CaseOutcome> OutcomesFromJson(const std::string& text, const std::string& where) {
  try {
    const json j = json::parse(text);
    if (j.at("version").get<int>() != 1)
      Fail(ErrorKind::kInvalidInput, "{}: unknown cache version", where);
    std::vector<CaseOutcome> out;
    for (const json& e : j.at("outcomes")) {
      CaseOutcome o;
      o.id = e.at("id").get<std::string>();
      o.correct = e.at("correct").get<bool>();
      o.output = e.at("output").get<std::string>();
      o.output_ids = e.at("output_ids").get<std::vector<int>>();
      o.hit_eos = e.at("hit_eos").get<bool>();
      o.hit_max_tokens = e.at("hit_max_tokens").get<bool>();
      o.logliks = e.at("logliks").get<std::vector<double>>();
      o.predicted = e.at("predicted").get<int>();
      o.predicted_norm = e.at("predicted_norm").get<int>();
      o.correct_norm = e.at("correct_norm").get<bool>();
      out.push_back(std::move(o));
    }
    return out;
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: malformed baseline cache entry: {}", where, e.what());
  }
}

BaselineCache::BaselineCache(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_))
    Fail(ErrorKind::kIo, "{}: cannot create the baseline cache directory: {}", dir_, ec.message());
}

std::string BaselineCache::PathFor(const std::string& key) const {
  return (fs::path(dir_) / (key + ".json")).string();
}

std::optional<std::vector<CaseOutcome>> BaselineCache::Load(const std::string& key,
                                                            size_t expected_cases) const {
  const std::string path = PathFor(key);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    auto out = OutcomesFromJson(io::ReadTextFile(path), path);
    if (out.size() != expected_cases) return std::nullopt;
    return out;
  } catch (const Error&) {
    return std::nullopt;
  }
}

void BaselineCache::Store(const std::string& key, const std::vector<CaseOutcome>& outcomes) const {
  WriteTextAtomic(PathFor(key), OutcomesToJson(outcomes));
}

}  // namespace qforge::eval
