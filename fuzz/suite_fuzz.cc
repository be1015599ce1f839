// Suite JSONL files: parse arbitrary bytes as a suite; every case that parses must serialize.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qforge/core/error.h"
#include "qforge/eval/suites.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const qforge::eval::Suite suite = qforge::eval::ParseSuite(text, "fuzz.jsonl");
    for (const qforge::eval::SuiteCase& c : suite.cases) {
      if (qforge::eval::SuiteCaseToJson(c).empty()) __builtin_trap();
    }
  } catch (const qforge::Error&) {
    // Rejected with a message naming the line and field: the expected outcome for most inputs.
  }
  return 0;
}
