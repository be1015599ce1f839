// Hugging Face exports (bitsandbytes NF4, vLLM FP8): packing checked against small tensors worked
// out by hand from the documented layouts (bnb_nf4_layout.h, fp8_layout.h), the q/k row order on a
// hand example, bit-for-bit export -> import round trips of the test-bed model, and bad input.
#include "qforge/io/hf_export.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "qforge/core/error.h"
#include "qforge/core/qblocks_native.h"
#include "qforge/io/hf_checkpoint.h"
#include "qforge/io/safetensors_file.h"
#include "qforge/io/safetensors_writer.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::io {
namespace {
namespace fs = std::filesystem;

class HfExportTest : public test::TempDirTest {};

HfExportOptions Opts(HfQuantFormat format, bool double_quant = false, bool force = false) {
  HfExportOptions o;
  o.format = format;
  o.nf4_double_quant = double_quant;
  o.force = force;
  return o;
}
HfExportOptions WithMetadata() {
  HfExportOptions o;
  o.metadata = {{"k", "v"}};
  return o;
}

// A checkpoint holding `tensors` with a config that ParseHfConfig accepts.
struct Model {
  Checkpoint ckpt;
  std::vector<std::shared_ptr<std::vector<std::byte>>> buffers;

  Model() {
    ckpt.path = "";
    ckpt.config.dim = 64;
    ckpt.config.hidden_dim = 64;
    ckpt.config.n_layers = 1;
    ckpt.config.n_heads = 1;
    ckpt.config.n_kv_heads = 1;
    ckpt.config.vocab_size = 4;
    ckpt.config.max_seq_len = 16;
    ckpt.config.rope_style = RopeStyle::kRotateHalf;
  }
  // Quantizes [rows, cols] floats to `type` with the core codec and adds the tensor.
  void Add(const std::string& name, QType type, const std::vector<float>& x, int64_t rows) {
    const int64_t cols = int64_t(x.size()) / rows;
    auto buf = std::make_shared<std::vector<std::byte>>(RowBytes(type, cols) * size_t(rows));
    if (type == QType::kF32)
      std::memcpy(buf->data(), x.data(), buf->size());
    else
      QuantizeTensor(type, x.data(), rows, cols, buf->data());
    buffers.push_back(buf);
    ckpt.tensors.push_back({name, type, {rows, cols}, buf->data(), buf->size()});
  }
};

std::map<std::string, StRawTensor> ReadAllTensors(const SafetensorsFile& st) {
  std::map<std::string, StRawTensor> out;
  for (const StRawTensor& t : st.others) out[t.name] = t;
  for (const TensorView& t : st.tensors)
    out[t.name] = {t.name, std::string(Traits(t.type).name), t.shape, {t.data, t.nbytes}};
  return out;
}

template <typename T>
std::vector<T> Values(const StRawTensor& t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

// A 2x64 weight whose codes are known: row 0 element i has NF4 code i % 16 (absmax 2), row 1 code
// 15 - i % 16 (absmax 0.5). Levels times a power of two are exact, so the quantizer must find
// exactly these codes; bnb's byte j is code(2j) << 4 | code(2j + 1) over the flattened weight.
TEST_F(HfExportTest, Nf4PackingMatchesBitsandbytesLayoutByHand) {
  Model m;
  std::vector<float> x(128);
  std::vector<uint8_t> codes(128);
  for (int i = 0; i < 64; ++i) {
    codes[i] = uint8_t(i % 16);
    codes[64 + i] = uint8_t(15 - i % 16);
    x[i] = kNF4Levels[codes[i]] * 2.0f;
    x[64 + i] = kNF4Levels[codes[64 + i]] * 0.5f;
  }
  m.Add("blk.0.ffn_up.weight", QType::kNF4, x, 2);
  const std::string dir = Path("out");
  ExportHfCheckpoint(m.ckpt, dir, WithMetadata());

  const SafetensorsFile st = ReadSafetensorsAllDtypes(dir + "/model.safetensors");
  const auto all = ReadAllTensors(st);
  const std::string p = "model.layers.0.mlp.up_proj.weight";
  const StRawTensor& w = all.at(p);
  EXPECT_EQ(w.dtype, "U8");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{64, 1}));
  const std::vector<uint8_t> bytes = Values<uint8_t>(w);
  for (int j = 0; j < 64; ++j)
    EXPECT_EQ(bytes[j], uint8_t(codes[2 * j] << 4 | codes[2 * j + 1])) << "byte " << j;
  EXPECT_EQ(Values<float>(all.at(p + ".absmax")), (std::vector<float>{2.0f, 0.5f}));
  EXPECT_EQ(all.at(p + ".absmax").dtype, "F32");
  EXPECT_EQ(Values<float>(all.at(p + ".quant_map")),
            std::vector<float>(kNF4Levels, kNF4Levels + 16));
  const StRawTensor& blob = all.at(p + ".quant_state.bitsandbytes__nf4");
  const auto state = nlohmann::json::parse(
      std::string(reinterpret_cast<const char*>(blob.bytes.data()), blob.bytes.size()));
  EXPECT_EQ(state, nlohmann::json::parse(
                       R"({"quant_type":"nf4","blocksize":64,"dtype":"float16","shape":[2,64]})"));
  EXPECT_EQ(all.count(p + ".nested_absmax"), 0u);
  EXPECT_EQ(st.metadata.at("k"), "v");

  const nlohmann::json config = ReadJson(dir + "/config.json");
  EXPECT_EQ(config["quantization_config"]["quant_method"], "bitsandbytes");
  EXPECT_EQ(config["quantization_config"]["bnb_4bit_quant_type"], "nf4");
  EXPECT_EQ(config["quantization_config"]["bnb_4bit_use_double_quant"], false);
  EXPECT_EQ(config["architectures"][0], "LlamaForCausalLM");

  const Checkpoint back = LoadHfCheckpoint(dir);
  const TensorView& t = back.Get("blk.0.ffn_up.weight");
  EXPECT_EQ(t.type, QType::kNF4);
  ASSERT_EQ(t.nbytes, m.ckpt.tensors[0].nbytes);
  EXPECT_EQ(std::memcmp(t.data, m.ckpt.tensors[0].data, t.nbytes), 0);
}

// Double quantization: 300 blocks span two nested groups of 256. The file must hold exactly
// DoubleQuantizeAbsmax of the exact absmax values, and reading it back must give the bytes of
// core's NF4_DQ quantization of the same weights (both use code * absmax2 + offset).
TEST_F(HfExportTest, Nf4DoubleQuantMatchesCoreNf4DqBitForBit) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> x(300 * 64);
  for (float& v : x) v = dist(rng);
  Model m;
  m.Add("blk.0.ffn_down.weight", QType::kNF4, x, 150);
  Model dq;
  dq.Add("blk.0.ffn_down.weight", QType::kNF4_DQ, x, 150);
  const std::string dir = Path("out");
  ExportHfCheckpoint(m.ckpt, dir, Opts(HfQuantFormat::kBnbNf4, true));

  std::vector<float> absmax(300);
  for (int b = 0; b < 300; ++b)
    std::memcpy(&absmax[b], m.ckpt.tensors[0].data + b * sizeof(BlockNF4), sizeof(float));
  const NF4DoubleQuant want = DoubleQuantizeAbsmax(absmax.data(), 300);
  const SafetensorsFile st = ReadSafetensorsAllDtypes(dir + "/model.safetensors");
  const auto all = ReadAllTensors(st);
  const std::string p = "model.layers.0.mlp.down_proj.weight";
  EXPECT_EQ(all.at(p + ".absmax").dtype, "U8");
  EXPECT_EQ(Values<uint8_t>(all.at(p + ".absmax")), want.codes);
  EXPECT_EQ(Values<float>(all.at(p + ".nested_absmax")), want.absmax2);
  EXPECT_EQ(all.at(p + ".nested_absmax").shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(Values<float>(all.at(p + ".nested_quant_map")),
            std::vector<float>(DynamicMap8(), DynamicMap8() + 256));
  const StRawTensor& blob = all.at(p + ".quant_state.bitsandbytes__nf4");
  const auto state = nlohmann::json::parse(
      std::string(reinterpret_cast<const char*>(blob.bytes.data()), blob.bytes.size()));
  EXPECT_EQ(state["nested_blocksize"], 256);
  EXPECT_EQ(state["nested_dtype"], "float32");
  EXPECT_EQ(state["nested_offset"].get<float>(), want.offset);
  EXPECT_EQ(ReadJson(dir + "/config.json")["quantization_config"]["bnb_4bit_use_double_quant"],
            true);

  const Checkpoint back = LoadHfCheckpoint(dir);
  const TensorView& t = back.Get("blk.0.ffn_down.weight");
  EXPECT_EQ(t.type, QType::kNF4_DQ);
  ASSERT_EQ(t.nbytes, dq.ckpt.tensors[0].nbytes);
  EXPECT_EQ(std::memcmp(t.data, dq.ckpt.tensors[0].data, t.nbytes), 0);
}

// Per-tensor FP8: absmax 224 gives scale 224 / 448 = 0.5, and each x / 0.5 is an exact E4M3 value:
// 448 = 0x7E (1.75 * 2^8), -2 = 0xC0, 1 = 0x38, 6 = 0x4C (1.5 * 2^2), -448 = 0xFE, 20 = 0x5A.
TEST_F(HfExportTest, Fp8PackingMatchesVllmLayoutByHand) {
  Model m;
  m.Add("blk.0.attn_v.weight", QType::kFP8_E4M3_T, {224, -1, 0.5, 3, -224, 10}, 2);
  const std::string dir = Path("out");
  ExportHfCheckpoint(m.ckpt, dir, Opts(HfQuantFormat::kFp8));
  const SafetensorsFile st = ReadSafetensorsAllDtypes(dir + "/model.safetensors");
  const auto all = ReadAllTensors(st);
  const std::string p = "model.layers.0.self_attn.v_proj.weight";
  EXPECT_EQ(all.at(p).dtype, "F8_E4M3");
  EXPECT_EQ(all.at(p).shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<uint8_t>(all.at(p)), (std::vector<uint8_t>{0x7E, 0xC0, 0x38, 0x4C, 0xFE, 0x5A}));
  EXPECT_EQ(all.at(p + "_scale").dtype, "F32");
  EXPECT_TRUE(all.at(p + "_scale").shape.empty());
  EXPECT_EQ(Values<float>(all.at(p + "_scale")), std::vector<float>{0.5f});
  const nlohmann::json q = ReadJson(dir + "/config.json")["quantization_config"];
  EXPECT_EQ(q, nlohmann::json::parse(R"({"quant_method":"fp8","activation_scheme":"dynamic"})"));
  // A linear layer left in F32 is listed for vLLM to skip.
  m.Add("blk.0.attn_k.weight", QType::kF32, {1, 2, 3, 4, 5, 6}, 2);
  ExportHfCheckpoint(m.ckpt, Path("mixed"), Opts(HfQuantFormat::kFp8));
  EXPECT_EQ(ReadJson(Path("mixed/config.json"))["quantization_config"]["ignored_layers"],
            nlohmann::json::parse(R"(["model.layers.0.self_attn.k_proj"])"));

  const Checkpoint back = LoadHfCheckpoint(dir);
  const TensorView& t = back.Get("blk.0.attn_v.weight");
  EXPECT_EQ(t.type, QType::kFP8_E4M3_T);
  ASSERT_EQ(t.nbytes, m.ckpt.tensors[0].nbytes);
  EXPECT_EQ(std::memcmp(t.data, m.ckpt.tensors[0].data, t.nbytes), 0);
}

// One head of 8 dims: GGUF row 2i + half holds Hugging Face row half * 4 + i, so the HF order of
// GGUF rows g0..g7 is g0 g2 g4 g6 g1 g3 g5 g7.
TEST_F(HfExportTest, ToRotateHalfReordersQkRowsByHand) {
  Model m;
  m.ckpt.config.dim = 8;
  m.ckpt.config.rope_style = RopeStyle::kAdjacentPairs;
  m.Add("blk.0.attn_q.weight", QType::kF32, {0, 1, 2, 3, 4, 5, 6, 7}, 8);
  m.Add("blk.0.attn_v.weight", QType::kF32, {0, 1, 2, 3, 4, 5, 6, 7}, 8);
  const Checkpoint hf = ToRotateHalf(m.ckpt);
  EXPECT_EQ(hf.config.rope_style, RopeStyle::kRotateHalf);
  std::vector<float> q(8), v(8);
  std::memcpy(q.data(), hf.Get("blk.0.attn_q.weight").data, 32);
  std::memcpy(v.data(), hf.Get("blk.0.attn_v.weight").data, 32);
  EXPECT_EQ(q, (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}));
  EXPECT_EQ(v, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
}

// The test-bed model (Hugging Face form) with every linear weight quantized by core: every tensor
// read back from the export has the bytes it was written with.
void ExpectRoundTrip(const std::string& dir, QType type, const HfExportOptions& opts, QType want) {
  const Checkpoint src = LoadHfCheckpoint(test::Shared("models/testbed/hf"));
  Checkpoint q = src;
  std::vector<std::shared_ptr<std::vector<std::byte>>> owned;
  for (TensorView& t : q.tensors) {
    if (!t.name.starts_with("blk.") || t.shape.size() != 2) continue;
    std::vector<float> x(size_t(t.NumElements()));
    for (int64_t r = 0; r < t.Rows(); ++r)
      Traits(t.type).dequantize_row(t.Row(r), x.data() + r * t.Cols(), t.Cols());
    auto buf =
        std::make_shared<std::vector<std::byte>>(RowBytes(want, t.Cols()) * size_t(t.Rows()));
    QuantizeTensor(want, x.data(), t.Rows(), t.Cols(), buf->data());
    if (type != want) {  // NF4 exported with double quantization: the file holds exact absmax
      auto exact = std::make_shared<std::vector<std::byte>>(buf->size());
      QuantizeTensor(type, x.data(), t.Rows(), t.Cols(), exact->data());
      owned.push_back(exact);
    }
    owned.push_back(buf);
    t.type = want;
    t.data = buf->data();
    t.nbytes = buf->size();
  }
  Checkpoint exported = q;  // same tensors, with the exact NF4 where double quantization applies
  for (size_t i = 0, k = 0; i < exported.tensors.size(); ++i) {
    TensorView& t = exported.tensors[i];
    if (t.type != want || type == want) continue;
    t.type = type;
    t.data = owned[k]->data();
    k += 2;
  }
  ExportHfCheckpoint(exported, dir, opts);
  const Checkpoint back = LoadHfCheckpoint(dir);
  ASSERT_EQ(back.tensors.size(), q.tensors.size());
  for (const TensorView& t : q.tensors) {
    const TensorView& b = back.Get(t.name);
    EXPECT_EQ(b.type, t.type) << t.name;
    EXPECT_EQ(b.shape, t.shape) << t.name;
    ASSERT_EQ(b.nbytes, t.nbytes) << t.name;
    EXPECT_EQ(std::memcmp(b.data, t.data, t.nbytes), 0) << t.name;
  }
  EXPECT_EQ(back.config.dim, src.config.dim);
  EXPECT_EQ(back.config.n_kv_heads, src.config.n_kv_heads);
  EXPECT_EQ(back.config.tied_embeddings, src.config.tied_embeddings);
  EXPECT_EQ(back.config.norm_eps, src.config.norm_eps);
}

TEST_F(HfExportTest, TestbedNf4RoundTripsBitForBit) {
  ExpectRoundTrip(Path("nf4"), QType::kNF4, Opts(HfQuantFormat::kBnbNf4), QType::kNF4);
}
TEST_F(HfExportTest, TestbedNf4DoubleQuantRoundTripsToCoreNf4Dq) {
  ExpectRoundTrip(Path("nf4dq"), QType::kNF4, Opts(HfQuantFormat::kBnbNf4, true), QType::kNF4_DQ);
}
TEST_F(HfExportTest, TestbedFp8RoundTripsBitForBit) {
  ExpectRoundTrip(Path("fp8"), QType::kFP8_E4M3_T, Opts(HfQuantFormat::kFp8), QType::kFP8_E4M3_T);
}

TEST_F(HfExportTest, TypesOutsideTheFormatAreNamedErrors) {
  Model m;
  std::vector<float> x(2 * 256, 0.25f);
  m.Add("blk.0.ffn_up.weight", QType::kQ4_K, x, 2);
  try {
    ExportHfCheckpoint(m.ckpt, Path("out"), Opts(HfQuantFormat::kFp8));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.ffn_up.weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Q4_K"), std::string::npos) << e.what();
  }
  Model dq;
  dq.Add("blk.0.ffn_up.weight", QType::kNF4_DQ, std::vector<float>(128, 0.5f), 2);
  EXPECT_THROW(ExportHfCheckpoint(dq.ckpt, Path("out"), {}), Error);
  EXPECT_FALSE(fs::exists(Path("out")));
}

TEST_F(HfExportTest, RefusesNonEmptyDirectoryAndInputUnlessForced) {
  Model m;
  m.Add("blk.0.ffn_up.weight", QType::kNF4, std::vector<float>(128, 0.5f), 2);
  fs::create_directories(Path("full"));
  std::ofstream(Path("full/keep.txt")) << "x";
  EXPECT_THROW(ExportHfCheckpoint(m.ckpt, Path("full"), {}), Error);
  EXPECT_TRUE(fs::exists(Path("full/keep.txt")));
  ExportHfCheckpoint(m.ckpt, Path("full"), Opts(HfQuantFormat::kBnbNf4, false, true));
  EXPECT_FALSE(fs::exists(Path("full/keep.txt")));
  EXPECT_TRUE(fs::exists(Path("full/model.safetensors")));
  // A trailing slash names the same directory (the temporary stays a sibling of it).
  ExportHfCheckpoint(m.ckpt, Path("slash") + "/", {});
  EXPECT_TRUE(fs::exists(Path("slash/model.safetensors")));
  // The exported directory is now an input: exporting onto it, or onto a directory holding it,
  // is refused even with force.
  Checkpoint again = LoadHfCheckpoint(Path("full"));
  EXPECT_THROW(ExportHfCheckpoint(again, Path("full"), Opts(HfQuantFormat::kBnbNf4, false, true)),
               Error);
  EXPECT_THROW(ExportHfCheckpoint(again, dir_.string(), Opts(HfQuantFormat::kBnbNf4, false, true)),
               Error);
  EXPECT_TRUE(fs::exists(Path("full/model.safetensors")));
}

TEST_F(HfExportTest, MissingOrInconsistentPartsAreInvalidInput) {
  Model m;
  m.Add("blk.0.ffn_up.weight", QType::kNF4, std::vector<float>(128, 0.5f), 2);
  ExportHfCheckpoint(m.ckpt, Path("out"), {});
  const std::string file = Path("out/model.safetensors");
  SafetensorsFile st = ReadSafetensorsAllDtypes(file);
  auto all = ReadAllTensors(st);
  for (const char* drop : {".absmax", ".quant_map", ""}) {
    std::vector<StTensor> kept;
    std::map<std::string, StDtype> dtypes = {{"U8", StDtype::kU8}, {"F32", StDtype::kF32}};
    for (const auto& [name, t] : all)
      if (name != "model.layers.0.mlp.up_proj.weight" + std::string(drop))
        kept.push_back({name, dtypes.at(t.dtype), t.shape, t.bytes});
    const std::string dir = Path(std::string("bad") + drop);
    fs::create_directories(dir);
    fs::copy_file(Path("out/config.json"), dir + "/config.json");
    WriteSafetensors(dir + "/model.safetensors", kept);
    try {
      LoadHfCheckpoint(dir);
      FAIL() << "no error without '" << drop << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
      EXPECT_NE(std::string(e.what()).find("up_proj.weight"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace qforge::io
