// Recipe JSON files: parse arbitrary bytes as a recipe; a recipe that parses is planned against a
// small Llama-shaped checkpoint (shapes only) and must survive a JSON round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qforge/core/error.h"
#include "qforge/quant/recipe.h"

namespace {

qforge::Checkpoint ShapesOnly() {
  qforge::Checkpoint ckpt;
  ckpt.config.n_layers = 2;
  ckpt.config.n_heads = 4;
  ckpt.config.n_kv_heads = 2;
  const std::pair<std::string, std::vector<int64_t>> shapes[] = {
      {"token_embd.weight", {32, 256}},
      {"blk.0.attn_norm.weight", {256}},
      {"blk.0.attn_v.weight", {128, 256}},
      {"blk.1.attn_v.weight", {128, 256}},
      {"blk.0.ffn_down.weight", {256, 172}},
      {"blk.1.ffn_up.weight", {172, 256}},
      {"output.weight", {32, 96}}};
  for (const auto& [name, shape] : shapes) {
    qforge::TensorView t;
    t.name = name;
    t.shape = shape;
    ckpt.tensors.push_back(t);
  }
  return ckpt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const qforge::Checkpoint ckpt = ShapesOnly();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const qforge::quant::Recipe recipe = qforge::quant::RecipeFromJson(text, "fuzz.json");
    const std::string json = qforge::quant::RecipeToJson(recipe);
    if (qforge::quant::RecipeToJson(qforge::quant::RecipeFromJson(json, "again")) != json)
      __builtin_trap();  // the round trip must be exact
    qforge::quant::PlanRecipe(recipe, ckpt);
  } catch (const qforge::Error&) {
    // Rejected with a message: the expected outcome for most inputs.
  }
  return 0;
}
