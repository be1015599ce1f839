// The qforge binary end to end: every verb has --help, bad input gives exit code 2 and one error
// line naming the file, and the main verbs print what the README promises.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/paths.h"
#include "support/run_command.h"

namespace qforge {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::CommandResult;
using test::Qforge;

std::string TempPath(const std::string& name) {
  return (fs::temp_directory_path() / ("qforge-cli-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(Cli, EveryVerbHasHelp) {
  for (const char* verb : {"inspect", "convert", "generate", "ppl"}) {
    const CommandResult r = Qforge(std::string(verb) + " --help");
    EXPECT_EQ(r.code, 0) << verb;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << verb;
  }
}

TEST(Cli, BadInputIsExitCodeTwoWithOneLine) {
  const std::string bad = TempPath("corrupt.gguf");
  std::ofstream(bad) << "GGUF this is not a real header";
  const std::string missing = TempPath("absent.bin");
  for (const std::string& model : {bad, missing}) {
    const CommandResult r = Qforge("inspect " + model);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_THAT(r.out, HasSubstr(model));
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
  fs::remove(bad);
}

TEST(Cli, MissingTokenizerIsNamed) {
  const std::string dir = TempPath("notok");
  fs::create_directories(dir);
  fs::copy_file(test::Source("models/stories260K/stories260K.bin"), dir + "/model.bin");
  const CommandResult r = Qforge("generate " + dir + "/model.bin -n 4");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("no tokenizer"));
  EXPECT_THAT(r.out, HasSubstr("--tokenizer"));
  fs::remove_all(dir);
}

TEST(Cli, InspectDefaultModel) {
  const CommandResult r = Qforge("inspect");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("dim 64, ffn 172, 5 layers, 8 heads (4 kv"));
  EXPECT_THAT(r.out, HasSubstr("blk.4.ffn_down.weight"));
  EXPECT_THAT(r.out, HasSubstr("0 NaN, 0 Inf"));
}

TEST(Cli, PerplexityPrintsLlamaCppStyleFinalEstimate) {
  const CommandResult r = Qforge(
      "ppl " + test::Shared("models/stories260K/stories260K.bin") + " --text " +
      test::Shared("data/tinystories/tinystories_valid_head.txt") + " --ctx 128 --chunks 40 -t 2");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("[1]3.5357,"));
  EXPECT_THAT(r.out, HasSubstr("Final estimate: PPL = 3.7546"));  // reference 3.754643
}

TEST(Cli, GreedyGenerationIsReproducible) {
  const CommandResult a = Qforge("generate -p \"Once upon a time\" -n 30");
  EXPECT_EQ(a.code, 0) << a.out;
  EXPECT_THAT(a.out, HasSubstr("Once upon a time, there was a little girl named Lily."));
  const CommandResult s1 = Qforge("generate --json --temp 0.8 --seed 7 -n 30 -t 1");
  const CommandResult s2 = Qforge("generate --json --temp 0.8 --seed 7 -n 30 -t 2");
  ASSERT_EQ(s1.code, 0) << s1.out;
  const auto tokens = [](const std::string& out) {
    return out.substr(out.find("\"tokens\""), out.find("\"text\"") - out.find("\"tokens\""));
  };
  EXPECT_EQ(tokens(s1.out), tokens(s2.out));
}

TEST(Cli, ConvertRefusesToOverwriteItsInput) {
  const std::string copy = TempPath("self.gguf");
  fs::copy_file(test::Shared("reference/stories260K/llamacpp/stories260K-f32.gguf"), copy);
  const auto before = fs::file_size(copy);
  const CommandResult r = Qforge("convert " + copy + " -o " + copy);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_EQ(fs::file_size(copy), before);
  fs::remove(copy);
}

}  // namespace
}  // namespace qforge
