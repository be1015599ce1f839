#include "qforge/cli/calibrated.h"

#include <filesystem>

#include "qforge/calib/calibrated_quantize.h"
#include "qforge/calib/calibration_data.h"
#include "qforge/calib/sha256.h"
#include "qforge/cli/common.h"
#include "qforge/core/error.h"

namespace qforge::cli {

void AddCalibFlags(CLI::App& verb, CalibFlags& flags) {
  verb.add_option("--calib", flags.file,
                  "Calibration text for gptq/awq/smoothquant recipes: .txt, or .jsonl with \"text\" "
                  "or chat \"messages\"");
  verb.add_option("--calib-samples", flags.samples,
                  "Calibration windows (default: the recipe's, else 128)")
      ->check(CLI::Range(1, 1 << 20));
  verb.add_option("--calib-tokens", flags.tokens,
                  "Tokens per window (default: GPTQ 2048, AWQ/SmoothQuant 512, at most the model's "
                  "context)")
      ->check(CLI::Range(2, 1 << 20));
  verb.add_option("--calib-seed", flags.seed, "Seed of the calibration window sampling")
      ->capture_default_str();
  verb.add_option("--chat-template", flags.chat_template,
                  "Template for chat JSONL: chatml, llama2, llama3, zephyr, plain (default: the "
                  "model's, when recognised)");
}

namespace {

std::optional<calib::ChatTemplate> ChooseTemplate(const Checkpoint& ckpt, const CalibFlags& flags) {
  if (!flags.chat_template.empty()) {
    const auto t = calib::ChatTemplateFromName(flags.chat_template);
    if (!t)
      Fail(ErrorKind::kInvalidInput,
           "--chat-template {}: not one of chatml, llama2, llama3, zephyr, plain",
           flags.chat_template);
    return t;
  }
  if (const auto it = ckpt.metadata.find("tokenizer.chat_template"); it != ckpt.metadata.end())
    return calib::DetectChatTemplate(it->second);
  return std::nullopt;
}

void PrintReport(const calib::CalibratedModel& c, const quant::Recipe& recipe) {
  Note("{}: output error of each linear layer on its calibration inputs, ||XW^T - XW'^T|| / "
       "||XW^T||, against round-to-nearest of the same type:",
       MethodName(recipe.method.method));
  Note("  {:<26} {:<12} {:>10} {:>10} {:>7}  {}", "tensor", "type", "method", "RTN", "ratio",
       "detail");
  double sum_ratio = 0.0;
  for (const calib::LinearReport& r : c.linears) {
    const double ratio = r.rtn_error > 0 ? r.error / r.rtn_error : 1.0;
    sum_ratio += ratio;
    Note("  {:<26} {:<12} {:>10.5f} {:>10.5f} {:>7.3f}  {}", r.name, Traits(r.type).name, r.error,
         r.rtn_error, ratio, r.detail);
  }
  if (!c.linears.empty())
    Note("  mean ratio {:.3f} over {} layers; {:.1f} s", sum_ratio / double(c.linears.size()),
         c.linears.size(), c.seconds);
}

}  // namespace

quant::QuantizedModel QuantizeByRecipe(const Checkpoint& source, const quant::Recipe& recipe,
                                       const tokenizer::Tokenizer* tokenizer,
                                       const CalibFlags& flags, ThreadPool& pool,
                                       bool measure_error) {
  quant::QuantizeOptions options;
  options.measure_error = measure_error;
  if (recipe.method.method == quant::Method::kRtn) {
    if (!flags.file.empty())
      Note("note: recipe {} rounds to nearest; --calib is not used", recipe.name);
    return quant::QuantizeCheckpoint(source, recipe, pool, options);
  }
  if (flags.file.empty())
    Fail(ErrorKind::kInvalidInput,
         "recipe {} uses {}, which needs calibration text: pass --calib FILE (plain text or JSONL "
         "from the model's domain)",
         recipe.name, MethodName(recipe.method.method));
  if (tokenizer == nullptr)
    Fail(ErrorKind::kInvalidInput, "calibration needs the model's tokenizer (--tokenizer)");
  calib::SampleOptions sample = calib::DefaultSampleOptions(recipe, source.config);
  if (flags.samples > 0) sample.samples = flags.samples;
  if (flags.tokens > 0) sample.tokens = flags.tokens;
  sample.seed = flags.seed;
  const std::vector<std::string> docs =
      calib::LoadCalibrationDocuments(flags.file, ChooseTemplate(source, flags));
  const calib::CalibrationSet set = calib::SampleWindows(docs, *tokenizer, sample);
  Note("calibration: {} windows of {} tokens from {} ({} tokens{})", set.windows.size(),
       set.windows.front().size(), flags.file, set.source_tokens,
       set.overlapping ? "; windows overlap: the text is shorter than samples x tokens" : "");

  Progress progress(std::string(MethodName(recipe.method.method)) + " " + recipe.name,
                    source.config.n_layers, "layers");
  calib::CalibratedOptions copts;
  copts.on_progress = [&](std::string_view, int layer, int) { progress.Update(layer); };
  calib::CalibratedModel c = calib::RunCalibratedMethod(source, recipe, set, pool, copts);
  progress.Finish();
  if (flags.report) PrintReport(c, recipe);

  quant::QuantizedModel q = quant::QuantizeCheckpoint(c.checkpoint, recipe, pool, options);
  // As given (not absolute), so the output's bytes do not depend on the working directory.
  q.checkpoint.metadata["qforge.calibration.file"] = flags.file;
  q.checkpoint.metadata["qforge.calibration.sha256"] = calib::Sha256File(flags.file);
  q.checkpoint.metadata["qforge.calibration.windows"] =
      fmt::format("{}x{}", set.windows.size(), set.windows.front().size());
  return q;
}

}  // namespace qforge::cli
