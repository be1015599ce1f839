// Recipes: which storage type each tensor of a model gets (DESIGN.md "A recipe is ...").
//
// A recipe is data, not code (STYLE.md avoid #2): an ordered list of rules matched against GGUF
// tensor names, the first match wins, plus the type for 2-D weights that no rule names. The
// llama.cpp mixes (Q4_K_M, ...) are recipes too: their "more bits for some layers" policies are
// layer selectors on rules. 1-D tensors (norms, biases) are never quantized, and a type whose
// block does not divide a tensor's rows falls back along a fixed chain (as llama-quantize does:
// Q4_K -> Q5_0, ...), ending at F16.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/qtype.h"

namespace qforge::quant {

// Which layers of a per-layer tensor a rule applies to, given the layer index i and count n.
enum class LayerSelect {
  kAll,
  kMoreBits,  // llama.cpp's use_more_bits: i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2
  kFraction,  // i < n / arg  (first eighth: arg 8; first sixteenth: arg 16)
  kBelow,     // i < arg
};

struct Rule {
  // Glob over tensor names ('*' matches any run of characters), or "@output": the classifier,
  // which is output.weight or, when the model ties it to the embedding, token_embd.weight.
  std::string pattern;
  std::string type;  // a QType name ("Q4_K", "INT8", ...) or "keep" (leave as stored)
  LayerSelect layers = LayerSelect::kAll;
  int layer_arg = 0;
  int min_gqa = 0;       // applies only when n_heads / n_kv_heads >= min_gqa
  std::string fallback;  // type when `type`'s block does not divide the row; empty: the chain
};

// The calibrated method that prepares the weights before the storage types' rounding
// (quant/gptq.h, awq.h, smoothquant.h; calib/calibrated_quantize.h runs them layer by layer).
enum class Method { kRtn, kGptq, kAwq, kSmoothQuant };

struct MethodConfig {
  Method method = Method::kRtn;
  // GPTQ (quantize_config.json's names)
  double damp_percent = 0.01;
  int block_size = 128;
  bool desc_act = false;  // act-order
  bool static_groups = false;
  bool true_sequential = true;  // q/k/v, then o, then gate/up, then down, each on updated inputs
  // AWQ
  int awq_grid = 20;
  bool awq_clip = true;
  // SmoothQuant
  double alpha = 0.5;
  // Calibration size: sequences and tokens per sequence; 0 = the method's default (calib/).
  int samples = 0;
  int tokens = 0;
};

std::string_view MethodName(Method method);  // "rtn", "gptq", "awq", "smoothquant"

struct Recipe {
  std::string name;
  std::string description;
  std::string default_type;  // for 2-D weights no rule matches
  std::vector<Rule> rules;   // first match wins
  int gguf_file_type = -1;   // llama.cpp's LLAMA_FTYPE for general.file_type; -1: from the types
  std::string measured;      // presets: a one-line measured cost (quality on the test-bed model)
  MethodConfig method;       // rtn unless the recipe names a calibrated method
};

// The type one tensor gets, and why (the rule, or the fallback that changed it).
struct TensorChoice {
  std::string name;
  QType source = QType::kF32;
  QType type = QType::kF32;
  bool quantized = false;  // false: 1-D or left as stored
  std::string reason;      // e.g. "rule blk.*.attn_v.weight", "fallback Q4_K -> Q5_0 (row 172)"
};

// The built-in presets (quant/presets.cc), in the order `qforge quantize --help` lists them.
const std::vector<Recipe>& Presets();

// A preset by name (case-insensitive), or else a JSON recipe file (quant/recipe_json.cc):
//   {"name": "mlp-int4", "base": "f16", "default": "INT8",
//    "rules": [{"match": "blk.*.ffn_*", "type": "INT4_G128"},
//              {"match": "blk.*.attn_v.weight", "type": "Q6_K", "layers": "more_bits"}]}
// "base" starts from a preset (its rules come after the file's); "layers" is "all", "more_bits",
// "first/8" (i < n/8), or "below/2" (i < 2). Throws Error{kInvalidInput} naming the problem.
Recipe LoadRecipe(const std::string& name_or_path);
Recipe RecipeFromJson(std::string_view json_text, const std::string& source);
std::string RecipeToJson(const Recipe& recipe);  // compact; recorded in quantized files

// One choice per tensor of `ckpt`, in its order. Throws Error{kInvalidInput} for an unknown type
// name in the recipe.
std::vector<TensorChoice> PlanRecipe(const Recipe& recipe, const Checkpoint& ckpt);

// True when the glob `pattern` ('*' = any run) matches all of `name`.
bool GlobMatch(std::string_view pattern, std::string_view name);

// llama.cpp's use_more_bits(i, n).
bool UseMoreBits(int i, int n);

// The layer index in "blk.<i>.…", or nullopt.
std::optional<int> LayerIndex(std::string_view tensor_name);

// The next type to try when `type`'s block does not divide a row, or nullopt at the end of the
// chain (F16/F32/BF16 always fit).
std::optional<QType> FallbackType(QType type);

}  // namespace qforge::quant
