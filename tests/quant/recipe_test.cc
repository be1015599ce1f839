// Recipes: glob and layer rules, JSON files, and the llama.cpp mixes checked against the tensor
// types llama-quantize chose in its own files for the test-bed model.
#include "qforge/quant/recipe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "qforge/core/error.h"
#include "qforge/io/load_checkpoint.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::quant {
namespace {

TEST(Recipe, GlobMatch) {
  EXPECT_TRUE(GlobMatch("blk.*.attn_v.weight", "blk.12.attn_v.weight"));
  EXPECT_TRUE(GlobMatch("*", "output.weight"));
  EXPECT_TRUE(GlobMatch("blk.*.ffn_*", "blk.0.ffn_down.weight"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYbZc"));
  EXPECT_FALSE(GlobMatch("blk.*.attn_v.weight", "blk.1.attn_k.weight"));
  EXPECT_FALSE(GlobMatch("output.weight", "output_norm.weight"));
  EXPECT_FALSE(GlobMatch("a*b", "acbX"));
}

TEST(Recipe, UseMoreBitsMatchesLlamaCpp) {
  // llama.cpp's use_more_bits for 32 layers: 0-3, 28-31, and i = 6, 9, ..., 27 (every third
  // from n/8 + 2). Worked out from i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2.
  std::vector<int> chosen;
  for (int i = 0; i < 32; ++i)
    if (UseMoreBits(i, 32)) chosen.push_back(i);
  EXPECT_EQ(chosen, (std::vector<int>{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31}));
  // 4 layers (the test bed): n/8 = 0 and 7n/8 = 3, so layers 2 and 3.
  chosen.clear();
  for (int i = 0; i < 4; ++i)
    if (UseMoreBits(i, 4)) chosen.push_back(i);
  EXPECT_EQ(chosen, (std::vector<int>{2, 3}));
}

TEST(Recipe, LayerIndex) {
  EXPECT_EQ(LayerIndex("blk.7.attn_q.weight"), 7);
  EXPECT_EQ(LayerIndex("blk.x.attn_q.weight"), std::nullopt);
  EXPECT_EQ(LayerIndex("output.weight"), std::nullopt);
  EXPECT_EQ(LayerIndex("blk.3"), std::nullopt);
}

TEST(Recipe, NormsStayAndRowsFallBack) {
  // stories260K: hidden 172 is not a multiple of 32, so ffn_down (rows of 172) cannot be Q8_0.
  const Checkpoint ckpt = io::LoadCheckpoint(test::Source("models/stories260K/stories260K.bin"));
  const std::vector<TensorChoice> plan = PlanRecipe(LoadRecipe("Q8_0"), ckpt);
  for (const TensorChoice& c : plan) {
    const TensorView& t = ckpt.Get(c.name);
    if (t.shape.size() == 1) {
      EXPECT_FALSE(c.quantized) << c.name;
    } else if (t.Cols() % 32 != 0) {
      EXPECT_EQ(c.type, QType::kF16) << c.name << " " << c.reason;
      EXPECT_NE(c.reason.find("fallback Q8_0 -> F16"), std::string::npos) << c.reason;
    } else {
      EXPECT_EQ(c.type, QType::kQ8_0) << c.name;
    }
  }
}

TEST(Recipe, UnknownPresetOrTypeIsAClearError) {
  try {
    LoadRecipe("Q9_Z");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("neither a preset"), std::string::npos) << e.what();
  }
  EXPECT_THROW(RecipeFromJson(R"({"default": "Q9_Z"})", "r.json"), Error);
  EXPECT_THROW(RecipeFromJson(R"({"rules": [{"match": "*"}]})", "r.json"), Error);
  EXPECT_THROW(RecipeFromJson(R"({"rules": [{"match": "*", "type": "F16", "x": 1}]})", "r.json"),
               Error);
  EXPECT_THROW(RecipeFromJson(R"({"rules": [{"match": "*", "type": "F16", "layers": "first/0"}]})",
                              "r.json"),
               Error);
  EXPECT_THROW(RecipeFromJson("[1, 2", "r.json"), Error);
  EXPECT_THROW(RecipeFromJson(R"({"base": "nope"})", "r.json"), Error);
}

class RecipeFile : public test::TempDirTest {};

TEST_F(RecipeFile, JsonMixAndRoundTrip) {
  const std::string path = Path("mix.json");
  std::ofstream(path) << R"({"name": "mix", "default": "Q8_0",
    "rules": [{"match": "token_embd.weight", "type": "F16"},
              {"match": "blk.*.ffn_*", "type": "Q4_0", "layers": "below/2"}]})";
  const Recipe r = LoadRecipe(path);
  EXPECT_EQ(r.name, "mix");
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[1].layers, LayerSelect::kBelow);
  EXPECT_EQ(r.rules[1].layer_arg, 2);
  const Recipe again = RecipeFromJson(RecipeToJson(r), "again");
  EXPECT_EQ(RecipeToJson(again), RecipeToJson(r));

  const Checkpoint ckpt = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  std::map<std::string, QType> types;
  for (const TensorChoice& c : PlanRecipe(r, ckpt)) types[c.name] = c.type;
  EXPECT_EQ(types["token_embd.weight"], QType::kF16);
  EXPECT_EQ(types["blk.1.ffn_up.weight"], QType::kQ4_0);
  EXPECT_EQ(types["blk.2.ffn_up.weight"], QType::kQ8_0);
  EXPECT_EQ(types["blk.2.attn_q.weight"], QType::kQ8_0);
  EXPECT_EQ(types["blk.0.attn_norm.weight"], QType::kF32);
}

TEST_F(RecipeFile, BaseExtendsAPreset) {
  const Recipe r = RecipeFromJson(
      R"({"base": "Q4_K_M", "rules": [{"match": "blk.0.*", "type": "Q8_0"}]})", "x.json");
  EXPECT_EQ(r.default_type, "Q4_K");
  EXPECT_EQ(r.rules.front().pattern, "blk.0.*");  // the file's rules come first
  EXPECT_GT(r.rules.size(), 1u);
  EXPECT_EQ(r.gguf_file_type, -1);  // no longer exactly llama.cpp's Q4_K_M
}

// For every llama.cpp file of the test bed, the preset of the same name chooses the same type for
// every tensor as llama-quantize did.
TEST(Recipe, LlamaCppMixesChooseLlamaCppTypes) {
  const Checkpoint f32 = io::LoadCheckpoint(test::Shared("reference/testbed/llamacpp/F32.gguf"));
  for (const char* mix : {"Q8_0", "Q6_K", "Q5_K_M", "Q5_0", "Q4_K_M", "Q4_K_S", "Q4_0", "Q4_1",
                          "Q3_K_M", "Q2_K", "IQ4_NL"}) {
    SCOPED_TRACE(mix);
    const Checkpoint theirs = io::LoadCheckpoint(
        test::Shared(std::string("reference/testbed/llamacpp/") + mix + ".gguf"));
    const std::vector<TensorChoice> plan = PlanRecipe(LoadRecipe(mix), f32);
    ASSERT_EQ(plan.size(), theirs.tensors.size());
    for (const TensorChoice& c : plan)
      EXPECT_EQ(Traits(c.type).name, Traits(theirs.Get(c.name).type).name)
          << c.name << ": " << c.reason;
  }
}

}  // namespace
}  // namespace qforge::quant
