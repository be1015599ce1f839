// qforge calib imatrix: the importance matrix of a model from calibration text, written in
// llama-imatrix's GGUF format, for `qforge quantize --imatrix` or llama-quantize --imatrix.
#include <filesystem>

#include "qforge/calib/calibration_data.h"
#include "qforge/calib/importance_capture.h"
#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/io/imatrix_file.h"

namespace qforge::cli {
namespace {

struct ImatrixFlags {
  ModelFlags model;
  std::string output;
  bool force = false;
};

void Run(const ImatrixFlags& flags) {
  if (flags.model.calib.file.empty())
    Fail(ErrorKind::kInvalidInput, "calib imatrix: pass --calib FILE (text from the model's domain)");
  if (std::filesystem::exists(flags.output) && !flags.force)
    Fail(ErrorKind::kInvalidInput, "{} exists: pass --force to replace it", flags.output);
  ModelFlags plain = flags.model;
  plain.recipe.clear();
  LoadedModel m = LoadModel(plain);
  if (std::filesystem::exists(flags.output) &&
      std::filesystem::equivalent(flags.output, m.checkpoint.path))
    Fail(ErrorKind::kInvalidInput, "{} is the model itself", flags.output);
  calib::SampleOptions sample;
  sample.samples = flags.model.calib.samples > 0 ? flags.model.calib.samples : 128;
  // llama-imatrix's default chunk is 512 tokens.
  sample.tokens = std::min(flags.model.calib.tokens > 0 ? flags.model.calib.tokens : 512,
                           m.checkpoint.config.max_seq_len);
  sample.seed = flags.model.calib.seed;
  const calib::CalibrationSet set = calib::SampleWindows(
      calib::LoadCalibrationDocuments(flags.model.calib.file, std::nullopt), *m.tokenizer, sample);
  ThreadPool pool(flags.model.threads);
  Progress progress("imatrix", m.checkpoint.config.n_layers, "layers");
  ImportanceMatrix matrix = calib::ComputeImportance(
      m.checkpoint, set, pool, [&](int done, int) { progress.Update(done); });
  progress.Finish();
  matrix.datasets = {flags.model.calib.file};
  io::WriteImatrixGguf(matrix, flags.output);
  Note("calib imatrix: wrote {} ({} entries, {} chunks of {} tokens)", flags.output,
       matrix.entries.size(), matrix.chunks_count, matrix.chunk_size);
}

}  // namespace

void RegisterCalibImatrix(CLI::App& calib) {
  auto flags = std::make_shared<ImatrixFlags>();
  CLI::App* verb = calib.add_subcommand(
      "imatrix", "Importance matrix (mean x^2 per input column) in llama-imatrix's GGUF format");
  AddModelFlags(*verb, flags->model);
  AddCalibFlags(*verb, flags->model.calib);
  verb->add_option("-o,--output", flags->output, "Output .gguf (written atomically)")->required();
  verb->add_flag("--force", flags->force, "Replace an existing output file");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
