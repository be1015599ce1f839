// qforge suite import: public benchmarks (ARC, MMLU) to suite JSONL.
#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/eval/importers.h"
#include "qforge/io/atomic_file.h"

namespace qforge::cli {
namespace {

struct ImportFlags {
  std::string arc, mmlu, output, capability = "arc-easy";
  int limit = 0;
};

void Import(const ImportFlags& flags) {
  if (flags.arc.empty() == flags.mmlu.empty())
    Fail(ErrorKind::kInvalidInput, "suite import: give exactly one of --arc FILE and --mmlu FILE");
  const std::string& input = flags.arc.empty() ? flags.mmlu : flags.arc;
  io::RefuseToOverwriteInput(input, flags.output);
  std::vector<eval::SuiteCase> cases = flags.arc.empty()
                                           ? eval::ImportMmlu(flags.mmlu)
                                           : eval::ImportArc(flags.arc, flags.capability);
  if (flags.limit > 0 && cases.size() > size_t(flags.limit)) cases.resize(size_t(flags.limit));
  eval::WriteSuite(cases, flags.output);
  Note("suite import: wrote {} cases to {}", cases.size(), flags.output);
}

}  // namespace

void RegisterSuite(CLI::App& app) {
  CLI::App* verb = app.add_subcommand("suite", "Evaluation suites: import public benchmarks");
  verb->require_subcommand(1);
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* import =
      verb->add_subcommand("import",
                           "Convert ARC (Hugging Face JSON) or MMLU to suite JSONL, formatted as "
                           "lm-evaluation-harness does");
  import->add_option("--arc", flags->arc, "ARC JSON file (list of questions)")
      ->check(CLI::ExistingFile);
  import->add_option("--mmlu", flags->mmlu, "MMLU JSON file ({\"samples\": [...]})")
      ->check(CLI::ExistingFile);
  import->add_option("--capability", flags->capability, "Capability label for ARC cases")
      ->capture_default_str();
  import->add_option("--limit", flags->limit, "Keep the first N cases (0 = all)")
      ->check(CLI::NonNegativeNumber);
  import->add_option("-o,--output", flags->output, "Suite JSONL to write")->required();
  import->callback([flags] { Import(*flags);
});
}  // namespace qforge::cli

}  // namespace qforge::cli
