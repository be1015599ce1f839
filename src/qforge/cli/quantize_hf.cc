// qforge quantize to a Hugging Face directory: recipe adaptation, tokenizer files, export.
#include "qforge/cli/quantize_hf.h"

#include <filesystem>

#include "qforge/core/error.h"
#include "qforge/io/hf_export.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/tokenizer/load.h"

namespace qforge::cli {
namespace fs = std::filesystem;
namespace {

// Replaces every use of type `from` in the recipe by `to`; true when there was one.
bool ReplaceType(quant::Recipe& recipe, QType from, QType to) {
  bool found = false;
  auto swap = [&](std::string& name) {
    if (name.empty() || QTypeFromName(name) != from) return;
    name = std::string(Traits(to).name);
    found = true;
  };
  swap(recipe.default_type);
  for (quant::Rule& rule : recipe.rules) {
    swap(rule.type);
    swap(rule.fallback);
  }
  return found;
}

bool UsesType(const quant::Recipe& recipe, QType type) {
  quant::Recipe copy = recipe;
  return ReplaceType(copy, type, type);
}

// Tokenizer files for the directory: the tokenizer qforge would use, under the name transformers
// expects for a SentencePiece model, and the Hugging Face tokenizer side files found beside it.
std::vector<std::pair<std::string, std::string>> TokenizerFiles(const ModelFlags& flags,
                                                                const Checkpoint& ckpt) {
  std::vector<std::pair<std::string, std::string>> files;
  const std::string tok = !flags.tokenizer.empty()
                              ? flags.tokenizer
                              : tokenizer::FindTokenizerBeside(ckpt.path, ckpt.config.vocab_size);
  if (tok.empty()) return files;
  const fs::path p(tok);
  files.emplace_back(tok, p.extension() == ".model" ? "tokenizer.model" : p.filename().string());
  for (const char* side : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "generation_config.json"}) {
    const fs::path f = p.parent_path() / side;
    if (f != p && fs::exists(f)) files.emplace_back(f.string(), side);
  }
  return files;
}

}  // namespace

bool IsHfFormat(const std::string& format) {
  return format == "bnb-nf4" || format == "fp8" || format == "gptq" || format == "awq";
}

void QuantizeToHf(const ModelFlags& model, const quant::Recipe& source_recipe,
                  const std::string& format, const std::string& output, bool force) {
  quant::Recipe recipe = source_recipe;
  io::HfExportOptions opts;
  if (format == "bnb-nf4") {
    opts.format = io::HfQuantFormat::kBnbNf4;
    if (UsesType(recipe, QType::kNF4) && UsesType(recipe, QType::kNF4_DQ))
      Fail(ErrorKind::kInvalidInput,
           "recipe '{}' mixes NF4 and NF4_DQ: bitsandbytes applies double quantization to every "
           "layer of a model (bnb_4bit_use_double_quant)",
           recipe.name);
    opts.nf4_double_quant = ReplaceType(recipe, QType::kNF4_DQ, QType::kNF4);
  } else if (format == "gptq" || format == "awq") {
    opts.format = format == "gptq" ? io::HfQuantFormat::kGptq : io::HfQuantFormat::kAwq;
    bool per_row = false;
    for (QType t : {QType::kINT8, QType::kINT4_ROW, QType::kINT4_ROW_Z, QType::kINT3_ROW,
                    QType::kINT3_ROW_Z, QType::kINT2_ROW, QType::kINT2_ROW_Z})
      per_row |= UsesType(recipe, t);
    if (per_row && format == "gptq")
      Note(
          "quantize: --format gptq stores f16 scales: the f32 row scales of the recipe's per-row "
          "types (INT8, INTb_ROW) are rounded to f16 (group_size -1), so the export differs "
          "slightly from the model quantized in memory");
  } else {
    opts.format = io::HfQuantFormat::kFp8;
    const bool e4 = ReplaceType(recipe, QType::kFP8_E4M3, QType::kFP8_E4M3_T);
    const bool e5 = ReplaceType(recipe, QType::kFP8_E5M2, QType::kFP8_E5M2_T);
    if (e4 || e5)
      Note(
          "quantize: --format fp8 stores one scale per tensor (vLLM's fp8 method): the recipe's "
          "per-channel FP8 types are quantized per tensor");
  }
  const bool calibrated = recipe.method.method != quant::Method::kRtn;
  ModelFlags plain = model;
  plain.recipe.clear();  // quantized below, not while loading
  LoadedModel m = LoadModel(plain, /*need_tokenizer=*/calibrated);
  // transformers and vLLM apply rotate-half RoPE: q/k rows go to that order before quantizing.
  // (GPTQ and AWQ are indifferent to the order of output rows: each row keeps its own grids.)
  const Checkpoint source = io::ToRotateHalf(m.checkpoint);
  ThreadPool pool(model.threads);
  const quant::QuantizedModel q = QuantizeByRecipe(source, recipe, m.tokenizer.get(), model.calib,
                                                   pool, /*measure_error=*/false);
  if (recipe.method.method == quant::Method::kGptq) {
    opts.gptq.damp_percent = recipe.method.damp_percent;
    opts.gptq.desc_act = recipe.method.desc_act;
    opts.gptq.true_sequential = recipe.method.true_sequential;
    opts.gptq.static_groups = recipe.method.static_groups || recipe.method.desc_act;
  }
  if (recipe.method.method == quant::Method::kAwq && format == "gptq")
    Note("quantize: the AWQ-scaled weights are stored in the GPTQ layout (the scales are folded "
         "into the RMSNorm weights, so any GPTQ loader runs them)");

  opts.force = force;
  opts.metadata = {{"format", "pt"},  // transformers' save_pretrained writes it; its loader checks
                   {"qforge.version", QFORGE_VERSION},
                   {"qforge.source", fs::path(m.checkpoint.path).filename().string()},
                   {"qforge.recipe", quant::RecipeToJson(source_recipe)}};
  for (const char* key : {"qforge.calibration.file", "qforge.calibration.sha256"})
    if (const auto it = q.checkpoint.metadata.find(key); it != q.checkpoint.metadata.end())
      opts.metadata[key] = it->second;
  opts.files = TokenizerFiles(model, m.checkpoint);
  if (opts.files.empty())
    Note(
        "quantize: no tokenizer file found beside {} (an embedded GGUF vocabulary is not "
        "written): add tokenizer.model to {} or pass --tokenizer when running it",
        m.checkpoint.path, output);
  io::ExportHfCheckpoint(q.checkpoint, output, opts);
  Note("quantize: wrote {}/ ({}, {} recipe, {} of weights, {:.2f} bits/weight)", output, format,
       recipe.name, HumanBytes(q.checkpoint.WeightBytes()),
       8.0 * double(q.checkpoint.WeightBytes()) / double(q.checkpoint.ParameterCount()));
}

}  // namespace qforge::cli
