#include "qforge/cli/recipe_help.h"

#include <fmt/format.h>

#include "qforge/quant/recipe.h"

namespace qforge::cli {

std::string RecipeTable() {
  std::string out =
      "Presets (a JSON recipe file works too; see README). bits/w is the main type's; [...] is\n"
      "measured on the test-bed model against f32: model bits/weight, mean KLD, same top token.\n"
      "  name            bits/w  what\n";
  for (const quant::Recipe& r : quant::Presets()) {
    const std::optional<QType> type = QTypeFromName(r.default_type);
    const std::string bits = type ? fmt::format("{:6.2f}", BitsPerWeight(*type)) : "     -";
    out += fmt::format("  {:<15} {}  {}", r.name, bits, r.description);
    if (!r.measured.empty()) out += fmt::format(" [{}]", r.measured);
    if (!type) out += " (type not available in this build)";
    out += "\n";
  }
  return out;
}

}  // namespace qforge::cli
