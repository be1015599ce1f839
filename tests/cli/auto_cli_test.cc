// qforge auto from the command line: the README's main job on the bundled model (outputs, the
// recommendation line, the budget on disk, resuming from the cache), no pass (exit 1), bad input
// (exit 2).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {

using test::Qforge;
using test::Source;

class AutoCliTest : public test::TempDirTest {
 protected:
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static std::string LastLine(const std::string& out) {
    std::string s = out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s.substr(s.rfind('\n') + 1);
  }
  std::string Suites() const {
    return " --suite " + Source("data/suites/story_choice.jsonl") + " --suite " +
           Source("data/suites/story_words.jsonl");
  }
};

// The main job (gate 5%, budget 1 MB) with 2 text chunks and the ladder only, to stay fast.
TEST_F(AutoCliTest, MainJobOnTheBundledModel) {
  const std::string out = Path("out");
  const std::string cmd =
      "auto" + Suites() + " --max-regression 0.05 --budget 1MB --chunks 2 --no-mixed -o " + out;
  const test::CommandResult r = Qforge(cmd);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string line = LastLine(r.out);
  EXPECT_EQ(line.rfind("the smallest precision that passes is ", 0), 0u) << r.out;
  for (const char* f : {"model.gguf", "recipe.json", "auto.json", "report.html"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  const nlohmann::json a = nlohmann::json::parse(Read(out + "/auto.json"));
  ASSERT_TRUE(a["chosen"].is_string());
  EXPECT_NE(line.find(a["chosen"].get<std::string>()), std::string::npos);
  const int chosen = a["chosen_index"].get<int>();
  EXPECT_EQ(a["rungs"][chosen]["real_bytes"].get<uint64_t>(),
            std::filesystem::file_size(out + "/model.gguf"));
  EXPECT_LE(std::filesystem::file_size(out + "/model.gguf"), 1000000u);
  // Every ladder rung below the choice was evaluated and failed.
  for (int i = 0; i < chosen; ++i)
    if (a["rungs"][i]["stage"] == "ladder") {
      EXPECT_FALSE(a["rungs"][i]["passed"].get<bool>()) << i;
    }
  const std::string html = Read(out + "/report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("(chosen)"), std::string::npos);
  // The written model runs.
  EXPECT_EQ(Qforge("-q generate " + out + "/model.gguf -p \"Once upon a time\" -n 8").code, 0);

  // Resume: delete the model and re-run; nothing is evaluated again, same bytes.
  const std::string model = Read(out + "/model.gguf");
  std::filesystem::remove(out + "/model.gguf");
  const test::CommandResult again = Qforge(cmd);
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(LastLine(again.out), line);
  EXPECT_EQ(Read(out + "/model.gguf"), model);
  const nlohmann::json b = nlohmann::json::parse(Read(out + "/auto.json"));
  for (const auto& rung : b["rungs"])
    if (rung["evaluated"].get<bool>()) {
      EXPECT_TRUE(rung["cached"].get<bool>()) << rung["label"];
    }
}

TEST_F(AutoCliTest, NothingPassesExitsOne) {
  const test::CommandResult r = Qforge(
      "auto --ladder Q2_K,Q3_K_M --metric kld=0.000001 --no-mixed --chunks 2 -o " + Path("out"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(LastLine(r.out).find("no precision within the budget passes"), std::string::npos)
      << r.out;
  EXPECT_NE(LastLine(r.out).find("fallback: the baseline"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(Path("out/model.gguf")));
  EXPECT_TRUE(std::filesystem::exists(Path("out/auto.json")));
}

TEST_F(AutoCliTest, BadInput) {
  const std::string o = " -o " + Path("out");
  test::CommandResult r = Qforge("auto --ladder Q4_K_M,Q9_K" + o);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("Q9_K"), std::string::npos) << r.out;
  r = Qforge("auto --budget 12XB" + o);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("12XB"), std::string::npos) << r.out;
  r = Qforge("auto --suite " + Path("missing.jsonl") + o);
  EXPECT_EQ(r.code, 2) << r.out;
  r = Qforge("auto --ladder int8" + o);
  EXPECT_EQ(r.code, 2) << r.out;
  r = Qforge("auto --ladder Q4_K_M --mix-from Q2_K" + o);
  EXPECT_EQ(r.code, 2) << r.out;
  std::ofstream(Path("file")) << "x";
  r = Qforge("auto -o " + Path("file"));
  EXPECT_EQ(r.code, 2) << r.out;
}

}  // namespace
}  // namespace qforge
