// Bit-exactness against llama.cpp: requantizing the test bed's F32 tensors with qforge's reference
// quantize_row reproduces the blocks llama-quantize wrote into Q8_0/Q4_0/Q4_1/Q5_0.gguf.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qforge/core/qtype.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/io/mapped_file.h"
#include "support/paths.h"

namespace qforge {
namespace {

// A tensor as listed in a GGUF header, with its raw ggml type id.
struct RawTensor {
  int ggml_type;
  uint64_t offset;  // from the start of the file
};

// Minimal GGUF header walk. io::GgufFile rejects a whole file when one tensor has a type qforge
// lacks, and llama-quantize stores output.weight of Q4_0/Q4_1/Q5_0 as Q6_K, so this test reads the
// tensor table itself to reach the tensors it can check. Layout: GGUF spec, version 3.
class RawGguf {
 public:
  explicit RawGguf(const std::string& path) : file_(io::MappedFile::Open(path)) {
    p_ = 4 + 4;  // magic, version
    const uint64_t n_tensors = U64(), n_kv = U64();
    uint64_t alignment = 32;
    for (uint64_t i = 0; i < n_kv; ++i) {
      const std::string key = Str();
      const uint32_t type = U32();
      if (key == "general.alignment") {
        alignment = Read<uint32_t>();
      } else {
        SkipValue(type);
      }
    }
    std::vector<std::pair<std::string, RawTensor>> infos;
    for (uint64_t i = 0; i < n_tensors; ++i) {
      std::string name = Str();
      const uint32_t dims = U32();
      p_ += 8 * dims;
      const int type = int(U32());
      infos.push_back({std::move(name), {type, U64()}});
    }
    const uint64_t data = (p_ + alignment - 1) / alignment * alignment;
    for (auto& [name, t] : infos) tensors[name] = {t.ggml_type, data + t.offset};
  }
  const std::byte* At(uint64_t offset) const { return file_->bytes().data() + offset; }

  std::map<std::string, RawTensor> tensors;

 private:
  template <typename T>
  T Read() {
    T v;
    std::memcpy(&v, file_->bytes().data() + p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  uint32_t U32() { return Read<uint32_t>(); }
  uint64_t U64() { return Read<uint64_t>(); }
  std::string Str() {
    const uint64_t n = U64();
    std::string s(reinterpret_cast<const char*>(file_->bytes().data() + p_), n);
    p_ += n;
    return s;
  }
  // GGUF value types 0..12: u8 i8 u16 i16 u32 i32 f32 bool string array u64 i64 f64.
  void SkipValue(uint32_t type) {
    static constexpr int kSize[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type == 8) {
      Str();
    } else if (type == 9) {
      const uint32_t elem = U32();
      const uint64_t n = U64();
      for (uint64_t i = 0; i < n; ++i) SkipValue(elem);
    } else {
      ASSERT_LT(type, 13u);
      p_ += size_t(kSize[type]);
    }
  }

  std::shared_ptr<const io::MappedFile> file_;
  size_t p_ = 0;
};

class LlamaCppBlocks : public ::testing::TestWithParam<QType> {};

// llama-quantize without an imatrix calls ggml's quantize_row_*_ref for these types, so the bytes
// must match exactly. It keeps some tensors at another type (1-D norms stay F32; its rules give
// output.weight Q6_K in Q4_0/Q4_1/Q5_0), so only tensors stored in the file's own type are
// compared; the test requires that there are some.
TEST_P(LlamaCppBlocks, RequantizedRowsAreBitIdentical) {
  const QTypeTraits& t = Traits(GetParam());
  const std::string dir = test::Shared("reference/testbed/llamacpp/");
  const Checkpoint f32 = io::LoadCheckpoint(dir + "F32.gguf");
  const RawGguf quant(dir + std::string(t.name) + ".gguf");
  int compared = 0, skipped = 0;
  for (const auto& [name, q] : quant.tensors) {
    if (q.ggml_type != t.ggml_type) {
      ++skipped;
      continue;
    }
    const TensorView& src = f32.Get(name);
    ASSERT_EQ(src.type, QType::kF32) << name;
    const size_t row_bytes = RowBytes(t.type, src.Cols());
    std::vector<std::byte> row(row_bytes);
    int64_t differing = 0;
    for (int64_t r = 0; r < src.Rows(); ++r) {
      t.quantize_row(reinterpret_cast<const float*>(src.Row(r)), row.data(), src.Cols());
      if (std::memcmp(row.data(), quant.At(q.offset + size_t(r) * row_bytes), row_bytes) != 0)
        ++differing;
    }
    EXPECT_EQ(differing, 0) << t.name << " " << name << ": rows differing of " << src.Rows();
    ++compared;
  }
  std::printf("%s: %d tensors compared bit for bit, %d stored in other types\n", t.name.data(),
              compared, skipped);
  EXPECT_GT(compared, 0);
}

INSTANTIATE_TEST_SUITE_P(Types, LlamaCppBlocks,
                         ::testing::Values(QType::kQ8_0, QType::kQ4_0, QType::kQ4_1, QType::kQ5_0),
                         [](const auto& info) { return std::string(Traits(info.param).name); });

}  // namespace
}  // namespace qforge
