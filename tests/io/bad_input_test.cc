// Corrupt llama2.c checkpoints, safetensors files and Hugging Face configs: each gives one
// qforge::Error naming the file, never a crash or an out-of-bounds view.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/io/hf_checkpoint.h"
#include "qforge/io/llama2c_checkpoint.h"
#include "qforge/io/mapped_file.h"
#include "qforge/io/safetensors_file.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::io {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

class BadInput : public test::TempDirTest {
 protected:
  std::string Write(const std::string& name, const std::vector<char>& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
  }
  static std::vector<char> Bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  template <typename F>
  static void ExpectError(F&& load, const std::string& path, const std::string& what = "") {
    try {
      load(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(path));
      if (!what.empty()) {
        EXPECT_THAT(e.what(), HasSubstr(what));
      }
    }
  }
};

TEST_F(BadInput, Llama2cTruncatedAnywhere) {
  const auto good = Bytes(test::Shared("models/stories260K/stories260K.bin"));
  for (size_t len : {size_t(0), size_t(3), size_t(27), size_t(28), size_t(1000), good.size() / 2,
                     good.size() - 1}) {
    const std::string path = Write("t.bin", {good.begin(), good.begin() + std::ptrdiff_t(len)});
    ExpectError(LoadLlama2cCheckpoint, path);
  }
}

TEST_F(BadInput, Llama2cAbsurdHeader) {
  auto bytes = Bytes(test::Shared("models/stories260K/stories260K.bin"));
  const int32_t huge = 1 << 30, zero = 0, three = 3;
  for (auto [field, value] :
       std::vector<std::pair<int, int32_t>>{{0, huge}, {2, zero}, {3, three}, {5, huge}}) {
    auto copy = bytes;
    std::memcpy(copy.data() + 4 * field, &value, 4);
    ExpectError(LoadLlama2cCheckpoint, Write("h.bin", copy));
  }
  // A plausible header that disagrees with the file size.
  int32_t dim = 128;
  std::memcpy(bytes.data(), &dim, 4);
  ExpectError(LoadLlama2cCheckpoint, Write("s.bin", bytes), "implies");
}

TEST_F(BadInput, MissingFile) {
  ExpectError(LoadLlama2cCheckpoint, (dir_ / "absent.bin").string(), "cannot open");
}

std::vector<char> Safetensors(const std::string& header, size_t data_bytes) {
  const uint64_t n = header.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);  // little-endian length, as on x86
  out += header;
  out.append(data_bytes, '\0');
  return {out.begin(), out.end()};
}

TEST_F(BadInput, SafetensorsLies) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,64]}})", "outside"},
      {R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})", "needs 16 bytes"},
      {R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[8,0]}})", "outside"},
      {R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", "dimension"},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})",
       "more elements"},
      {R"({"a":{"dtype":"Q9","shape":[4],"data_offsets":[0,16]}})", "dtype"},
      {R"({"a":{"shape":[4]}})", "lacks"},
      {R"({"a":)", "JSON"},
      {R"([1,2])", "object"},
  };
  for (const auto& [header, what] : cases)
    ExpectError(ReadSafetensors, Write("x.safetensors", Safetensors(header, 32)), what);
  // Header length larger than the file, and absurd.
  auto bytes = Safetensors(R"({})", 0);
  uint64_t n = 1000;
  std::memcpy(bytes.data(), &n, 8);
  ExpectError(ReadSafetensors, Write("y.safetensors", bytes), "truncated");
  n = uint64_t(1) << 62;
  std::memcpy(bytes.data(), &n, 8);
  ExpectError(ReadSafetensors, Write("z.safetensors", bytes), "header claims");
  ExpectError(ReadSafetensors, Write("e.safetensors", {}), "truncated");
}

TEST_F(BadInput, HfConfigProblems) {
  const fs::path hf = dir_ / "hf";
  fs::create_directories(hf);
  fs::copy_file(test::Shared("models/testbed/hf/model.safetensors"), hf / "model.safetensors");
  // No config.json at all.
  ExpectError(LoadHfCheckpoint, hf.string(), "config.json");
  // A config that is not JSON, one with a non-Llama model type, one without hidden_size.
  auto write_config = [&](const std::string& text) { std::ofstream(hf / "config.json") << text; };
  write_config("{");
  ExpectError(LoadHfCheckpoint, hf.string(), "JSON");
  write_config(R"({"model_type":"gpt2"})");
  ExpectError(LoadHfCheckpoint, hf.string(), "model_type");
  write_config(R"({"model_type":"llama","intermediate_size":768})");
  ExpectError(LoadHfCheckpoint, hf.string(), "hidden_size");
}

}  // namespace
}  // namespace qforge::io
