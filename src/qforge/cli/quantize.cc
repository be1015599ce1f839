// qforge quantize: a model through a recipe (preset or JSON) to a GGUF file llama.cpp loads, or
// to a Hugging Face directory (bitsandbytes NF4, vLLM FP8: quantize_hf.h).
#include <filesystem>

#include "qforge/cli/common.h"
#include "qforge/cli/imatrix_flag.h"
#include "qforge/cli/quantize_hf.h"
#include "qforge/cli/recipe_help.h"
#include "qforge/core/error.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/quant/quantize_model.h"

namespace qforge::cli {
namespace {

struct QuantizeFlags {
  ModelFlags model;
  std::string output;
  std::string recipe;
  std::string format = "gguf";
  std::string imatrix;  // --imatrix: llama.cpp importance matrix
  bool force = false;
};

void Run(const QuantizeFlags& flags) {
  const quant::Recipe recipe = quant::LoadRecipe(flags.recipe);
  if (!flags.imatrix.empty() && flags.format != "gguf")
    Fail(ErrorKind::kInvalidInput, "--imatrix weights ggml's types: it needs --format gguf");
  if (IsHfFormat(flags.format))
    return QuantizeToHf(flags.model, recipe, flags.format, flags.output, flags.force);
  if (flags.format != "gguf")
    Fail(ErrorKind::kInvalidInput, "--format {}: not one of gguf, bnb-nf4, fp8, gptq, awq",
         flags.format);
  ModelFlags source = flags.model;
  source.recipe.clear();  // quantized below, not while loading
  LoadedModel m = LoadModel(source);
  ThreadPool pool(flags.model.threads);
  const std::optional<ImportanceMatrix> imatrix = LoadImatrixFlag(flags.imatrix);
  if (imatrix && recipe.method.method != quant::Method::kRtn)
    Fail(ErrorKind::kInvalidInput,
         "--imatrix weights ggml's round-to-nearest searches; recipe {} uses {}", recipe.name,
         quant::MethodName(recipe.method.method));
  const quant::QuantizedModel q =
      imatrix ? QuantizeWithImatrix(m.checkpoint, recipe, *imatrix, pool)
              : QuantizeByRecipe(m.checkpoint, recipe, m.tokenizer.get(), flags.model.calib, pool,
                                 /*measure_error=*/false);

  io::GgufWriteOptions write;
  write.matrix_type = std::nullopt;  // as quantized
  write.file_type = recipe.gguf_file_type;
  write.name = std::filesystem::path(m.checkpoint.path).stem().string();
  write.extra_kvs = {
      {"qforge.version", QFORGE_VERSION},
      {"qforge.source", std::filesystem::path(m.checkpoint.path).filename().string()},
      {"qforge.recipe", quant::RecipeToJson(recipe)}};
  for (const char* key :
       {"qforge.calibration.file", "qforge.calibration.sha256", "qforge.calibration.windows"})
    if (const auto it = q.checkpoint.metadata.find(key); it != q.checkpoint.metadata.end())
      write.extra_kvs.emplace_back(key, it->second);
  for (auto& kv : ImatrixProvenance(q.checkpoint)) write.extra_kvs.push_back(std::move(kv));
  io::WriteGgufCheckpoint(q.checkpoint, m.tokenizer->ToVocab(), flags.output, write);
  const uint64_t bytes = q.checkpoint.WeightBytes();
  Note("quantize: wrote {} ({} recipe, {} of weights, {:.2f} bits/weight)", flags.output,
       recipe.name, HumanBytes(std::filesystem::file_size(flags.output)),
       8.0 * double(bytes) / double(q.checkpoint.ParameterCount()));
}

}  // namespace

void RegisterQuantize(CLI::App& app) {
  auto flags = std::make_shared<QuantizeFlags>();
  CLI::App* verb = app.add_subcommand(
      "quantize", "Quantize a model by a recipe into a GGUF file or a Hugging Face directory");
  AddModelFlags(*verb, flags->model);
  AddCalibFlags(*verb, flags->model.calib);
  verb->add_option("-o,--output", flags->output,
                   "Output file, or directory for bnb-nf4/fp8/gptq/awq (written atomically)")
      ->required();
  verb->add_option("-r,--recipe", flags->recipe, "A preset (table below) or a JSON recipe file")
      ->required();
  verb->add_option("--format", flags->format,
                   "Output format: gguf (a file), bnb-nf4, fp8, gptq or awq (a Hugging Face "
                   "directory)")
      ->capture_default_str();
  AddImatrixFlag(*verb, flags->imatrix);
  verb->add_flag("--force", flags->force,
                 "bnb-nf4/fp8/gptq/awq: replace an existing non-empty output directory");
  verb->footer(RecipeTable());
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
