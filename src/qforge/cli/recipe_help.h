// The preset table that `quantize --help` and `stats --help` print.
#pragma once

#include <string>

namespace qforge::cli {

// One line per preset: name, bits per weight of its main type, description, measured cost.
std::string RecipeTable();

}  // namespace qforge::cli
