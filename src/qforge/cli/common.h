// Flags and loading shared by the verbs: the model argument (default: the bundled stories260K),
// the tokenizer beside or inside it, the thread count.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "qforge/cli/calibrated.h"
#include "qforge/core/checkpoint.h"
#include "qforge/core/progress.h"
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::cli {

struct ModelFlags {
  std::string model;      // empty: the bundled default model
  std::string tokenizer;  // empty: embedded in the model file, or found beside it
  int threads = 0;        // 0: all cores
  std::string recipe;     // verbs that run the model: quantize it in memory first (--recipe)
  float llm_int8_threshold = 6.0f;  // LLM_INT8 weights: outlier threshold (--llm-int8-threshold)
  CalibFlags calib;       // with --recipe: calibration for gptq/awq/smoothquant recipes
};

// Adds MODEL (positional, optional), --tokenizer and --threads to a verb.
void AddModelFlags(CLI::App& verb, ModelFlags& flags, bool with_tokenizer = true);

// The bundled stories260K checkpoint, looked up beside the working directory and the binary.
std::string DefaultModelPath();

// Adds --recipe to a verb that runs the model: it then runs on the model quantized in memory by
// that preset or recipe file, without writing a file. Also --llm-int8-threshold.
void AddRecipeFlag(CLI::App& verb, ModelFlags& flags);

// Prints LLM.int8()'s outlier-column counts (kernels::GetLlmInt8Counters) when destroyed.
struct LlmInt8Note {
  ~LlmInt8Note();
};

struct LoadedModel {
  Checkpoint checkpoint;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  // Set when the model has LLM_INT8 weights, so the counts print when the verb is done.
  std::unique_ptr<LlmInt8Note> llm_int8_note;
};

// Loads the checkpoint (quantized in memory when flags.recipe is set) and its tokenizer; throws
// Error naming the file on any problem, including a missing tokenizer (with a hint to pass
// --tokenizer).
LoadedModel LoadModel(const ModelFlags& flags, bool need_tokenizer = true);
std::unique_ptr<tokenizer::Tokenizer> LoadTokenizerFor(const Checkpoint& ckpt,
                                                       const std::string& override_path);

// An informational line on stderr (timings, choices made); silenced by --quiet like progress.
template <typename... Args>
void Note(fmt::format_string<Args...> format, Args&&... args) {
  if (Progress::Enabled())
    fmt::print(stderr, "{}\n", fmt::format(format, std::forward<Args>(args)...));
}

std::string HumanBytes(uint64_t bytes);  // "1.06 MB"
std::string HumanCount(int64_t count);   // "260.1K"

void RegisterInspect(CLI::App& app);
void RegisterConvert(CLI::App& app);
void RegisterGenerate(CLI::App& app);
void RegisterPerplexity(CLI::App& app);
void RegisterQuantize(CLI::App& app);
void RegisterStats(CLI::App& app);
void RegisterEval(CLI::App& app);
void RegisterGate(CLI::App& app);
void RegisterReport(CLI::App& app);
void RegisterSuite(CLI::App& app);
void RegisterCalib(CLI::App& app);
void RegisterSynth(CLI::App& app);
void RegisterBench(CLI::App& app);
void RegisterRecommend(CLI::App& app);
void RegisterSensitivity(CLI::App& app);
void RegisterAuto(CLI::App& app);

// Thrown by a verb, after its output is written, to end with this exit code (gate: 1 on a
// regression); main() returns it.
struct ExitCode {
  int code;
};

}  // namespace qforge::cli
