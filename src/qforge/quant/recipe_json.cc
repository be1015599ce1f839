// Recipes as JSON: loading a recipe file (or a preset by name) and recording a recipe in outputs.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "qforge/core/error.h"
#include "qforge/quant/recipe.h"

namespace qforge::quant {
namespace {

using nlohmann::json;

bool SameName(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

const Recipe* FindPreset(std::string_view name) {
  for (const Recipe& r : Presets())
    if (SameName(r.name, name)) return &r;
  return nullptr;
}

// "all", "more_bits", "first/8", "below/2".
void ParseLayers(const std::string& text, Rule& rule, const std::string& where) {
  const size_t slash = text.find('/');
  const std::string kind = text.substr(0, slash);
  int arg = 0;
  if (slash != std::string::npos) {
    const char* b = text.data() + slash + 1;
    const char* e = text.data() + text.size();
    auto [end, ec] = std::from_chars(b, e, arg);
    if (ec != std::errc() || end != e || arg <= 0)
      Fail(ErrorKind::kInvalidInput, "{}: bad layer count in \"layers\": \"{}\"", where, text);
  }
  if (kind == "all" && slash == std::string::npos) {
    rule.layers = LayerSelect::kAll;
  } else if (kind == "more_bits" && slash == std::string::npos) {
    rule.layers = LayerSelect::kMoreBits;
  } else if (kind == "first" && arg > 0) {
    rule.layers = LayerSelect::kFraction;
  } else if (kind == "below" && arg > 0) {
    rule.layers = LayerSelect::kBelow;
  } else {
    Fail(ErrorKind::kInvalidInput,
         "{}: \"layers\" must be all, more_bits, first/N or below/N, not \"{}\"", where, text);
  }
  rule.layer_arg = arg;
}

std::string LayersText(const Rule& rule) {
  switch (rule.layers) {
    case LayerSelect::kAll:
      return "all";
    case LayerSelect::kMoreBits:
      return "more_bits";
    case LayerSelect::kFraction:
      return "first/" + std::to_string(rule.layer_arg);
    case LayerSelect::kBelow:
      return "below/" + std::to_string(rule.layer_arg);
  }
  return "all";
}

std::string StringField(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return "";
  if (!j[key].is_string())
    Fail(ErrorKind::kInvalidInput, "{}: \"{}\" must be a string", where, key);
  return j[key].get<std::string>();
}

Rule ParseRule(const json& j, const std::string& where) {
  if (!j.is_object()) Fail(ErrorKind::kInvalidInput, "{}: a rule must be an object", where);
  for (const auto& [key, _] : j.items())
    if (key != "match" && key != "type" && key != "layers" && key != "fallback" && key != "min_gqa")
      Fail(ErrorKind::kInvalidInput,
           "{}: unknown key \"{}\" (match, type, layers, fallback, min_gqa)", where, key);
  Rule rule;
  rule.pattern = StringField(j, "match", where);
  rule.type = StringField(j, "type", where);
  if (rule.pattern.empty() || rule.type.empty())
    Fail(ErrorKind::kInvalidInput, "{}: a rule needs \"match\" and \"type\"", where);
  if (rule.type != "keep" && !QTypeFromName(rule.type))
    Fail(ErrorKind::kInvalidInput, "{}: unknown type \"{}\"", where, rule.type);
  rule.fallback = StringField(j, "fallback", where);
  if (!rule.fallback.empty() && !QTypeFromName(rule.fallback))
    Fail(ErrorKind::kInvalidInput, "{}: unknown fallback type \"{}\"", where, rule.fallback);
  if (j.contains("layers")) ParseLayers(StringField(j, "layers", where), rule, where);
  if (j.contains("min_gqa")) {
    if (!j["min_gqa"].is_number_integer() || j["min_gqa"].get<int64_t>() < 0 ||
        j["min_gqa"].get<int64_t>() > 1024)
      Fail(ErrorKind::kInvalidInput, "{}: \"min_gqa\" must be an integer in 0..1024", where);
    rule.min_gqa = j["min_gqa"].get<int>();
  }
  return rule;
}

bool BoolField(const json& j, const char* key, bool fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_boolean()) Fail(ErrorKind::kInvalidInput, "{}: \"{}\" must be true or false", where, key);
  return j[key].get<bool>();
}

double NumberField(const json& j, const char* key, double fallback, double lo, double hi,
                   const std::string& where) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number() || !(j[key].get<double>() >= lo && j[key].get<double>() <= hi))
    Fail(ErrorKind::kInvalidInput, "{}: \"{}\" must be a number in {}..{}", where, key, lo, hi);
  return j[key].get<double>();
}

const json& Section(const json& j, const char* key, std::initializer_list<std::string_view> keys,
                    const std::string& where) {
  static const json kEmpty = json::object();
  if (!j.contains(key)) return kEmpty;
  if (!j[key].is_object()) Fail(ErrorKind::kInvalidInput, "{}: \"{}\" must be an object", where, key);
  for (const auto& [k, _] : j[key].items())
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      Fail(ErrorKind::kInvalidInput, "{}: unknown key \"{}\" in \"{}\"", where, k, key);
  return j[key];
}

void ParseMethod(const json& j, MethodConfig& m, const std::string& where) {
  if (j.contains("method")) {
    const std::string name = StringField(j, "method", where);
    if (name == "rtn") m.method = Method::kRtn;
    else if (name == "gptq") m.method = Method::kGptq;
    else if (name == "awq") m.method = Method::kAwq;
    else if (name == "smoothquant") m.method = Method::kSmoothQuant;
    else Fail(ErrorKind::kInvalidInput, "{}: \"method\" must be rtn, gptq, awq or smoothquant, not \"{}\"", where, name);
  }
  const json& g = Section(j, "gptq", {"damp_percent", "block_size", "desc_act", "static_groups", "true_sequential"}, where);
  m.damp_percent = NumberField(g, "damp_percent", m.damp_percent, 0.0, 1.0, where);
  m.block_size = int(NumberField(g, "block_size", m.block_size, 1, 4096, where));
  m.desc_act = BoolField(g, "desc_act", m.desc_act, where);
  m.static_groups = BoolField(g, "static_groups", m.static_groups, where);
  m.true_sequential = BoolField(g, "true_sequential", m.true_sequential, where);
  const json& a = Section(j, "awq", {"grid", "clip"}, where);
  m.awq_grid = int(NumberField(a, "grid", m.awq_grid, 1, 100, where));
  m.awq_clip = BoolField(a, "clip", m.awq_clip, where);
  const json& sq = Section(j, "smoothquant", {"alpha"}, where);
  m.alpha = NumberField(sq, "alpha", m.alpha, 0.0, 1.0, where);
  const json& c = Section(j, "calibration", {"samples", "tokens"}, where);
  m.samples = int(NumberField(c, "samples", m.samples, 0, 1 << 20, where));
  m.tokens = int(NumberField(c, "tokens", m.tokens, 0, 1 << 20, where));
}

}  // namespace

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kRtn:
      return "rtn";
    case Method::kGptq:
      return "gptq";
    case Method::kAwq:
      return "awq";
    case Method::kSmoothQuant:
      return "smoothquant";
  }
  return "rtn";
}

Recipe RecipeFromJson(std::string_view text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", source, e.what());
  }
  if (!j.is_object()) Fail(ErrorKind::kInvalidInput, "{}: a recipe must be a JSON object", source);
  for (const auto& [key, _] : j.items())
    if (key != "name" && key != "description" && key != "base" && key != "default" &&
        key != "rules" && key != "gguf_file_type" && key != "method" && key != "gptq" &&
        key != "awq" && key != "smoothquant" && key != "calibration")
      Fail(ErrorKind::kInvalidInput,
           "{}: unknown key \"{}\" (name, description, base, default, rules, gguf_file_type, "
           "method, gptq, awq, smoothquant, calibration)",
           source, key);
  Recipe recipe;
  const std::string base = StringField(j, "base", source);
  if (!base.empty()) {
    const Recipe* preset = FindPreset(base);
    if (preset == nullptr)
      Fail(ErrorKind::kInvalidInput, "{}: unknown base preset \"{}\"", source, base);
    recipe = *preset;
    recipe.measured.clear();
  }
  recipe.name = StringField(j, "name", source);
  if (recipe.name.empty()) recipe.name = source;
  if (j.contains("description")) recipe.description = StringField(j, "description", source);
  if (j.contains("default")) recipe.default_type = StringField(j, "default", source);
  if (recipe.default_type.empty()) recipe.default_type = "F16";
  if (!QTypeFromName(recipe.default_type))
    Fail(ErrorKind::kInvalidInput, "{}: unknown default type \"{}\"", source, recipe.default_type);
  if (j.contains("rules")) {
    if (!j["rules"].is_array())
      Fail(ErrorKind::kInvalidInput, "{}: \"rules\" must be an array", source);
    std::vector<Rule> rules;
    for (size_t i = 0; i < j["rules"].size(); ++i)
      rules.push_back(ParseRule(j["rules"][i], source + ": rule " + std::to_string(i + 1)));
    recipe.rules.insert(recipe.rules.begin(), rules.begin(), rules.end());
  }
  // Changing a preset's types makes it another mix than the llama.cpp file type it named.
  if (j.contains("rules") || j.contains("default")) recipe.gguf_file_type = -1;
  if (j.contains("gguf_file_type")) {
    if (!j["gguf_file_type"].is_number_integer() || j["gguf_file_type"].get<int64_t>() < 0 ||
        j["gguf_file_type"].get<int64_t>() > 1023)
      Fail(ErrorKind::kInvalidInput, "{}: \"gguf_file_type\" must be an integer in 0..1023",
           source);
    recipe.gguf_file_type = j["gguf_file_type"].get<int>();
  }
  ParseMethod(j, recipe.method, source);
  return recipe;
}

Recipe LoadRecipe(const std::string& name_or_path) {
  if (const Recipe* preset = FindPreset(name_or_path)) return *preset;
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in)
    Fail(ErrorKind::kInvalidInput,
         "recipe '{}' is neither a preset nor a readable JSON file (qforge quantize --help lists "
         "the presets)",
         name_or_path);
  std::ostringstream text;
  text << in.rdbuf();
  return RecipeFromJson(text.str(), name_or_path);
}

std::string RecipeToJson(const Recipe& recipe) {
  json rules = json::array();
  for (const Rule& r : recipe.rules) {
    json rule = {{"match", r.pattern}, {"type", r.type}};
    if (r.layers != LayerSelect::kAll) rule["layers"] = LayersText(r);
    if (r.min_gqa > 0) rule["min_gqa"] = r.min_gqa;
    if (!r.fallback.empty()) rule["fallback"] = r.fallback;
    rules.push_back(std::move(rule));
  }
  json j = {{"name", recipe.name}, {"default", recipe.default_type}, {"rules", std::move(rules)}};
  if (recipe.gguf_file_type >= 0) j["gguf_file_type"] = recipe.gguf_file_type;
  const MethodConfig& m = recipe.method;
  if (m.method != Method::kRtn) j["method"] = std::string(MethodName(m.method));
  if (m.method == Method::kGptq)
    j["gptq"] = {{"damp_percent", m.damp_percent}, {"block_size", m.block_size},
                 {"desc_act", m.desc_act}, {"static_groups", m.static_groups},
                 {"true_sequential", m.true_sequential}};
  if (m.method == Method::kAwq) j["awq"] = {{"grid", m.awq_grid}, {"clip", m.awq_clip}};
  if (m.method == Method::kSmoothQuant) j["smoothquant"] = {{"alpha", m.alpha}};
  if (m.samples > 0 || m.tokens > 0) j["calibration"] = {{"samples", m.samples}, {"tokens", m.tokens}};
  return j.dump();
}

}  // namespace qforge::quant
