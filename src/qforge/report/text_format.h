// Escaping and number formatting shared by the Markdown, JUnit and HTML writers.
#pragma once

#include <string>
#include <string_view>

namespace qforge::report {

std::string EscapeXml(std::string_view s);                     // & < > " ' (HTML and XML alike)
std::string EscapeMarkdown(std::string_view s);                // table-safe: | and newlines
std::string Percent(double fraction, int decimals = 1);        // 0.953 -> "95.3%"
std::string SignedPercent(double fraction, int decimals = 1);  // -0.02 -> "-2.0%"

}  // namespace qforge::report
