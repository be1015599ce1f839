// qforge eval's leakage section: a candidate whose GGUF metadata names its calibration file gets
// the overlap check in report.json; an unreadable file is reported, never fatal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "qforge/io/gguf_file.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/io/mapped_file.h"
#include "support/paths.h"
#include "support/run_command.h"

namespace qforge {
namespace {
namespace fs = std::filesystem;

const std::string kHeldout = test::Shared("models/testbed/heldout.txt");

class LeakageEval : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qforge-leak-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The llama.cpp Q8_0 test-bed file, re-written with calibration metadata added.
  std::string Candidate(const std::string& calib_file, const std::string& sha256) {
    const auto mapped = io::MappedFile::Open(test::Shared("reference/testbed/llamacpp/Q8_0.gguf"));
    const io::GgufFile in = io::GgufFile::Parse(mapped->bytes(), mapped->path());
    io::GgufWriter out(in.alignment());
    for (const auto& [key, value] : in.kvs())
      if (key != "general.alignment") out.Add(key, value);
    out.Add("qforge.calibration.file", io::GgufValue(calib_file));
    if (!sha256.empty()) out.Add("qforge.calibration.sha256", io::GgufValue(sha256));
    for (const io::GgufTensorInfo& t : in.tensors())
      out.AddTensor(t.name, t.type, t.shape, mapped->bytes().subspan(t.offset, t.nbytes));
    const std::string path = (dir_ / "cand.gguf").string();
    out.Write(path);
    return path;
  }

  nlohmann::json Eval(const std::string& candidate) {
    const std::string report = (dir_ / "report.json").string();
    const test::CommandResult r = test::Qforge(
        "-q eval " + candidate + " --baseline " + test::Shared("models/testbed/testbed.bin") +
        " --tokenizer " + test::Shared("models/testbed/tokenizer.model") + " --text " + kHeldout +
        " --ctx 64 --chunks 1 --resamples 100 -t 2 -o " + report);
    EXPECT_EQ(r.code, 0) << r.out;
    std::ifstream in(report);
    return nlohmann::json::parse(in);
  }

  fs::path dir_;
};

TEST_F(LeakageEval, CalibrationFileThatIsTheEvalTextIsReported) {
  // The reference digest comes from sha256sum, not from qforge.
  std::string sha = test::RunCommand("sha256sum " + kHeldout).out.substr(0, 64);
  const nlohmann::json leak = Eval(Candidate(kHeldout, sha))["leakage"];
  EXPECT_EQ(leak["checked"], true);
  EXPECT_EQ(leak["sha256_match"], true);
  EXPECT_EQ(leak["ngram"], 13);
  // Every 13-gram of heldout.txt (10580, from janitor.py's normalization in Python) overlaps.
  EXPECT_EQ(leak["eval_ngrams"], 10580);
  EXPECT_EQ(leak["overlapping"], 10580);
  EXPECT_EQ(leak["fraction"], 1.0);
  EXPECT_EQ(leak["contaminated_ids"][0], "heldout.txt:1");
  EXPECT_LE(leak["contaminated"].size(), 10u);
}

TEST_F(LeakageEval, MissingFileIsNotCheckedAndWrongHashIsFalse) {
  const nlohmann::json missing = Eval(Candidate("/nonexistent/calib.txt", ""))["leakage"];
  EXPECT_EQ(missing["checked"], false);
  EXPECT_THAT(missing["reason"].get<std::string>(), ::testing::HasSubstr("calib.txt"));
  const nlohmann::json wrong = Eval(Candidate(kHeldout, std::string(64, '0')))["leakage"];
  EXPECT_EQ(wrong["sha256_match"], false);
}

TEST_F(LeakageEval, NoCalibrationMetadataNoSection) {
  EXPECT_FALSE(Eval(test::Shared("reference/testbed/llamacpp/Q8_0.gguf")).contains("leakage"));
}

}  // namespace
}  // namespace qforge
