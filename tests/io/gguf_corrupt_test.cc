// GGUF hardening: truncated, patched and hostile files give a one-line qforge::Error naming the
// file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "qforge/core/error.h"
#include "qforge/io/gguf_checkpoint.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/io/mapped_file.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::io {
namespace {

const std::string kStoriesGguf =
    test::Shared("reference/stories260K/llamacpp/stories260K-f32.gguf");

std::vector<std::byte> ReadAll(const std::string& path) {
  auto map = MappedFile::Open(path);
  return {map->bytes().begin(), map->bytes().end()};
}

// Expects Error of `kind` with a one-line message that names `path` and contains `needle`.
template <typename F>
void ExpectError(F&& f, const std::string& path, ErrorKind kind, const std::string& needle = "") {
  try {
    f();
    ADD_FAILURE() << "no error for " << path << " (" << needle << ")";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), kind) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

class GgufCorruptTest : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    good_ = WriteSmall(Path("good.gguf"), 2);
  }

  // A tiny valid llama checkpoint with a nested array of depth `depth`.
  std::vector<std::byte> WriteSmall(const std::string& path, int depth) {
    GgufWriter w;
    w.Add("general.architecture", "llama");
    w.Add("llama.embedding_length", uint32_t{8});
    w.Add("llama.feed_forward_length", uint32_t{8});
    w.Add("llama.block_count", uint32_t{1});
    w.Add("llama.attention.head_count", uint32_t{2});
    w.Add("llama.context_length", uint32_t{16});
    w.Add("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    GgufArray nested{GgufType::kU8, {uint8_t{1}, uint8_t{2}}};
    for (int d = 1; d < depth; ++d) nested = GgufArray{GgufType::kArray, {GgufValue(nested)}};
    w.Add("test.nested", nested);
    static const std::vector<float> zeros(64, 0.0f);
    const auto bytes = std::as_bytes(std::span(zeros));
    w.AddTensor("token_embd.weight", QType::kF32, {4, 8}, bytes.first(128));
    w.AddTensor("output_norm.weight", QType::kF32, {8}, bytes.first(32));
    w.AddTensor("dup.a", QType::kF32, {8}, bytes.first(32));
    w.AddTensor("dup.b", QType::kF32, {8}, bytes.first(32));
    w.Write(path);
    return ReadAll(path);
  }

  // Offset just past the first occurrence of `text` in the good file.
  size_t After(std::string_view text) const {
    const auto* begin = reinterpret_cast<const char*>(good_.data());
    const std::string_view all(begin, good_.size());
    const size_t at = all.find(text);
    EXPECT_NE(at, std::string_view::npos) << text;
    return at + text.size();
  }

  // Writes the good file with `value` stored at `offset`, loads it, expects the error.
  template <typename T>
  void ExpectPatchFails(size_t offset, T value, ErrorKind kind, const std::string& needle) {
    std::vector<std::byte> bytes = good_;
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
    const std::string path = Path("patched.gguf");
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    ExpectError([&] { LoadGgufCheckpoint(path); }, path, kind, needle);
  }

  std::vector<std::byte> good_;
};

TEST_F(GgufCorruptTest, SmallFileLoads) {
  const Checkpoint c = LoadGgufCheckpoint(Path("good.gguf"));
  EXPECT_EQ(c.config.vocab_size, 4);
  EXPECT_EQ(c.metadata.at("test.nested"), "[1 x array]");
  WriteSmall(Path("deep8.gguf"), kGgufMaxArrayDepth);
  EXPECT_NO_THROW(LoadGgufCheckpoint(Path("deep8.gguf")));
}

TEST_F(GgufCorruptTest, HeaderFields) {
  ExpectPatchFails<uint8_t>(0, 'X', ErrorKind::kInvalidInput, "magic");
  ExpectPatchFails<uint32_t>(4, 1, ErrorKind::kUnsupported, "version 1");
  ExpectPatchFails<uint32_t>(4, 99, ErrorKind::kUnsupported, "version 99");
  ExpectPatchFails<uint64_t>(8, uint64_t{1} << 62, ErrorKind::kInvalidInput, "tensor count");
  ExpectPatchFails<uint64_t>(16, uint64_t{1} << 62, ErrorKind::kInvalidInput, "metadata count");
  ExpectPatchFails<uint64_t>(16, 100, ErrorKind::kInvalidInput, "");  // more KVs than present
}

TEST_F(GgufCorruptTest, MetadataValues) {
  // The string value of general.architecture: key, u32 type, then its u64 length.
  ExpectPatchFails<uint64_t>(After("general.architecture") + 4, uint64_t{1} << 40,
                             ErrorKind::kInvalidInput, "general.architecture");
  ExpectPatchFails<uint32_t>(After("general.architecture"), 77, ErrorKind::kInvalidInput,
                             "unknown value type 77");
  // test.nested: u32 type (array), u32 element type, u64 count.
  ExpectPatchFails<uint64_t>(After("test.nested") + 8, uint64_t{1} << 40, ErrorKind::kInvalidInput,
                             "cannot fit");
  ExpectPatchFails<uint64_t>(After("test.nested") + 8, uint64_t{1} << 61, ErrorKind::kInvalidInput,
                             "cannot fit");
  ExpectPatchFails<uint32_t>(After("general.alignment") + 4, 0, ErrorKind::kInvalidInput,
                             "power of two");
  ExpectPatchFails<uint32_t>(After("general.alignment") + 4, 3, ErrorKind::kInvalidInput,
                             "power of two");
  ExpectPatchFails<uint32_t>(After("general.alignment"), uint32_t(GgufType::kF32),
                             ErrorKind::kInvalidInput, "general.alignment");
  ExpectPatchFails<uint32_t>(After("llama.block_count") + 4, 0, ErrorKind::kInvalidInput,
                             "llama.block_count");
}

TEST_F(GgufCorruptTest, DeeplyNestedArrays) {
  const std::string path = Path("deep.gguf");
  WriteSmall(path, kGgufMaxArrayDepth + 1);
  ExpectError([&] { LoadGgufCheckpoint(path); }, path, ErrorKind::kInvalidInput, "deeper");
}

TEST_F(GgufCorruptTest, TensorInfos) {
  // token_embd.weight: u32 n_dims, u64 ne[0], u64 ne[1], u32 type, u64 offset.
  const size_t embd = After("token_embd.weight");
  ExpectPatchFails<uint32_t>(embd, 5, ErrorKind::kInvalidInput, "5 dimensions");
  ExpectPatchFails<uint32_t>(embd, 0, ErrorKind::kInvalidInput, "0 dimensions");
  ExpectPatchFails<uint64_t>(embd + 4, 0, ErrorKind::kInvalidInput, "token_embd.weight");
  ExpectPatchFails<uint64_t>(embd + 4, uint64_t{1} << 63, ErrorKind::kInvalidInput,
                             "token_embd.weight");
  std::vector<std::byte> saved = good_;
  const uint64_t big = uint64_t{1} << 40;
  std::memcpy(good_.data() + embd + 4, &big, 8);
  ExpectPatchFails<uint64_t>(embd + 12, big, ErrorKind::kInvalidInput, "overflow");
  good_ = saved;
  ExpectPatchFails<uint32_t>(embd + 20, 99, ErrorKind::kUnsupported,
                             "token_embd.weight' has ggml type 99");
  ExpectPatchFails<uint32_t>(embd + 20, 0xffffffff, ErrorKind::kUnsupported,
                             "ggml type 4294967295");
  // output_norm.weight: u32 n_dims, u64 ne[0], u32 type, u64 offset.
  const size_t norm = After("output_norm.weight");
  ExpectPatchFails<uint64_t>(norm + 16, uint64_t{1} << 20, ErrorKind::kInvalidInput,
                             "past the end");
  ExpectPatchFails<uint64_t>(norm + 16, ~uint64_t{31}, ErrorKind::kInvalidInput, "past the end");
  ExpectPatchFails<uint64_t>(norm + 16, 132, ErrorKind::kInvalidInput, "alignment");
  // The last tensor one float longer than the file.
  ExpectPatchFails<uint64_t>(After("dup.b") + 4, 9, ErrorKind::kInvalidInput, "past the end");
}

TEST_F(GgufCorruptTest, DuplicateTensorName) {
  const auto* begin = reinterpret_cast<const char*>(good_.data());
  const size_t at = std::string_view(begin, good_.size()).find("dup.b");
  ASSERT_NE(at, std::string_view::npos);
  ExpectPatchFails<uint8_t>(at + 4, 'a', ErrorKind::kInvalidInput, "duplicate tensor name 'dup.a'");
}

TEST_F(GgufCorruptTest, NotLlama) {
  const size_t at = After("general.architecture") + 12;  // the value's first byte
  ExpectPatchFails<uint8_t>(at, 'x', ErrorKind::kUnsupported, "xlama");
}

// Every prefix of the reference file's header, and sampled prefixes of its data, fail cleanly.
TEST(GgufTruncated, EveryPrefixFails) {
  const std::vector<std::byte> bytes = ReadAll(kStoriesGguf);
  const std::string path = "truncated-stories260K.gguf";
  std::vector<size_t> lengths;
  for (size_t n = 0; n < 4096; ++n) lengths.push_back(n);
  for (size_t n = 4096; n < bytes.size(); n += 4093) lengths.push_back(n);
  lengths.push_back(bytes.size() - 1);
  for (size_t n : lengths) {
    SCOPED_TRACE(n);
    ExpectError([&] { GgufFile::Parse(std::span(bytes).first(n), path); }, path,
                ErrorKind::kInvalidInput);
  }
  EXPECT_NO_THROW(GgufFile::Parse(bytes, path));
}

TEST(GgufTruncated, TruncatedFilesFailThroughTheLoader) {
  const std::vector<std::byte> bytes = ReadAll(kStoriesGguf);
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("qforge_gguf_trunc_{}", ::getpid());
  std::filesystem::create_directories(dir);
  for (size_t n : {size_t{0}, size_t{3}, size_t{23}, size_t{500}, size_t{14000}, bytes.size() / 2,
                   bytes.size() - 1}) {
    const std::string path = (dir / fmt::format("t{}.gguf", n)).string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(n));
    ExpectError([&] { LoadGgufCheckpoint(path); }, path, ErrorKind::kInvalidInput);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qforge::io
