// qforge: the command-line entry point. Registers one verb per file and maps errors to exit codes:
// 0 success, 1 a gate found a regression, 2 bad input (file, flag), 3 internal error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/progress.h"
#include "qforge/io/mapped_file.h"

int main(int argc, char** argv) {
  CLI::App app{"qforge: quantize, run and validate LLMs on the CPU"};
  app.set_version_flag("--version", QFORGE_VERSION);
  app.require_subcommand(1);
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "No progress output on stderr");
  bool no_mmap = false;
  app.add_flag("--no-mmap", no_mmap,
               "Read model weights into huge-page memory instead of memory-mapping the file: "
               "loading reads the whole file, decoding is faster (fewer TLB misses)");
  app.parse_complete_callback([&] {
    qforge::Progress::SetEnabled(!quiet);
    if (no_mmap) qforge::io::SetWeightLoading(qforge::io::WeightLoading::kCopy);
  });
  qforge::cli::RegisterInspect(app);
  qforge::cli::RegisterConvert(app);
  qforge::cli::RegisterGenerate(app);
  qforge::cli::RegisterPerplexity(app);
  qforge::cli::RegisterQuantize(app);
  qforge::cli::RegisterStats(app);
  qforge::cli::RegisterEval(app);
  qforge::cli::RegisterGate(app);
  qforge::cli::RegisterReport(app);
  qforge::cli::RegisterSuite(app);
  qforge::cli::RegisterCalib(app);
  qforge::cli::RegisterSynth(app);
  qforge::cli::RegisterBench(app);
  qforge::cli::RegisterRecommend(app);
  qforge::cli::RegisterSensitivity(app);
  qforge::cli::RegisterAuto(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const qforge::cli::ExitCode& e) {
    return e.code;
  } catch (const qforge::Error& e) {
    fmt::print(stderr, "qforge: error: {}\n", e.what());
    return e.kind() == qforge::ErrorKind::kInternal ? 3 : 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "qforge: internal error: {}\n", e.what());
    return 3;
  }
  return 0;
}
