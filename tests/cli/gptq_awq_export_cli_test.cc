// qforge quantize --format gptq|awq end to end: the directory runs in qforge with exactly the
// perplexity of the same recipe applied in memory (the group types round-trip bit for bit), and
// recipes the format cannot hold are errors naming the tensor and the type.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "qforge/io/hf_checkpoint.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {
namespace fs = std::filesystem;
using test::CommandResult;
using test::Qforge;
using ::testing::HasSubstr;

class GptqAwqCli : public test::TempDirTest {};

const std::string kTestbed = test::Shared("models/testbed/hf");
const std::string kPplArgs =
    " --text " + test::Shared("models/testbed/heldout.txt") + " --ctx 128 --chunks 2 -t 2";

// The per-chunk values and the final estimate of a ppl run (timings dropped).
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
  EXPECT_THAT(PplLines(a), HasSubstr("Final estimate"));
  EXPECT_EQ(PplLines(a), PplLines(b));
}

TEST_F(GptqAwqCli, GptqDirectoryRunsWithTheInMemoryPerplexity) {
  const std::string out = Path("gptq");
  const CommandResult q =
      Qforge("quantize " + kTestbed + " -o " + out + " --recipe int4-g128 --format gptq");
  ASSERT_EQ(q.code, 0) << q.out;
  for (const char* f : {"model.safetensors", "config.json", "quantize_config.json"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  EXPECT_EQ(io::LoadHfCheckpoint(out).Get("blk.0.ffn_up.weight").type, QType::kINT4_G128);
  ExpectSamePpl(out, "int4-g128");
}

TEST_F(GptqAwqCli, AwqDirectoryRunsWithTheInMemoryPerplexity) {
  const std::string out = Path("awq");
  const CommandResult q =
      Qforge("quantize " + kTestbed + " -o " + out + " --recipe int4-g128-asym --format awq");
  ASSERT_EQ(q.code, 0) << q.out;
  EXPECT_EQ(io::LoadHfCheckpoint(out).Get("blk.0.attn_k.weight").type, QType::kINT4_G128_Z);
  ExpectSamePpl(out, "int4-g128-asym");
}

TEST_F(GptqAwqCli, PerRowScalesAreRoundedWithANote) {
  const CommandResult q =
      Qforge("quantize " + kTestbed + " -o " + Path("g8") + " --recipe int8 --format gptq");
  ASSERT_EQ(q.code, 0) << q.out;
  EXPECT_THAT(q.out, HasSubstr("rounded to f16"));
  EXPECT_EQ(io::LoadHfCheckpoint(Path("g8")).Get("blk.1.attn_output.weight").type, QType::kINT8);
}

TEST_F(GptqAwqCli, TypesTheFormatCannotHoldAreNamed) {
  const CommandResult k =
      Qforge("quantize " + kTestbed + " -o " + Path("x") + " --recipe Q4_K_M --format gptq");
  EXPECT_EQ(k.code, 2) << k.out;
  EXPECT_THAT(k.out, HasSubstr("the gptq format needs linear weights of an INT type"));
  const CommandResult a =
      Qforge("quantize " + kTestbed + " -o " + Path("y") + " --recipe int8 --format awq");
  EXPECT_EQ(a.code, 2) << a.out;
  EXPECT_THAT(a.out, HasSubstr("is INT8: the awq format holds INT4_Gg/INT4_Gg_Z"));
  const std::string mixed = Path("mixed.json");
  std::ofstream(mixed) << R"({"name": "mixed", "default": "INT4_G128", "rules": [
      {"match": "token_embd.weight", "type": "F16"}, {"match": "output.weight", "type": "F16"},
      {"match": "blk.*.ffn_down.weight", "type": "INT4_G32"}]})";
  const CommandResult m =
      Qforge("quantize " + kTestbed + " -o " + Path("z") + " --recipe " + mixed + " --format gptq");
  EXPECT_EQ(m.code, 2) << m.out;
  EXPECT_THAT(m.out, HasSubstr("one bits and group_size for every layer"));
  for (const char* d : {"x", "y", "z"}) EXPECT_FALSE(fs::exists(Path(d))) << d;
}

}  // namespace
}  // namespace qforge
