// qforge bench end to end on stories260K with tiny sizes: JSON, CSV and Markdown carry
// llama-bench's fields and columns with consistent numbers; --machine runs on a tiny array; bad
// flags are clear errors. No timing is asserted (the machine is shared).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/paths.h"
#include "support/run_command.h"

namespace qforge {
namespace {
using test::Qforge;
using test::RunCommand;
using ::testing::HasSubstr;

std::string Stories() { return test::Source("models/stories260K/stories260K.bin"); }

// stdout only (stderr carries notes).
test::CommandResult Bench(const std::string& args) {
  return RunCommand(test::Binary() + " -q bench " + args + " 2>/dev/null");
}

TEST(BenchCli, JsonHasLlamaBenchFieldsAndConsistentNumbers) {
  const auto r = Bench(Stories() + " -p 8 -n 4 -r 2 -t 1,2 -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 4u);  // {pp8, tg4} x {1, 2} threads
  for (const auto& rec : j) {
    for (const char* key :
         {"model_filename", "model_type", "model_size", "model_n_params", "n_threads", "n_prompt",
          "n_gen", "test_time", "avg_ns", "stddev_ns", "avg_ts", "stddev_ts", "samples_ns",
          "samples_ts", "load_ms", "peak_rss_bytes", "weight_bytes_per_token", "decode_gbps"})
      EXPECT_TRUE(rec.contains(key)) << key;
    EXPECT_EQ(rec["samples_ns"].size(), 2u);
    EXPECT_GT(rec["avg_ts"].get<double>(), 0);
    // avg_ts is the mean of the per-sample tokens/s, each tokens * 1e9 / ns.
    const int tokens = rec["n_prompt"].get<int>() + rec["n_gen"].get<int>();
    double mean = 0;
    for (const auto& ns : rec["samples_ns"]) mean += tokens * 1e9 / ns.get<double>() / 2;
    EXPECT_NEAR(rec["avg_ts"].get<double>(), mean, 1e-6 * mean);
    // stories260K: 260K f32 parameters, classifier tied to the embedding.
    EXPECT_EQ(rec["model_n_params"].get<int64_t>() * 4, rec["model_size"].get<int64_t>());
    EXPECT_THAT(rec["model_type"].get<std::string>(), HasSubstr("F32"));
  }
  EXPECT_EQ(j[0]["n_prompt"], 8);
  EXPECT_EQ(j[0]["n_threads"], 1);
  EXPECT_EQ(j[1]["n_gen"], 4);
  EXPECT_EQ(j[3]["n_threads"], 2);
  // Decode reads every linear weight, the (tied) classifier and one embedding row.
  const int64_t per_token = j[1]["weight_bytes_per_token"].get<int64_t>();
  const int64_t dim = 64, hidden = 172, layers = 5, kv = 32, vocab = 512;
  EXPECT_EQ(per_token,
            4 * (layers * (2 * dim * dim + 2 * kv * dim + 3 * hidden * dim) + vocab * dim + dim));
  EXPECT_NEAR(j[1]["decode_gbps"].get<double>(), per_token * j[1]["avg_ts"].get<double>() / 1e9,
              1e-9);
}

TEST(BenchCli, CsvAndMarkdown) {
  auto r = Bench(Stories() + " -p 8 -n 4 -r 1 -t 1 -o csv");
  ASSERT_EQ(r.code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string header, pp, tg, extra;
  std::getline(lines, header);
  std::getline(lines, pp);
  std::getline(lines, tg);
  EXPECT_FALSE(std::getline(lines, extra));
  for (const char* key :
       {"model_filename", "model_type", "model_size", "model_n_params", "n_threads", "n_prompt",
        "n_gen", "test_time", "avg_ns", "stddev_ns", "avg_ts", "stddev_ts"})
    EXPECT_THAT(header, HasSubstr(key));
  EXPECT_THAT(pp, HasSubstr("\"8\",\"0\""));  // n_prompt, n_gen
  EXPECT_THAT(tg, HasSubstr("\"0\",\"4\""));

  r = Bench(Stories() + " -p 8 -n 4 -r 1 -t 1 -o md");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* column : {"model", "size", "params", "backend", "threads", "test", "t/s"})
    EXPECT_THAT(r.out, ::testing::ContainsRegex(std::string("\\| +") + column + " +\\|")) << column;
  EXPECT_THAT(r.out, HasSubstr("| pp8"));
  EXPECT_THAT(r.out, HasSubstr("| tg4"));
  EXPECT_THAT(r.out, HasSubstr("| CPU"));
  EXPECT_THAT(r.out, HasSubstr("peak RSS"));
}

TEST(BenchCli, MachineProbeOnATinyArray) {
  auto r = Bench("--machine --machine-elements 100000 -t 1,2 -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["array_elements"], 100000);
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_GT(j["results"][1]["triad_gbps"].get<double>(), 0);
  // With a model, decode GB/s is shown against the probe.
  r = Bench(Stories() + " --machine --machine-elements 100000 -t 1 -p 0 -n 4 -r 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("% mem BW"));
  EXPECT_THAT(r.out, HasSubstr("machine bandwidth"));
}

TEST(BenchCli, BadFlagsAreClearErrors) {
  auto r = Qforge("bench " + Stories() + " -o xml");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("known: table, json, csv, md"));
  r = Qforge("bench " + Stories() + " -r 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("--repetitions"));
  r = Qforge("bench " + Stories() + " -t 0");
  EXPECT_EQ(r.code, 2);
  r = Qforge("bench /nonexistent.gguf");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("/nonexistent.gguf"));
}

}  // namespace
}  // namespace qforge
