// qforge quantize --imatrix end to end: a GGUF imatrix written by io::WriteImatrixGguf weights the
// test bed's tensors exactly as QuantizeRowWeighted does, the output carries llama-quantize's
// quantize.imatrix.* keys, and misuse is a clear error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "qforge/core/qblocks_weighted.h"
#include "qforge/io/gguf_file.h"
#include "qforge/io/imatrix_file.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/io/mapped_file.h"
#include "support/paths.h"
#include "support/run_command.h"

namespace qforge {
namespace {
using test::CommandResult;
using test::Qforge;
using ::testing::HasSubstr;

const std::string kF32 = test::Shared("reference/testbed/llamacpp/F32.gguf");

class ImatrixCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qforge-imatrix-cli-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(ImatrixCli, WeightsTheTensorsWithEntriesAndRecordsProvenance) {
  const Checkpoint f32 = io::LoadCheckpoint(kF32);
  const TensorView& q_src = f32.Get("blk.0.attn_q.weight");
  std::vector<float> means(size_t(q_src.Cols()));
  for (size_t j = 0; j < means.size(); ++j) means[j] = 1.0f + float(j % 7);
  ImportanceMatrix m;
  m.datasets = {"calib.txt"};
  m.chunks_count = 9;
  m.chunk_size = 128;
  m.entries["blk.0.attn_q.weight"] = ImportanceEntry::FromMeans(means);
  io::WriteImatrixGguf(m, Path("im.gguf"));

  const CommandResult r = Qforge("quantize " + kF32 + " -r Q4_0 -o " + Path("out.gguf") +
                                 " --imatrix " + Path("im.gguf"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("imatrix: 1 of"));

  const auto map = io::MappedFile::Open(Path("out.gguf"));
  const io::GgufFile file = io::GgufFile::Parse(map->bytes(), Path("out.gguf"));
  EXPECT_EQ(file.GetString("quantize.imatrix.file"), Path("im.gguf"));
  EXPECT_EQ(file.GetString("quantize.imatrix.dataset"), "calib.txt");
  EXPECT_EQ(file.GetString("quantize.imatrix.entries_count"), "1");
  EXPECT_EQ(file.GetString("quantize.imatrix.chunks_count"), "9");

  const Checkpoint out = io::LoadCheckpoint(Path("out.gguf"));
  const TensorView& q = out.Get("blk.0.attn_q.weight");
  ASSERT_EQ(q.type, QType::kQ4_0);
  std::vector<std::byte> row(q.RowStride());
  for (int64_t i = 0; i < q.Rows(); ++i) {
    ASSERT_TRUE(QuantizeRowWeighted(QType::kQ4_0, reinterpret_cast<const float*>(q_src.Row(i)),
                                    row.data(), q.Cols(), means.data()));
    ASSERT_EQ(std::memcmp(row.data(), q.Row(i), row.size()), 0) << "row " << i;
  }
  // A tensor without an entry is plain round-to-nearest.
  const TensorView& k_src = f32.Get("blk.0.attn_k.weight");
  const TensorView& k = out.Get("blk.0.attn_k.weight");
  Traits(QType::kQ4_0)
      .quantize_row(reinterpret_cast<const float*>(k_src.Row(0)), row.data(), k.Cols());
  EXPECT_EQ(std::memcmp(row.data(), k.Row(0), row.size()), 0);
}

TEST_F(ImatrixCli, MisuseIsAnError) {
  std::ofstream(Path("not.imatrix")) << "plain text, not an importance matrix\n";
  CommandResult r = Qforge("quantize " + kF32 + " -r Q4_K_M -o " + Path("a.gguf") + " --imatrix " +
                           Path("not.imatrix"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("not.imatrix"));
  EXPECT_FALSE(std::filesystem::exists(Path("a.gguf")));
  r = Qforge("quantize " + kF32 + " -r nf4 --format bnb-nf4 -o " + Path("hf") + " --imatrix " +
             Path("not.imatrix"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--format gguf"));
}

}  // namespace
}  // namespace qforge
