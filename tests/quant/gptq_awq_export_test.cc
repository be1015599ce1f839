// GPTQ / AWQ export -> import round trips of the test-bed model: quantized in memory by
// quant::QuantizeCheckpoint with a preset or JSON recipe, exported (io/hf_export.h), read back
// (io/hf_checkpoint.h); every tensor must come back with its type and every dequantized row
// identical. (Here rather than tests/io: only the quant test binary links the quantizer.)
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "qforge/io/hf_checkpoint.h"
#include "qforge/io/hf_export.h"
#include "qforge/quant/quantize_model.h"
#include "qforge/quant/recipe.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {

class GptqAwqExport : public test::TempDirTest {
 protected:
  // Quantizes the test-bed model by `recipe`, exports it in `format`, reads it back and compares.
  Checkpoint RoundTrip(const quant::Recipe& recipe, io::HfQuantFormat format) {
    const Checkpoint src = io::LoadHfCheckpoint(test::Shared("models/testbed/hf"));
    ThreadPool pool(2);
    quant::QuantizeOptions qopts;
    qopts.measure_error = false;
    const quant::QuantizedModel q = quant::QuantizeCheckpoint(src, recipe, pool, qopts);
    io::HfExportOptions opts;
    opts.format = format;
    const std::string dir = Path("out");
    io::ExportHfCheckpoint(q.checkpoint, dir, opts);
    Checkpoint back = io::LoadHfCheckpoint(dir);
    EXPECT_EQ(back.tensors.size(), q.checkpoint.tensors.size());
    for (const TensorView& t : q.checkpoint.tensors) {
      const TensorView& b = back.Get(t.name);
      EXPECT_EQ(b.type, t.type) << t.name;
      EXPECT_EQ(b.shape, t.shape) << t.name;
      if (b.type != t.type || b.shape != t.shape) continue;
      std::vector<float> x(size_t(t.Cols())), y(size_t(t.Cols()));
      int64_t differing = 0;
      for (int64_t r = 0; r < t.Rows(); ++r) {
        Traits(t.type).dequantize_row(t.Row(r), x.data(), t.Cols());
        Traits(b.type).dequantize_row(b.Row(r), y.data(), b.Cols());
        differing += std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0;
      }
      EXPECT_EQ(differing, 0) << t.name << ": rows whose dequantized values differ";
    }
    return back;
  }

  nlohmann::json Json(const std::string& file) {
    return nlohmann::json::parse(std::ifstream(Path("out/" + file)));
  }
};

TEST_F(GptqAwqExport, GptqInt4G128) {
  const Checkpoint back = RoundTrip(quant::LoadRecipe("int4-g128"), io::HfQuantFormat::kGptq);
  EXPECT_EQ(back.Get("blk.0.attn_q.weight").type, QType::kINT4_G128);
  const nlohmann::json q = Json("config.json")["quantization_config"];
  EXPECT_EQ(q["quant_method"], "gptq");
  EXPECT_EQ(q["bits"], 4);
  EXPECT_EQ(q["group_size"], 128);
  EXPECT_EQ(q["sym"], true);
  EXPECT_EQ(q["desc_act"], false);
  EXPECT_EQ(q["checkpoint_format"], "gptq");
  const nlohmann::json qc = Json("quantize_config.json");
  EXPECT_EQ(qc["damp_percent"], 0.01);
  EXPECT_EQ(qc["true_sequential"], true);
  EXPECT_EQ(qc["static_groups"], false);
  EXPECT_EQ(qc["model_file_base_name"], "model");
}

TEST_F(GptqAwqExport, GptqInt4G128Asymmetric) {
  const Checkpoint back = RoundTrip(quant::LoadRecipe("int4-g128-asym"), io::HfQuantFormat::kGptq);
  EXPECT_EQ(back.Get("blk.3.ffn_down.weight").type, QType::kINT4_G128_Z);
  EXPECT_EQ(Json("config.json")["quantization_config"]["sym"], false);
}

TEST_F(GptqAwqExport, GptqInt4G32) {
  RoundTrip(quant::LoadRecipe("int4-g32"), io::HfQuantFormat::kGptq);
  EXPECT_EQ(Json("config.json")["quantization_config"]["group_size"], 32);
}

// A JSON recipe: 3-bit groups of 64 (GPTQ's straddling 3-bit packing on real weights).
TEST_F(GptqAwqExport, GptqInt3G64FromJsonRecipe) {
  const quant::Recipe r = quant::RecipeFromJson(
      R"({"name": "int3-g64", "default": "INT3_G64_Z", "rules": [
          {"match": "token_embd.weight", "type": "F16"}, {"match": "output.weight", "type": "F16"}]})",
      "test");
  RoundTrip(r, io::HfQuantFormat::kGptq);
  EXPECT_EQ(Json("config.json")["quantization_config"]["bits"], 3);
}

TEST_F(GptqAwqExport, AwqInt4G128Asymmetric) {
  const Checkpoint back = RoundTrip(quant::LoadRecipe("int4-g128-asym"), io::HfQuantFormat::kAwq);
  EXPECT_EQ(back.Get("blk.1.attn_v.weight").type, QType::kINT4_G128_Z);
  const nlohmann::json q = Json("config.json")["quantization_config"];
  EXPECT_EQ(q["quant_method"], "awq");
  EXPECT_EQ(q["bits"], 4);
  EXPECT_EQ(q["group_size"], 128);
  EXPECT_EQ(q["zero_point"], true);
  EXPECT_EQ(q["version"], "gemm");
  EXPECT_FALSE(std::filesystem::exists(Path("out/quantize_config.json")));
}

TEST_F(GptqAwqExport, AwqSymmetricReadsBackSymmetric) {
  const Checkpoint back = RoundTrip(quant::LoadRecipe("int4-g128"), io::HfQuantFormat::kAwq);
  EXPECT_EQ(back.Get("blk.2.ffn_gate.weight").type, QType::kINT4_G128);
}

}  // namespace
}  // namespace qforge
