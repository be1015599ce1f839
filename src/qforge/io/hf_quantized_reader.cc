// GPTQ / AWQ checkpoint reading: quantization_config and the per-layer tensor groups.
#include "qforge/io/hf_quantized_reader.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/io/awq_layout.h"
#include "qforge/io/gptq_layout.h"
#include "qforge/io/int_weights.h"

namespace qforge::io {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The first of `keys` present in `q`, as an integer.
int IntField(const nlohmann::json& q, std::initializer_list<const char*> keys,
             const std::string& path) {
  for (const char* key : keys) {
    if (!q.contains(key)) continue;
    if (!q[key].is_number_integer())
      Fail(ErrorKind::kInvalidInput, "{}: quantization_config '{}' = {} is not an integer", path,
           key, q[key].dump());
    return q[key].get<int>();
  }
  Fail(ErrorKind::kInvalidInput, "{}: quantization_config lacks '{}'", path, *keys.begin());
}

std::string StringField(const nlohmann::json& q, const char* key) {
  return q.contains(key) && q[key].is_string() ? Lower(q[key].get<std::string>()) : "";
}

}  // namespace

std::optional<HfIntQuantConfig> ParseHfIntQuantConfig(const std::string& config_json,
                                                      const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("quantization_config") || !j["quantization_config"].is_object())
    return std::nullopt;
  const nlohmann::json& q = j["quantization_config"];
  HfIntQuantConfig c;
  c.method = StringField(q, "quant_method");
  if (c.method != "gptq" && c.method != "awq") return std::nullopt;
  if (c.method == "gptq") {
    const std::string format = StringField(q, "checkpoint_format");
    if (!format.empty() && format != "gptq")
      Fail(ErrorKind::kUnsupported,
           "{}: GPTQ checkpoint_format '{}' (qforge reads the v1 format \"gptq\")", path, format);
    c.bits = IntField(q, {"bits"}, path);
    c.group_size = IntField(q, {"group_size"}, path);
  } else {
    const std::string version = StringField(q, "version");
    if (!version.empty() && version != "gemm")
      Fail(ErrorKind::kUnsupported, "{}: AWQ version '{}' (qforge reads the \"gemm\" layout)", path,
           version);
    c.bits = IntField(q, {"bits", "w_bit"}, path);
    c.group_size = IntField(q, {"group_size", "q_group_size"}, path);
  }
  return c;
}

std::vector<TensorView> ReadHfIntQuantWeights(std::map<std::string, StRawTensor>& all,
                                              const HfIntQuantConfig& config,
                                              const std::string& path, Checkpoint& ckpt) {
  constexpr std::string_view kSuffix = ".qweight";
  std::vector<std::string> layers;
  for (const auto& [name, raw] : all)
    if (name.ends_with(kSuffix)) layers.push_back(name.substr(0, name.size() - kSuffix.size()));
  std::vector<TensorView> out;
  std::vector<std::string> dequantized;
  for (const std::string& layer : layers) {
    const IntWeights w = config.method == "gptq"
                             ? UnpackGptq(all, layer, config.bits, config.group_size, path)
                             : UnpackAwq(all, layer, config.bits, config.group_size, path);
    std::shared_ptr<const void> owner;
    bool exact_type = false;
    TensorView t = TensorFromIntWeights(w, owner, exact_type);
    t.name = layer + ".weight";
    if (!exact_type) dequantized.push_back(t.name);
    ckpt.storage.push_back(owner);
    out.push_back(std::move(t));
    for (const char* part : {".qweight", ".qzeros", ".scales", ".g_idx"}) all.erase(layer + part);
  }
  ckpt.metadata["hf.quantization"] =
      fmt::format("{} {}-bit, group size {}", config.method, config.bits, config.group_size);
  if (!dequantized.empty())
    ckpt.metadata["hf.quantization_note"] = fmt::format(
        "{} {} weight(s) dequantized exactly to F32 (act-order g_idx or a bits/group size no "
        "qforge INT type has): {}",
        dequantized.size(), config.method, fmt::join(dequantized, ", "));
  return out;
}

}  // namespace qforge::io
