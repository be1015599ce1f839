// qforge recommend from the command line: the seeds' 70B-on-A100 example as a table and as JSON,
// a model file sized exactly, and bad flags as exit code 2 with the value named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/run_command.h"

namespace qforge {
namespace {
using test::Qforge;
using ::testing::AnyOf;
using ::testing::HasSubstr;

TEST(RecommendCli, SeventyBillionOnAnA100) {
  const auto r = Qforge("recommend --params 70B --memory 80GB --hardware a100");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out,
              AnyOf(HasSubstr("recommended: gptq-w4g128"), HasSubstr("recommended: awq-w4g128")));
  EXPECT_THAT(r.out, HasSubstr("2 x 80 layers x 8 kv heads x 128 head dim x 4096 ctx x 1 batch"));
  EXPECT_THAT(r.out, HasSubstr("qforge quantize MODEL -r "));
  EXPECT_THAT(r.out, HasSubstr("--calib calib.txt"));
  EXPECT_THAT(r.out, HasSubstr("excluded:\n  fp8-e4m3"));

  const auto j =
      Qforge("-q recommend --params 70B --memory 80GB --hardware a100 --json --calib no");
  ASSERT_EQ(j.code, 0) << j.out;
  const nlohmann::json doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["recommended"], "int4-g128-asym");
  EXPECT_EQ(doc["memory_bytes"], 80e9);
  EXPECT_EQ(doc["calib"], false);
}

TEST(RecommendCli, ModelFileIsSizedExactly) {
  const std::string model = test::Shared("models/stories260K/stories260K.bin");
  const auto r = Qforge("-q recommend " + model + " --hardware cpu --ctx 512 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["model"]["params"], 260032);
  EXPECT_EQ(doc["kv_cache"]["bytes"], 327680.0);  // 2 x 5 x 4 x 8 x 512 x 2
  EXPECT_EQ(doc["recommended"], "Q4_K_M");
  EXPECT_THAT(doc["options"][0]["commands"][0].get<std::string>(),
              HasSubstr("qforge quantize " + model + " -r Q4_K_M -o model-Q4_K_M.gguf"));
}

TEST(RecommendCli, BadFlagsExitTwo) {
  const auto memory = Qforge("recommend --params 7B --memory 80XB");
  EXPECT_EQ(memory.code, 2);
  EXPECT_THAT(memory.out, HasSubstr("--memory '80XB'"));
  EXPECT_THAT(memory.out, HasSubstr("GiB is 2^30"));
  const auto params = Qforge("recommend --params seven");
  EXPECT_EQ(params.code, 2);
  EXPECT_THAT(params.out, HasSubstr("--params 'seven'"));
  const auto hardware = Qforge("recommend --params 7B --hardware tpu");
  EXPECT_EQ(hardware.code, 2);
  EXPECT_THAT(hardware.out, HasSubstr("not one of cpu, a10g"));
  const auto neither = Qforge("recommend");
  EXPECT_EQ(neither.code, 2);
  EXPECT_THAT(neither.out, HasSubstr("--params"));
  EXPECT_EQ(Qforge("recommend --params 7B --quality best").code, 2);
}

}  // namespace
}  // namespace qforge
