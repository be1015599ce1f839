// qforge eval / gate / report / suite end to end on the test-bed model (subsets, so each test takes
// a few seconds): Q8_0 passes a 2% gate, llama.cpp's Q2_K fails it naming arithmetic, bad input
// is exit code 2 with one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::CommandResult;
using test::Qforge;

class EvalCli : public test::TempDirTest {
 protected:
  // A suite of the shared suite's cases whose ids are listed.
  std::string SubSuite(const std::string& name, const std::vector<std::string>& ids) {
    std::ifstream in(test::Shared("models/testbed/suites/" + name + ".jsonl"));
    const std::string path = Path(name + ".jsonl");
    std::ofstream out(path);
    std::string line;
    while (std::getline(in, line))
      for (const std::string& id : ids)
        if (line.find("\"id\": \"" + id + "\"") != std::string::npos) out << line << "\n";
    return path;
  }

  // eval of a llama.cpp test-bed file against the f32 model on small subsets.
  CommandResult Eval(const std::string& type, const std::string& out) {
    // sum-010/071/098 and cap-051/068 are among the cases Q2_K gets wrong on the full suites
    // (README table); the others stay right.
    const std::string arith =
        SubSuite("arithmetic", {"sum-000", "sum-001", "sum-010", "sum-071", "sum-098"});
    const std::string facts = SubSuite("facts", {"cap-000", "cap-051", "cap-068"});
    const std::string choice = SubSuite("facts_choice", {"cc-000", "cc-001"});
    return Qforge("-q eval " + test::Shared("reference/testbed/llamacpp/" + type + ".gguf") +
                  " --baseline " + test::Shared("models/testbed/testbed.bin") + " --tokenizer " +
                  test::Shared("models/testbed/tokenizer.model") + " --suite " + arith +
                  " --suite " + facts + " --suite " + choice + " --text " +
                  test::Shared("models/testbed/heldout.txt") +
                  " --ctx 256 --chunks 4 --resamples 200 -t 2 --baseline-cache " + Path("cache") +
                  " -o " + out);
  }
};

TEST_F(EvalCli, Q8_0PassesAndQ2_KFailsNamingTheCapability) {
  const CommandResult q8 = Eval("Q8_0", Path("q8.json"));
  ASSERT_EQ(q8.code, 0) << q8.out;
  EXPECT_THAT(q8.out, HasSubstr("arithmetic: 100.0% -> 100.0%"));
  const CommandResult pass = Qforge("gate " + Path("q8.json") + " --max-regression 0.02");
  EXPECT_EQ(pass.code, 0) << pass.out;
  EXPECT_THAT(pass.out, HasSubstr("qforge gate: PASS"));

  const CommandResult q2 = Eval("Q2_K", Path("q2.json"));
  ASSERT_EQ(q2.code, 0) << q2.out;
  const auto report = nlohmann::json::parse(std::ifstream(Path("q2.json")));
  EXPECT_EQ(report["schema_version"], 1);
  EXPECT_TRUE(report["suites"][0]["baseline_from_cache"].get<bool>());  // cached by the Q8_0 run
  const CommandResult fail = Qforge("gate " + Path("q2.json") + " --max-regression 0.02 --junit " +
                                    Path("gate.xml") + " --markdown " + Path("gate.md"));
  EXPECT_EQ(fail.code, 1) << fail.out;
  EXPECT_THAT(fail.out, HasSubstr("capability arithmetic"));
  EXPECT_THAT(fail.out, HasSubstr("FAIL"));
  EXPECT_TRUE(fs::exists(Path("gate.xml")));
  EXPECT_TRUE(fs::exists(Path("gate.md")));
  // A looser limit for arithmetic alone, and on PPL, lets it pass.
  const CommandResult loose = Qforge("gate " + Path("q2.json") +
                                     " --capability arithmetic=1 --capability factual=1 "
                                     "--metric ppl=0.2");
  EXPECT_EQ(loose.code, 0) << loose.out;

  const CommandResult html =
      Qforge("report " + Path("q8.json") + " " + Path("q2.json") + " -o " + Path("r.html"));
  EXPECT_EQ(html.code, 0) << html.out;
  std::ifstream in(Path("r.html"));
  const std::string page((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(page, HasSubstr("Precision ladder"));
  EXPECT_THAT(page, HasSubstr("Q2_K.gguf"));
}

TEST_F(EvalCli, BadInputIsExitCodeTwoWithOneLine) {
  std::ofstream(Path("bad.json")) << "{\"schema_version\": 1}";
  for (const std::string& args :
       {"gate " + Path("bad.json"), "report " + Path("bad.json") + " -o " + Path("x.html"),
        "gate " + Path("bad.json") + " --capability nonsense"}) {
    const CommandResult r = Qforge(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
  std::ofstream(Path("bad.jsonl")) << "{\"id\": \"a\", \"kind\": \"generate\"}\n";
  const CommandResult r = Qforge("eval " + test::Shared("models/testbed/testbed.bin") +
                                 " --baseline " + test::Shared("models/testbed/testbed.bin") +
                                 " --suite " + Path("bad.jsonl") + " -o " + Path("o.json"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("bad.jsonl:1: missing field \"prompt\""));
}

TEST(EvalCliHelp, EveryNewVerbHasHelp) {
  for (const char* verb : {"eval", "gate", "report", "suite", "suite import"}) {
    const CommandResult r = Qforge(std::string(verb) + " --help");
    EXPECT_EQ(r.code, 0) << verb;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << verb;
  }
}

TEST_F(EvalCli, SuiteImport) {
  const CommandResult r =
      Qforge("-q suite import --arc " + test::Shared("data/arc-easy/validation.json") +
             " --limit 5 -o " + Path("arc.jsonl"));
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(Path("arc.jsonl"));
  std::string first;
  std::getline(in, first);
  EXPECT_THAT(first, HasSubstr("\"prompt\":\"Question: Which technology was developed most "
                               "recently?\\nAnswer:\""));
  EXPECT_EQ(Qforge("suite import -o " + Path("x.jsonl")).code, 2);
}

}  // namespace
}  // namespace qforge
