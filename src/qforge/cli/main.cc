// qforge: the command-line entry point. Registers one verb per file and maps errors to exit codes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "qforge/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"qforge: quantize, run and validate LLMs on the CPU"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const qforge::Error& e) {
    fmt::print(stderr, "qforge: error: {}\n", e.what());
    return e.kind() == qforge::ErrorKind::kInternal ? 3 : 2;
  }
  return 0;
}
