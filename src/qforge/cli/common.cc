// Shared flag handling and model/tokenizer loading for the verbs.
#include "qforge/cli/common.h"

#include <unistd.h>

#include <filesystem>

#include "qforge/core/error.h"
#include "qforge/core/thread_pool.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/kernels/matmul_int8_act.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/tokenizer/load.h"

namespace qforge::cli {
namespace fs = std::filesystem;

void AddModelFlags(CLI::App& verb, ModelFlags& flags, bool with_tokenizer) {
  verb.add_option(
      "model", flags.model,
      "Model: GGUF file, Hugging Face directory, or llama2.c .bin (default: bundled stories260K)");
  if (with_tokenizer)
    verb.add_option("--tokenizer", flags.tokenizer,
                    "Tokenizer file (.model, tokenizer.json, tokenizer.bin); default: embedded or "
                    "beside the model");
  verb.add_option("-t,--threads", flags.threads, "Threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
}

std::string DefaultModelPath() {
  const fs::path rel = fs::path("models") / "stories260K" / "stories260K.bin";
  std::vector<fs::path> candidates = {fs::current_path() / rel};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path())
      candidates.push_back(dir / rel);
#ifdef QFORGE_SOURCE_DIR
  candidates.push_back(fs::path(QFORGE_SOURCE_DIR) / rel);
#endif
  for (const fs::path& c : candidates)
    if (fs::exists(c, ec)) return c.string();
  Fail(ErrorKind::kInvalidInput,
       "no model given and the bundled {} was not found; name a model file", rel.string());
}

std::unique_ptr<tokenizer::Tokenizer> LoadTokenizerFor(const Checkpoint& ckpt,
                                                       const std::string& override_path) {
  const int vocab = ckpt.config.vocab_size;
  if (!override_path.empty()) return tokenizer::LoadTokenizer(override_path, vocab);
  if (ckpt.vocab) return tokenizer::TokenizerFromVocab(*ckpt.vocab);
  const std::string beside = tokenizer::FindTokenizerBeside(ckpt.path, vocab);
  if (beside.empty())
    Fail(ErrorKind::kInvalidInput,
         "{}: no tokenizer: the file embeds none and none was found beside it (tokenizer.model, "
         "tok{}.model, "
         "tokenizer.json, tokenizer.bin); pass --tokenizer",
         ckpt.path, vocab);
  return tokenizer::LoadTokenizer(beside, vocab);
}

void AddRecipeFlag(CLI::App& verb, ModelFlags& flags) {
  verb.add_option("-r,--recipe", flags.recipe,
                  "Quantize the model in memory by this preset or JSON recipe first (see qforge "
                  "quantize --help)");
  verb.add_option("--llm-int8-threshold", flags.llm_int8_threshold,
                  "LLM_INT8 weights: input columns with any |x| >= this multiply in f32 "
                  "(LLM.int8(); bitsandbytes' default 6, 0: none)")
      ->check(CLI::NonNegativeNumber);
  AddCalibFlags(verb, flags.calib);
}

LlmInt8Note::~LlmInt8Note() {
  const kernels::LlmInt8Counters c = kernels::GetLlmInt8Counters();
  if (c.columns > 0)
    Note("LLM.int8(): {} outlier columns of {} seen ({:.3f}%) at threshold {}", c.outlier_columns,
         c.columns, 100.0 * double(c.outlier_columns) / double(c.columns),
         kernels::LlmInt8Threshold());
}

namespace {
// Sets the threshold, and counts outliers from here on when the model has LLM_INT8 weights.
void WatchLlmInt8(const ModelFlags& flags, LoadedModel& loaded) {
  kernels::SetLlmInt8Threshold(flags.llm_int8_threshold);
  for (const TensorView& t : loaded.checkpoint.tensors)
    if (t.type == QType::kLLM_INT8) {
      kernels::ResetLlmInt8Counters();
      loaded.llm_int8_note = std::make_unique<LlmInt8Note>();
      return;
    }
}
}  // namespace

LoadedModel LoadModel(const ModelFlags& flags, bool need_tokenizer) {
  LoadedModel loaded;
  loaded.checkpoint = io::LoadCheckpoint(flags.model.empty() ? DefaultModelPath() : flags.model);
  if (!flags.recipe.empty()) {
    const quant::Recipe recipe = quant::LoadRecipe(flags.recipe);
    ThreadPool pool(flags.threads);
    std::unique_ptr<tokenizer::Tokenizer> tok;
    if (recipe.method.method != quant::Method::kRtn)
      tok = LoadTokenizerFor(loaded.checkpoint, flags.tokenizer);
    quant::QuantizedModel q = QuantizeByRecipe(loaded.checkpoint, recipe, tok.get(), flags.calib,
                                               pool, /*measure_error=*/false);
    Note("quantized in memory by recipe {}: {} of weights", recipe.name,
         HumanBytes(q.checkpoint.WeightBytes()));
    loaded.checkpoint = std::move(q.checkpoint);
  }
  WatchLlmInt8(flags, loaded);
  if (need_tokenizer) loaded.tokenizer = LoadTokenizerFor(loaded.checkpoint, flags.tokenizer);
  return loaded;
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) v /= 1000, ++u;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", v, units[u]);
}

std::string HumanCount(int64_t count) {
  if (count >= 1'000'000'000) return fmt::format("{:.2f}B", double(count) / 1e9);
  if (count >= 1'000'000) return fmt::format("{:.2f}M", double(count) / 1e6);
  if (count >= 1'000) return fmt::format("{:.1f}K", double(count) / 1e3);
  return fmt::format("{}", count);
}

}  // namespace qforge::cli
