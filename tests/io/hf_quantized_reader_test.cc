// Reading GPTQ / AWQ directories (hf_quantized_reader.h): quantization_config parsing, act-order
// weights dequantized to F32 with a note, and bad input named. The directories are built here from
// packed tensors (gptq_layout.h, whose packing gptq_layout_test.cc checks by hand).
#include "qforge/io/hf_quantized_reader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "qforge/core/error.h"
#include "qforge/core/half.h"
#include "qforge/io/gptq_layout.h"
#include "qforge/io/hf_checkpoint.h"
#include "qforge/io/safetensors_writer.h"
#include "support/temp_dir.h"

namespace qforge::io {
namespace {

class HfQuantizedReader : public test::TempDirTest {
 protected:
  // A one-layer, dim-64 model directory whose only tensors are a GPTQ q_proj (4-bit, group 32)
  // with the given g_idx, plus the norms and embeddings the reader needs.
  std::string GptqDir(const std::vector<int32_t>& g_idx, const std::string& qconfig) {
    IntWeights w;
    w.bits = 4;
    w.out = w.in = 64;
    w.group = 32;
    w.codes.resize(64 * 64);
    for (size_t k = 0; k < w.codes.size(); ++k) w.codes[k] = uint8_t(k % 16);
    w.zeros.assign(128, 8);
    w.scales.assign(128, F32ToF16(0.125f));
    GptqWeight g = PackGptq(w, "q");
    g.g_idx = g_idx;
    const std::vector<float> embd(4 * 64, 0.5f), norm(64, 1.0f);
    auto bytes = [](const auto& v) { return std::as_bytes(std::span(v)); };
    const std::string p = "model.layers.0.self_attn.q_proj.";
    std::vector<StTensor> t = {{p + "qweight", StDtype::kI32, {8, 64}, bytes(g.qweight)},
                               {p + "qzeros", StDtype::kI32, {2, 8}, bytes(g.qzeros)},
                               {p + "scales", StDtype::kF16, {2, 64}, bytes(g.scales)},
                               {p + "g_idx", StDtype::kI32, {64}, bytes(g.g_idx)},
                               {"model.embed_tokens.weight", StDtype::kF32, {4, 64}, bytes(embd)},
                               {"model.norm.weight", StDtype::kF32, {64}, bytes(norm)}};
    const std::string dir = Path("m");
    std::filesystem::create_directories(dir);
    WriteSafetensors(dir + "/model.safetensors", t, {});
    std::ofstream(dir + "/config.json")
        << R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 64,
              "num_hidden_layers": 1, "num_attention_heads": 1, "vocab_size": 4,
              "tie_word_embeddings": true, "quantization_config": )"
        << qconfig << "}";
    return dir;
  }
};

const char* kGptq = R"({"quant_method": "gptq", "bits": 4, "group_size": 32})";

std::vector<int32_t> Contiguous() {
  std::vector<int32_t> g(64);
  for (int i = 0; i < 64; ++i) g[size_t(i)] = i / 32;
  return g;
}

TEST_F(HfQuantizedReader, ContiguousGroupsReadAsIntType) {
  const Checkpoint c = LoadHfCheckpoint(GptqDir(Contiguous(), kGptq));
  EXPECT_EQ(c.Get("blk.0.attn_q.weight").type, QType::kINT4_G32);
  EXPECT_EQ(c.metadata.at("hf.quantization"), "gptq 4-bit, group size 32");
  EXPECT_FALSE(c.metadata.count("hf.quantization_note"));
}

TEST_F(HfQuantizedReader, ActOrderIsDequantizedExactlyWithANote) {
  std::vector<int32_t> g(64);
  for (int i = 0; i < 64; ++i) g[size_t(i)] = i % 2;
  const Checkpoint c = LoadHfCheckpoint(GptqDir(g, kGptq));
  const TensorView& t = c.Get("blk.0.attn_q.weight");
  ASSERT_EQ(t.type, QType::kF32);
  // Element (o, i) has code (o * 64 + i) % 16, zero 8, scale 1/8: (code - 8) / 8.
  const float* v = reinterpret_cast<const float*>(t.data);
  for (int k = 0; k < 64 * 64; ++k) EXPECT_EQ(v[k], float(k % 16 - 8) * 0.125f) << k;
  EXPECT_NE(c.metadata.at("hf.quantization_note").find("model.layers.0.self_attn.q_proj.weight"),
            std::string::npos);
}

TEST_F(HfQuantizedReader, BadInputIsNamed) {
  std::vector<int32_t> g = Contiguous();
  g[5] = 7;  // two groups only
  try {
    LoadHfCheckpoint(GptqDir(g, kGptq));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q_proj.g_idx'[5] = 7 is outside [0, 2)"),
              std::string::npos)
        << e.what();
  }
}

TEST(HfIntQuantConfig, ParsesMethodsAndRefusesUnknownLayouts) {
  const auto parse = [](const std::string& q) {
    return ParseHfIntQuantConfig(R"({"quantization_config": )" + q + "}", "c.json");
  };
  EXPECT_FALSE(parse(R"({"quant_method": "bitsandbytes"})"));
  EXPECT_FALSE(ParseHfIntQuantConfig("{}", "c.json"));
  const auto a =
      parse(R"({"quant_method": "awq", "w_bit": 4, "q_group_size": 64, "version": "GEMM"})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->method, "awq");
  EXPECT_EQ(a->group_size, 64);
  EXPECT_THROW(parse(R"({"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemv"})"),
               Error);
  EXPECT_THROW(parse(R"({"quant_method": "gptq", "bits": 4, "group_size": 128,
                         "checkpoint_format": "gptq_v2"})"),
               Error);
  EXPECT_THROW(parse(R"({"quant_method": "gptq", "group_size": 128})"), Error);  // no bits
  EXPECT_THROW(parse(R"({"quant_method": "gptq", "bits": "4", "group_size": 128})"), Error);
}

}  // namespace
}  // namespace qforge::io
