// qforge synth: a random-weight GGUF model of a real Llama shape, for speed tests.
#include "qforge/quant/synth.h"

#include <filesystem>

#include "qforge/cli/common.h"
#include "qforge/core/error.h"
#include "qforge/core/thread_pool.h"
#include "qforge/tokenizer/load.h"

namespace qforge::cli {
namespace {
namespace fs = std::filesystem;

struct SynthFlags {
  std::string shape;
  std::string output;
  std::string recipe = "f16";
  std::string tokenizer;  // empty: the Llama 2 tokenizer in ../shared/models/llama2-tokenizer
  uint64_t seed = 0;
  int threads = 0;
  bool force = false;
};

// The Llama 2 tokenizer.model beside the project (../shared/models/llama2-tokenizer), looked up
// from the working directory and from the source tree.
std::string DefaultTokenizer() {
  const fs::path rel = fs::path("shared") / "models" / "llama2-tokenizer" / "tokenizer.model";
  std::vector<fs::path> candidates = {fs::current_path() / rel, fs::current_path() / ".." / rel};
#ifdef QFORGE_SOURCE_DIR
  candidates.push_back(fs::path(QFORGE_SOURCE_DIR) / ".." / rel);
#endif
  std::error_code ec;
  for (const fs::path& c : candidates)
    if (fs::exists(c, ec)) return c.lexically_normal().string();
  Fail(ErrorKind::kInvalidInput, "the Llama 2 tokenizer ({}) was not found; pass --tokenizer",
       rel.string());
}

void Run(const SynthFlags& flags) {
  const quant::SynthShape& shape = quant::FindSynthShape(flags.shape);
  std::error_code ec;
  if (fs::exists(flags.output, ec) && !flags.force)
    Fail(ErrorKind::kInvalidInput, "{} exists; pass --force to overwrite it", flags.output);
  const std::string tok_path = flags.tokenizer.empty() ? DefaultTokenizer() : flags.tokenizer;
  const Vocab vocab = tokenizer::LoadTokenizer(tok_path)->ToVocab();
  const ModelConfig config = quant::SynthConfig(shape, int(vocab.tokens.size()));
  ThreadPool pool(flags.threads);
  quant::SynthOptions options;
  options.seed = flags.seed;
  options.recipe = flags.recipe;
  options.shape_name = std::string(shape.name);
  quant::WriteSynthGguf(config, vocab, flags.output, options, pool);
  Note("synth: wrote {} ({}: dim {}, {} layers, vocab {}; recipe {}, seed {}, {})", flags.output,
       shape.source, config.dim, config.n_layers, config.vocab_size, flags.recipe, flags.seed,
       HumanBytes(fs::file_size(flags.output)));
}

}  // namespace

void RegisterSynth(CLI::App& app) {
  auto flags = std::make_shared<SynthFlags>();
  CLI::App* verb = app.add_subcommand(
      "synth", "Write a random-weight GGUF model of a real Llama shape (for speed tests)");
  std::string shapes;
  for (const quant::SynthShape& s : quant::SynthShapes())
    shapes += fmt::format("{}{} ({})", shapes.empty() ? "" : ", ", s.name, s.source);
  verb->add_option("--shape", flags->shape, "Shape: " + shapes)->required();
  verb->add_option("-o,--output", flags->output, "Output .gguf file (written atomically)")
      ->required();
  verb->add_option("-r,--recipe", flags->recipe,
                   "Preset or JSON recipe giving each tensor's type (ggml types only)")
      ->capture_default_str();
  verb->add_option("--seed", flags->seed, "Random seed (same seed, same bytes)")
      ->capture_default_str();
  verb->add_option("--tokenizer", flags->tokenizer,
                   "SentencePiece tokenizer.model to embed (default: the Llama 2 tokenizer in "
                   "../shared/models/llama2-tokenizer)");
  verb->add_option("-t,--threads", flags->threads, "Threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  verb->add_flag("--force", flags->force, "Overwrite an existing output file");
  verb->callback([flags] { Run(*flags); });
}

}  // namespace qforge::cli
