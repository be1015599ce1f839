// Applying a recipe to a checkpoint's tensors: rule matching, layer selectors, block fallbacks.
#include "qforge/quant/recipe.h"

#include <fmt/format.h>

#include <charconv>
#include <utility>

#include "qforge/core/error.h"

namespace qforge::quant {
namespace {

// llama-quantize's replacements when a k-quant's 256-wide super-block does not divide a row
// (llama-quant.cpp, "fallback"); group-wise types step down to smaller groups. Anything else that
// does not fit ends at F16, which fits every row.
constexpr std::pair<std::string_view, std::string_view> kFallbacks[] = {
    {"Q2_K", "IQ4_NL"},
    {"Q3_K", "IQ4_NL"},
    {"Q4_K", "Q5_0"},
    {"Q5_K", "Q5_1"},
    {"Q6_K", "Q8_0"},
    {"INT4_G128", "INT4_G64"},
    {"INT4_G64", "INT4_G32"},
    {"INT4_G128_Z", "INT4_G64_Z"},
    {"INT4_G64_Z", "INT4_G32_Z"},
};

bool Fits(QType type, int64_t cols) { return cols % Traits(type).block_size == 0; }

QType ParseType(const Recipe& recipe, const std::string& name) {
  std::optional<QType> type = QTypeFromName(name);
  if (!type)
    Fail(ErrorKind::kInvalidInput, "recipe '{}': unknown type '{}' (see qforge quantize --help)",
         recipe.name, name);
  return *type;
}

// The classifier: output.weight, or the embedding that doubles as it.
bool IsClassifier(const Checkpoint& ckpt, std::string_view name) {
  if (name == kOutputName) return true;
  return name == kTokenEmbeddingName && ckpt.Find(kOutputName) == nullptr;
}

bool Matches(const Rule& rule, const Checkpoint& ckpt, std::string_view name) {
  if (rule.pattern == "@output") return IsClassifier(ckpt, name);
  return GlobMatch(rule.pattern, name);
}

bool Selected(const Rule& rule, std::string_view name, const ModelConfig& config) {
  if (rule.min_gqa > 0 &&
      (config.n_kv_heads <= 0 || config.n_heads / config.n_kv_heads < rule.min_gqa))
    return false;
  const int n_layers = config.n_layers;
  if (rule.layers == LayerSelect::kAll) return true;
  const std::optional<int> i = LayerIndex(name);
  if (!i) return false;  // a per-layer rule never applies to a tensor outside the layers
  switch (rule.layers) {
    case LayerSelect::kAll:
      return true;
    case LayerSelect::kMoreBits:
      return UseMoreBits(*i, n_layers);
    case LayerSelect::kFraction:
      return rule.layer_arg > 0 && *i < n_layers / rule.layer_arg;
    case LayerSelect::kBelow:
      return *i < rule.layer_arg;
  }
  return false;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view name) {
  // Iterative wildcard match with one backtrack point: linear in practice for tensor names.
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool UseMoreBits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

std::optional<int> LayerIndex(std::string_view name) {
  if (!name.starts_with("blk.")) return std::nullopt;
  name.remove_prefix(4);
  int i = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), i);
  if (ec != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '.')
    return std::nullopt;
  return i;
}

std::optional<QType> FallbackType(QType type) {
  const std::string_view name = Traits(type).name;
  for (const auto& [from, to] : kFallbacks)
    if (from == name) {
      if (std::optional<QType> next = QTypeFromName(to)) return next;
    }
  if (Traits(type).block_size == 1) return std::nullopt;
  return QType::kF16;
}

std::vector<TensorChoice> PlanRecipe(const Recipe& recipe, const Checkpoint& ckpt) {
  std::vector<TensorChoice> plan;
  plan.reserve(ckpt.tensors.size());
  const QType default_type = ParseType(recipe, recipe.default_type);
  for (const TensorView& t : ckpt.tensors) {
    TensorChoice c{t.name, t.type, t.type, false, "1-D, kept"};
    if (t.shape.size() >= 2) {
      QType type = default_type;
      c.reason = "default " + recipe.default_type;
      const Rule* matched = nullptr;
      for (const Rule& rule : recipe.rules) {
        if (!Matches(rule, ckpt, t.name) || !Selected(rule, t.name, ckpt.config)) continue;
        matched = &rule;
        c.reason = "rule " + rule.pattern;
        type = rule.type == "keep" ? t.type : ParseType(recipe, rule.type);
        break;
      }
      const QType chosen = type;
      if (matched != nullptr && !matched->fallback.empty() && !Fits(type, t.Cols()))
        type = ParseType(recipe, matched->fallback);
      while (!Fits(type, t.Cols())) {
        std::optional<QType> next = FallbackType(type);
        QF_CHECK(next.has_value());  // the chain ends at F16, which fits every row
        type = *next;
      }
      if (type != chosen)
        c.reason += fmt::format(", fallback {} -> {} (row {})", Traits(chosen).name,
                                Traits(type).name, t.Cols());
      c.type = type;
      c.quantized = type != t.type;
    }
    plan.push_back(std::move(c));
  }
  return plan;
}

}  // namespace qforge::quant
