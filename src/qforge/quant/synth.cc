// Synthetic models: the shapes table, the counter-based noise, and the streamed GGUF write.
#include "qforge/quant/synth.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "qforge/core/error.h"
#include "qforge/core/progress.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/io/gguf_writer.h"

namespace qforge::quant {
namespace {

// Dimensions from each model's published config.json (hidden_size, intermediate_size,
// num_hidden_layers, num_attention_heads, num_key_value_heads, max_position_embeddings,
// rope_theta, tie_word_embeddings); the test bed's from ../shared/models/testbed/hf/config.json.
const std::vector<SynthShape> kShapes = {
    {"llama-1b", "TinyLlama-1.1B", 2048, 5632, 22, 32, 4, 2048, 10000.0f, false},
    {"llama-3b", "Llama-3.2-3B dims", 3072, 8192, 28, 24, 8, 4096, 500000.0f, true},
    {"llama-7b", "Llama-2-7B", 4096, 11008, 32, 32, 32, 4096, 10000.0f, false},
    {"testbed", "qforge test bed dims", 256, 768, 4, 8, 4, 256, 10000.0f, true},
};

// sigma = gain / sqrt(fan_in) per matrix kind. The gains are the standard deviation of the
// trained test-bed model's matrices (../shared/models/testbed/testbed.bin, dim 256, hidden 768)
// divided by 1/sqrt(fan_in): wq 0.0379, wk 0.0371 (x16 = 0.60), wv 0.0278, wo 0.0296 (0.45),
// w1/w3 0.0359/0.0353 (0.57), w2 0.0349 (x27.7 = 0.97). Trained matrices keep each product's
// output near unit scale, so the same gains carry over to larger shapes as 1/sqrt(fan_in).
struct Gain {
  std::string_view suffix;
  float gain;
};
constexpr Gain kGains[] = {
    {".attn_q.weight", 0.60f},      {".attn_k.weight", 0.60f},   {".attn_v.weight", 0.45f},
    {".attn_output.weight", 0.45f}, {".ffn_gate.weight", 0.57f}, {".ffn_up.weight", 0.57f},
    {".ffn_down.weight", 0.97f},
};
// Embeddings: Hugging Face LlamaConfig's initializer_range (0.02), the scale Llama checkpoints'
// embedding rows keep. The untied classifier: 1/sqrt(dim), a unit-scale product like the others.
// RMSNorm weights: 1.0, their initial value (the trained test bed's are 0.94 to 1.24 on average).
constexpr float kEmbeddingSigma = 0.02f;
constexpr float kNormValue = 1.0f;

// SplitMix64's finalizer: a bijective 64-bit mix (Steele, Lea, Flood 2014).
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) h = (h ^ uint8_t(c)) * 0x100000001b3ULL;
  return h;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The tensors of a Llama model of `c` in llama.cpp's order, as views without data (the recipe
// planner only needs names, shapes and the source type).
Checkpoint SkeletonCheckpoint(const ModelConfig& c) {
  Checkpoint ckpt;
  ckpt.path = "(synth)";
  ckpt.format = "synth";
  ckpt.config = c;
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    ckpt.tensors.push_back(TensorView{std::move(name), QType::kF32, std::move(shape), nullptr, 0});
  };
  add(std::string(kTokenEmbeddingName), {c.vocab_size, c.dim});
  for (int l = 0; l < c.n_layers; ++l) {
    add(LayerTensorName(l, "attn_norm"), {c.dim});
    add(LayerTensorName(l, "attn_q"), {c.dim, c.dim});
    add(LayerTensorName(l, "attn_k"), {c.kv_dim(), c.dim});
    add(LayerTensorName(l, "attn_v"), {c.kv_dim(), c.dim});
    add(LayerTensorName(l, "attn_output"), {c.dim, c.dim});
    add(LayerTensorName(l, "ffn_norm"), {c.dim});
    add(LayerTensorName(l, "ffn_gate"), {c.hidden_dim, c.dim});
    add(LayerTensorName(l, "ffn_down"), {c.dim, c.hidden_dim});
    add(LayerTensorName(l, "ffn_up"), {c.hidden_dim, c.dim});
  }
  add(std::string(kOutputNormName), {c.dim});
  if (!c.tied_embeddings) add(std::string(kOutputName), {c.vocab_size, c.dim});
  return ckpt;
}

void CheckWritable(const TensorChoice& choice, const std::string& recipe) {
  const QTypeTraits& t = Traits(choice.type);
  if (t.ggml_type < 0 || t.quantize_row == nullptr || QuantizesPerTensor(choice.type))
    Fail(ErrorKind::kInvalidInput,
         "recipe {}: tensor {} gets {}, which synth cannot write into a GGUF file (only ggml "
         "types quantized row by row: F32, F16, BF16, Q8_0, Q4_0, ..., Q6_K, IQ4_NL)",
         recipe, choice.name, t.name);
}

// Rows per parallel chunk: about 4 MB of floats, so memory stays small whatever the shape.
int64_t ChunkRows(int64_t cols, int threads) {
  const int64_t rows = std::max<int64_t>(1, (int64_t(1) << 20) / cols);
  return std::max<int64_t>(rows, threads);
}

}  // namespace

const std::vector<SynthShape>& SynthShapes() { return kShapes; }

const SynthShape& FindSynthShape(std::string_view name) {
  std::string known;
  for (const SynthShape& s : kShapes) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + std::string(s.name);
  }
  Fail(ErrorKind::kInvalidInput, "unknown shape '{}' (known: {})", name, known);
}

ModelConfig SynthConfig(const SynthShape& s, int vocab_size) {
  ModelConfig c;
  c.dim = s.dim;
  c.hidden_dim = s.hidden_dim;
  c.n_layers = s.n_layers;
  c.n_heads = s.n_heads;
  c.n_kv_heads = s.n_kv_heads;
  c.vocab_size = vocab_size;
  c.max_seq_len = s.max_seq_len;
  c.norm_eps = 1e-5f;  // rms_norm_eps of all four configs
  c.rope_theta = s.rope_theta;
  c.tied_embeddings = s.tied_embeddings;
  return c;
}

SynthScale SynthScaleFor(std::string_view name, const ModelConfig& c) {
  if (EndsWith(name, "_norm.weight")) return {true, kNormValue};
  if (name == kTokenEmbeddingName) return {false, kEmbeddingSigma};
  if (name == kOutputName) return {false, 1.0f / std::sqrt(float(c.dim))};
  for (const Gain& g : kGains)
    if (EndsWith(name, g.suffix)) {
      const int fan_in = g.suffix == ".ffn_down.weight" ? c.hidden_dim : c.dim;
      return {false, g.gain / std::sqrt(float(fan_in))};
    }
  Fail(ErrorKind::kInternal, "synth: no scale for tensor '{}'", name);
}

void SynthRow(uint64_t seed, std::string_view tensor_name, int64_t row, const SynthScale& scale,
              float* out, int64_t cols) {
  if (scale.is_norm) {
    std::fill(out, out + cols, scale.value);
    return;
  }
  // The row's key; element pair j takes Mix(key + j * golden ratio), a counter-based stream.
  const uint64_t key = Mix(Mix(seed) ^ Mix(Fnv1a(tensor_name)) ^ Mix(uint64_t(row) + 1));
  constexpr float kTwoPi = 2.0f * std::numbers::pi_v<float>;
  constexpr float k2To32 = 1.0f / 4294967296.0f;
  for (int64_t j = 0; j < cols; j += 2) {
    const uint64_t bits = Mix(key + uint64_t(j / 2 + 1) * 0x9e3779b97f4a7c15ULL);
    // Box-Muller: u1 in (0, 1] so the log is finite, u2 in [0, 1).
    const float u1 = (float(uint32_t(bits >> 32)) + 1.0f) * k2To32;
    const float u2 = float(uint32_t(bits)) * k2To32;
    const float r = scale.value * std::sqrt(-2.0f * std::log(u1));
    out[j] = r * std::cos(kTwoPi * u2);
    if (j + 1 < cols) out[j + 1] = r * std::sin(kTwoPi * u2);
  }
}

void WriteSynthGguf(const ModelConfig& config, const Vocab& vocab, const std::string& out_path,
                    const SynthOptions& options, ThreadPool& pool) {
  if (int(vocab.tokens.size()) != config.vocab_size)
    Fail(ErrorKind::kInvalidInput, "synth: the vocabulary has {} tokens, the shape needs {}",
         vocab.tokens.size(), config.vocab_size);
  const Recipe recipe = LoadRecipe(options.recipe);
  Checkpoint skeleton = SkeletonCheckpoint(config);
  const std::vector<TensorChoice> plan = PlanRecipe(recipe, skeleton);
  int64_t total_rows = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    const QType type = plan[i].quantized ? plan[i].type : QType::kF32;
    CheckWritable(plan[i], recipe.name);
    skeleton.tensors[i].type = type;  // the writer's metadata reads the planned types
    total_rows += skeleton.tensors[i].Rows();
  }

  io::GgufWriter w;
  io::GgufWriteOptions meta;
  meta.matrix_type = std::nullopt;
  meta.file_type = recipe.gguf_file_type;
  meta.name = "qforge-synth-" + options.shape_name;
  meta.extra_kvs = {{"qforge.synth.shape", options.shape_name},
                    {"qforge.synth.seed", std::to_string(options.seed)},
                    {"qforge.recipe", recipe.name}};
  io::AddLlamaMetadata(w, skeleton, vocab, meta);

  auto progress = std::make_shared<Progress>("synth", total_rows, "rows");
  auto done = std::make_shared<int64_t>(0);
  for (const TensorView& t : skeleton.tensors) {
    const SynthScale scale = SynthScaleFor(t.name, config);
    auto produce = [&pool, &options, t, scale, progress,
                    done](const io::GgufWriter::ByteSink& sink) {
      const int64_t cols = t.Cols(), rows = t.Rows();
      const size_t stride = RowBytes(t.type, cols);
      const int64_t chunk = ChunkRows(cols, pool.size());
      std::vector<std::byte> bytes(stride * size_t(std::min(chunk, rows)));
      for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t n = std::min(chunk, rows - r0);
        pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
          std::vector<float> row(size_t(cols) + 1);
          for (int64_t i = begin; i < end; ++i) {
            SynthRow(options.seed, t.name, r0 + i, scale, row.data(), cols);
            Traits(t.type).quantize_row(row.data(), bytes.data() + stride * size_t(i), cols);
          }
        });
        sink({bytes.data(), stride * size_t(n)});
        *done += n;
        progress->Update(*done);
      }
    };
    w.AddTensor(t.name, t.type, t.shape, std::move(produce));
  }
  w.Write(out_path);
  progress->Finish();
}

}  // namespace qforge::quant
