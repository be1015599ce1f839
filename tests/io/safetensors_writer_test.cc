// The safetensors writer: F32/F16/BF16 tensors and metadata read back by io::ReadSafetensors; the
// export dtypes (F8_E4M3, U8, I32, ...) checked against the format directly (the reader computes
// only with float dtypes); alignment, no holes, and the input checks.
#include "qforge/io/safetensors_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/io/safetensors_file.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::io {
namespace {

class SafetensorsWriterTest : public test::TempDirTest {};

template <class T>
std::span<const std::byte> Bytes(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

std::vector<char> ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST_F(SafetensorsWriterTest, FloatTensorsRoundTripThroughTheReader) {
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -8.5f};
  const std::vector<uint16_t> b = {0x3c00, 0xbc00, 0x7bff};  // f16 1, -1, 65504
  const std::vector<uint16_t> c = {0x3f80, 0x4000};          // bf16 1, 2
  const std::string path = Path("model.safetensors");
  WriteSafetensors(path,
                   {{"z.weight", StDtype::kF32, {2, 3}, Bytes(a)},
                    {"a.bias", StDtype::kF16, {3}, Bytes(b)},
                    {"m.norm", StDtype::kBF16, {1, 2}, Bytes(c)}},
                   {{"format", "pt"}});
  const SafetensorsFile st = ReadSafetensors(path);
  ASSERT_EQ(st.tensors.size(), 3u);
  EXPECT_EQ(st.metadata.at("format"), "pt");
  struct Want {
    QType type;
    std::vector<int64_t> shape;
    std::span<const std::byte> bytes;
  };
  const std::map<std::string, Want> want = {{"z.weight", {QType::kF32, {2, 3}, Bytes(a)}},
                                            {"a.bias", {QType::kF16, {3}, Bytes(b)}},
                                            {"m.norm", {QType::kBF16, {1, 2}, Bytes(c)}}};
  for (const TensorView& t : st.tensors) {
    const Want& w = want.at(t.name);
    EXPECT_EQ(t.type, w.type) << t.name;
    EXPECT_EQ(t.shape, w.shape) << t.name;
    ASSERT_EQ(t.nbytes, w.bytes.size()) << t.name;
    EXPECT_EQ(std::memcmp(t.data, w.bytes.data(), t.nbytes), 0) << t.name;
  }
}

// A real checkpoint (the test bed's model.safetensors, 3.3M F32 weights) rewritten tensor by
// tensor reads back identical: names, shapes, bytes.
TEST_F(SafetensorsWriterTest, RewritesARealCheckpoint) {
  const SafetensorsFile src = ReadSafetensors(test::Shared("models/testbed/hf/model.safetensors"));
  std::vector<StTensor> tensors;
  for (const TensorView& t : src.tensors)
    tensors.push_back({t.name, StDtype::kF32, t.shape, {t.data, t.nbytes}});
  const std::string path = Path("copy.safetensors");
  WriteSafetensors(path, tensors, src.metadata);
  const SafetensorsFile copy = ReadSafetensors(path);
  ASSERT_EQ(copy.tensors.size(), src.tensors.size());
  EXPECT_EQ(copy.metadata, src.metadata);
  std::map<std::string, const TensorView*> by_name;
  for (const TensorView& t : copy.tensors) by_name[t.name] = &t;
  for (const TensorView& t : src.tensors) {
    const TensorView& c = *by_name.at(t.name);
    EXPECT_EQ(c.shape, t.shape) << t.name;
    ASSERT_EQ(c.nbytes, t.nbytes) << t.name;
    EXPECT_EQ(std::memcmp(c.data, t.data, t.nbytes), 0) << t.name;
  }
}

// The export dtypes: header fields, 8-byte aligned data section, contiguous offsets in order of
// element size, each start aligned to its element size, and the bytes themselves.
TEST_F(SafetensorsWriterTest, ExportDtypesFollowTheFormat) {
  const std::vector<uint8_t> fp8 = {0x7e, 0x38, 0x01};          // 448, 1, 2^-9 in E4M3
  const std::vector<float> scale = {0.25f};                     // a scalar
  const std::vector<int32_t> qweight = {0x12345678, -1, 7, 8};  // GPTQ-style int32 words
  const std::vector<uint8_t> blob = {'{', '}'};                 // bnb's JSON quant_state
  const std::vector<int64_t> ids = {1, 2};
  const std::string path = Path("export.safetensors");
  WriteSafetensors(path, {{"l.weight", StDtype::kF8_E4M3, {1, 3}, Bytes(fp8)},
                          {"l.weight_scale", StDtype::kF32, {}, Bytes(scale)},
                          {"l.qweight", StDtype::kI32, {2, 2}, Bytes(qweight)},
                          {"l.quant_state", StDtype::kU8, {2}, Bytes(blob)},
                          {"l.ids", StDtype::kI64, {2}, Bytes(ids)}});
  const std::vector<char> file = ReadAll(path);
  uint64_t n = 0;
  for (int k = 0; k < 8; ++k) n |= uint64_t(uint8_t(file[size_t(k)])) << (8 * k);
  ASSERT_LE(8 + n, file.size());
  EXPECT_EQ((8 + n) % 8, 0u);
  const auto header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + int64_t(n));
  EXPECT_FALSE(header.contains("__metadata__"));
  const char* data = file.data() + 8 + n;
  struct Want {
    const char* name;
    const char* dtype;
    std::vector<int64_t> shape;
    std::span<const std::byte> bytes;
    size_t elem;
  };
  const Want wants[] = {{"l.ids", "I64", {2}, Bytes(ids), 8},
                        {"l.qweight", "I32", {2, 2}, Bytes(qweight), 4},
                        {"l.weight_scale", "F32", {}, Bytes(scale), 4},
                        {"l.quant_state", "U8", {2}, Bytes(blob), 1},
                        {"l.weight", "F8_E4M3", {1, 3}, Bytes(fp8), 1}};
  uint64_t expected_begin = 0;  // in this order: element size descending, then name
  for (const Want& w : wants) {
    const auto& e = header.at(w.name);
    EXPECT_EQ(e.at("dtype"), w.dtype) << w.name;
    EXPECT_EQ(e.at("shape").get<std::vector<int64_t>>(), w.shape) << w.name;
    const uint64_t begin = e.at("data_offsets")[0], end = e.at("data_offsets")[1];
    EXPECT_EQ(begin, expected_begin) << w.name;  // no holes
    EXPECT_EQ(begin % w.elem, 0u) << w.name;
    ASSERT_EQ(end - begin, w.bytes.size()) << w.name;
    EXPECT_EQ(std::memcmp(data + begin, w.bytes.data(), w.bytes.size()), 0) << w.name;
    expected_begin = end;
  }
  EXPECT_EQ(8 + n + expected_begin, file.size());
}

TEST_F(SafetensorsWriterTest, RejectsBadTensors) {
  const std::vector<float> a = {1, 2, 3, 4};
  const std::string path = Path("bad.safetensors");
  EXPECT_THROW(WriteSafetensors(path, {{"w", StDtype::kF32, {3}, Bytes(a)}}), Error);
  EXPECT_THROW(WriteSafetensors(path, {{"w", StDtype::kF32, {-4}, Bytes(a)}}), Error);
  EXPECT_THROW(WriteSafetensors(path, {{"__metadata__", StDtype::kF32, {4}, Bytes(a)}}), Error);
  EXPECT_THROW(WriteSafetensors(path, {{"w", StDtype::kF32, {4}, Bytes(a)},
                                       {"w", StDtype::kF32, {4}, Bytes(a)}}),
               Error);
  EXPECT_FALSE(std::filesystem::exists(path));  // nothing written on error
}

}  // namespace
}  // namespace qforge::io
