// The sensitivity scan to and from JSON.
#include "qforge/report/sensitivity_json.h"

#include "qforge/core/error.h"

namespace qforge::report {
namespace {

using nlohmann::json;

QType TypeField(const json& t, const char* key, const std::string& source) {
  const std::string name = t.at(key).get<std::string>();
  const std::optional<QType> type = QTypeFromName(name);
  if (!type)
    Fail(ErrorKind::kInvalidInput, "{}: unknown type '{}' in field '{}'", source, name, key);
  return *type;
}

}  // namespace

json SensitivityToJson(const plan::SensitivityResult& r) {
  json tensors = json::array();
  for (size_t i = 0; i < r.tensors.size(); ++i) {
    const plan::TensorSensitivity& t = r.tensors[i];
    tensors.push_back({{"rank", i + 1},
                       {"name", t.name},
                       {"source", std::string(Traits(t.source).name)},
                       {"type", std::string(Traits(t.type).name)},
                       {"bytes_source", t.bytes_source},
                       {"bytes_type", t.bytes_type},
                       {"kld_mean", t.kld_mean},
                       {"kld_unc", t.kld_unc},
                       {"ppl_ratio", t.ppl_ratio},
                       {"same_top", t.same_top},
                       {"scanned", t.scanned}});
  }
  return {{"kind", "qforge.sensitivity"},
          {"version", kSensitivityVersion},
          {"recipe", r.recipe},
          {"note", r.note},
          {"n_ctx", r.n_ctx},
          {"chunks", r.chunks},
          {"scored_tokens", r.scored_tokens},
          {"ppl_base", r.ppl_base},
          {"forward_passes", r.forward_passes},
          {"seconds", r.seconds},
          {"baseline_bytes", r.baseline_bytes},
          {"tensors", std::move(tensors)}};
}

plan::SensitivityResult SensitivityFromJson(const json& j, const std::string& source) {
  try {
    if (j.at("kind") != "qforge.sensitivity" || j.at("version") != kSensitivityVersion)
      Fail(ErrorKind::kInvalidInput, "{}: not a qforge sensitivity scan (version {})", source,
           kSensitivityVersion);
    plan::SensitivityResult r;
    r.recipe = j.at("recipe").get<std::string>();
    r.note = j.value("note", "");
    r.n_ctx = j.at("n_ctx").get<int>();
    r.chunks = j.at("chunks").get<int>();
    r.scored_tokens = j.at("scored_tokens").get<int64_t>();
    r.ppl_base = j.at("ppl_base").get<double>();
    r.forward_passes = j.at("forward_passes").get<int64_t>();
    r.seconds = j.at("seconds").get<double>();
    r.baseline_bytes = j.at("baseline_bytes").get<uint64_t>();
    for (const json& t : j.at("tensors")) {
      plan::TensorSensitivity s;
      s.name = t.at("name").get<std::string>();
      s.source = TypeField(t, "source", source);
      s.type = TypeField(t, "type", source);
      s.bytes_source = t.at("bytes_source").get<uint64_t>();
      s.bytes_type = t.at("bytes_type").get<uint64_t>();
      s.kld_mean = t.at("kld_mean").get<double>();
      s.kld_unc = t.at("kld_unc").get<double>();
      s.ppl_ratio = t.at("ppl_ratio").get<double>();
      s.same_top = t.at("same_top").get<double>();
      s.scanned = t.at("scanned").get<bool>();
      r.tensors.push_back(std::move(s));
    }
    return r;
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: malformed sensitivity scan: {}", source, e.what());
  }
}

}  // namespace qforge::report
