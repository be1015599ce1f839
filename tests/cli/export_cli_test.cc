// qforge quantize --format bnb-nf4|fp8 end to end: the directory runs in qforge (inspect, ppl) with
// exactly the perplexity of the same recipe applied in memory (same bytes, same kernels), an
// adjacent-pair (llama2.c) source gets its q/k rows in rotate-half order, and recipes whose types
// the format cannot hold are errors naming the tensor and the type.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "qforge/io/hf_checkpoint.h"
#include "support/paths.h"
#include "support/run_command.h"

namespace qforge {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::CommandResult;
using test::Qforge;

class ExportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("qforge-export-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

const std::string kTestbed = test::Shared("models/testbed/hf");
// Two chunks of 128 tokens of held-out text: enough to exercise every tensor, fast.
const std::string kPplArgs =
    " --text " + test::Shared("models/testbed/heldout.txt") + " --ctx 128 --chunks 2 -t 2";

// The per-chunk values "[1]17.4181," ... and the final estimate of a ppl run (timings dropped).
std::string PplLines(const CommandResult& r) {
  static const std::regex kValue(R"((\[\d+\][0-9.]+,|Final estimate: [^\n]*))");
  std::string values;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), kValue), end; it != end; ++it)
    values += it->str() + "\n";
  return values;
}

void ExpectSamePpl(const std::string& exported, const std::string& recipe) {
  const CommandResult a = Qforge("ppl " + exported + kPplArgs);
  const CommandResult b = Qforge("ppl " + kTestbed + " --recipe " + recipe + kPplArgs);
  ASSERT_EQ(a.code, 0) << a.out;
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_THAT(PplLines(a), HasSubstr("[2]"));
  EXPECT_THAT(PplLines(a), HasSubstr("Final estimate"));
  EXPECT_EQ(PplLines(a), PplLines(b));
}

TEST_F(ExportCli, BnbNf4DirectoryRunsWithTheInMemoryPerplexity) {
  const std::string out = Path("nf4");
  const CommandResult q =
      Qforge("quantize " + kTestbed + " -o " + out + " --recipe nf4 --format bnb-nf4");
  ASSERT_EQ(q.code, 0) << q.out;
  for (const char* f : {"model.safetensors", "config.json", "tokenizer.model"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  const Checkpoint back = io::LoadHfCheckpoint(out);
  EXPECT_EQ(back.Get("blk.0.attn_q.weight").type, QType::kNF4);
  EXPECT_EQ(back.Get("token_embd.weight").type, QType::kF16);
  EXPECT_THAT(back.metadata.at("safetensors.qforge.recipe"), HasSubstr("nf4"));
  EXPECT_TRUE(back.metadata.count("safetensors.qforge.version"));
  const CommandResult inspect = Qforge("inspect " + out);
  EXPECT_EQ(inspect.code, 0) << inspect.out;
  EXPECT_THAT(inspect.out, HasSubstr("NF4"));
  ExpectSamePpl(out, "nf4");
  // A second run onto the same directory needs --force.
  EXPECT_EQ(Qforge("quantize " + kTestbed + " -o " + out + " --recipe nf4 --format bnb-nf4").code,
            2);
}

TEST_F(ExportCli, BnbNf4DoubleQuantEqualsInMemoryNf4Dq) {
  const std::string out = Path("nf4dq");
  const CommandResult q =
      Qforge("quantize " + kTestbed + " -o " + out + " --recipe nf4-dq --format bnb-nf4");
  ASSERT_EQ(q.code, 0) << q.out;
  EXPECT_EQ(io::LoadHfCheckpoint(out).Get("blk.1.ffn_down.weight").type, QType::kNF4_DQ);
  ExpectSamePpl(out, "nf4-dq");
}

TEST_F(ExportCli, Fp8DirectoryIsPerTensorAndMatchesInMemory) {
  const std::string recipe = Path("fp8t.json");
  std::ofstream(recipe) << R"({"name": "fp8-tensor", "default": "FP8_E4M3_T", "rules": [
      {"match": "token_embd.weight", "type": "F16"}, {"match": "output.weight", "type": "F16"}]})";
  const std::string out = Path("fp8");
  const CommandResult q =
      Qforge("quantize " + kTestbed + " -o " + out + " --recipe fp8-e4m3 --format fp8");
  ASSERT_EQ(q.code, 0) << q.out;
  EXPECT_THAT(q.out, HasSubstr("per tensor"));
  EXPECT_EQ(io::LoadHfCheckpoint(out).Get("blk.2.ffn_up.weight").type, QType::kFP8_E4M3_T);
  ExpectSamePpl(out, recipe);
}

// stories260K is a llama2.c model (adjacent-pair RoPE): the export permutes q/k rows to rotate-half
// order, and the reader's rotate-half forward pass then computes the same model. Rows move whole,
// so the weights are the same numbers; only the order of float sums inside attention changes, so
// the perplexity agrees to a few ulps of its printed 4 decimals (1e-3 relative is generous).
TEST_F(ExportCli, AdjacentPairSourceIsPermutedToRotateHalf) {
  const std::string src = test::Source("models/stories260K/stories260K.bin");
  const std::string out = Path("stories");
  const std::string recipe = Path("fp8s.json");
  std::ofstream(recipe) << R"({"name": "fp8-tensor", "default": "FP8_E4M3_T", "rules": [
      {"match": "token_embd.weight", "type": "F32"}, {"match": "output.weight", "type": "F32"}]})";
  const CommandResult q =
      Qforge("quantize " + src + " -o " + out + " --recipe " + recipe +
             " --format fp8 --tokenizer " + test::Source("models/stories260K/tok512.model"));
  ASSERT_EQ(q.code, 0) << q.out;
  const std::string text = " --text " +
                           test::Shared("data/tinystories/tinystories_valid_head.txt") +
                           " --ctx 128 --chunks 4 -t 2";
  const CommandResult a = Qforge("ppl " + out + text);
  const CommandResult b = Qforge("ppl " + src + " --recipe " + recipe + text);
  ASSERT_EQ(a.code, 0) << a.out;
  ASSERT_EQ(b.code, 0) << b.out;
  const auto ppl = [](const std::string& s) { return std::stod(s.substr(s.find("PPL = ") + 6)); };
  EXPECT_NEAR(ppl(a.out), ppl(b.out), 1e-3 * ppl(b.out)) << a.out << b.out;
}

TEST_F(ExportCli, TypesTheFormatCannotHoldAreNamed) {
  const CommandResult r =
      Qforge("quantize " + kTestbed + " -o " + Path("x") + " --recipe Q4_K_M --format fp8");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("tensor 'token_embd.weight' is Q6_K: the fp8 format"));
  EXPECT_FALSE(fs::exists(Path("x")));
  const CommandResult bad =
      Qforge("quantize " + kTestbed + " -o " + Path("y") + " --recipe nf4 --format awq-ish");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("awq-ish"));
}

}  // namespace
}  // namespace qforge
