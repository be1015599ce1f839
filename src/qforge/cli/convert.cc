// qforge convert: any supported model to a GGUF file (F32, F16 or BF16) with its tokenizer.
#include <filesystem>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/io/gguf_writer.h"

namespace qforge::cli {
namespace {

struct ConvertFlags {
  ModelFlags model;
  std::string output;
  std::string type = "f32";
};

void Run(const ConvertFlags& flags) {
  LoadedModel m = LoadModel(flags.model);
  const auto type = QTypeFromName(flags.type);
  if (!type || (*type != QType::kF32 && *type != QType::kF16 && *type != QType::kBF16))
    Fail(ErrorKind::kInvalidInput,
         "--type {}: convert writes f32, f16 or bf16 (quantized types: qforge quantize)",
         flags.type);
  io::GgufWriteOptions options;
  options.matrix_type = *type;
  options.name = std::filesystem::path(m.checkpoint.path).stem().string();
  options.extra_kvs = {
      {"qforge.version", QFORGE_VERSION},
      {"qforge.source", std::filesystem::path(m.checkpoint.path).filename().string()}};
  io::WriteGgufCheckpoint(m.checkpoint, m.tokenizer->ToVocab(), flags.output, options);
  Note("convert: wrote {} ({}, {})", flags.output, Traits(*type).name,
       HumanBytes(std::filesystem::file_size(flags.output)));
}

}  // namespace

void RegisterConvert(CLI::App& app) {
  auto flags = std::make_shared<ConvertFlags>();
  CLI::App* verb = app.add_subcommand(
      "convert", "Convert a llama2.c or Hugging Face model to GGUF (f32/f16/bf16)");
  AddModelFlags(*verb, flags->model);
  verb->add_option("-o,--output", flags->output, "Output .gguf file (written atomically)")
      ->required();
  verb->add_option("--type", flags->type, "Weight type: f32, f16 or bf16")->capture_default_str();
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
