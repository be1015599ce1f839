// The calibrated methods from the command line: quantize --calib records the calibration file and
// its SHA-256 in the GGUF (so eval can check for leakage), GPTQ's Q4_0 file runs in `ppl`,
// `calib imatrix` writes an importance matrix that quantize --imatrix reads, GPTQ exports in the
// GPTQ layout, and a calibrated recipe without --calib is a clear error.
#include <gtest/gtest.h>

#include "qforge/io/imatrix_file.h"
#include "qforge/io/load_checkpoint.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {

using test::Qforge;

const std::string kTestbed = test::Shared("models/testbed/testbed.bin");
const std::string kCalib = test::Shared("models/testbed/calib.txt");
const std::string kSmall = " --calib " + kCalib + " --calib-samples 4 --calib-tokens 64";

class CalibratedCli : public test::TempDirTest {};

TEST_F(CalibratedCli, GptqGgufRecordsCalibrationAndRuns) {
  const std::string out = Path("gptq.gguf");
  const auto q = Qforge("quantize " + kTestbed + " -r gptq-q4_0 -o " + out + kSmall);
  ASSERT_EQ(q.code, 0) << q.out;
  EXPECT_NE(q.out.find("blk.3.ffn_down.weight"), std::string::npos) << q.out;  // the per-layer table
  const Checkpoint ckpt = io::LoadCheckpoint(out);
  EXPECT_EQ(ckpt.Get("blk.0.attn_q.weight").type, QType::kQ4_0);
  EXPECT_EQ(ckpt.metadata.at("qforge.calibration.file"), kCalib);
  EXPECT_EQ(ckpt.metadata.at("qforge.calibration.sha256").size(), 64u);
  const auto ppl = Qforge("-q ppl " + out + " --text " +
                          test::Shared("models/testbed/heldout.txt") + " --ctx 128 --chunks 4");
  ASSERT_EQ(ppl.code, 0) << ppl.out;
  EXPECT_NE(ppl.out.find("Final estimate"), std::string::npos);
}

TEST_F(CalibratedCli, MissingCalibrationIsAnError) {
  const auto r = Qforge("-q quantize " + kTestbed + " -r awq-w4g128 -o " + Path("x.gguf"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--calib"), std::string::npos) << r.out;
  const auto e = Qforge("-q ppl " + kTestbed + " -r w8a8-smoothquant --text " + kCalib);
  EXPECT_EQ(e.code, 2) << e.out;
  const auto bad = Qforge("-q quantize " + kTestbed + " -r gptq-w4g128 -o " + Path("y.gguf") +
                          " --calib " + Path("missing.txt"));
  EXPECT_EQ(bad.code, 2) << bad.out;
}

TEST_F(CalibratedCli, ImatrixFromCalibration) {
  const std::string imatrix = Path("imatrix.gguf");
  const auto r = Qforge("-q calib imatrix " + kTestbed + " -o " + imatrix + kSmall);
  ASSERT_EQ(r.code, 0) << r.out;
  const ImportanceMatrix m = io::ReadImatrix(imatrix);
  EXPECT_EQ(m.entries.size(), 29u);  // 4 layers x 7 linear layers + the tied classifier
  ASSERT_NE(m.Find("blk.0.ffn_down.weight"), nullptr);
  EXPECT_EQ(m.Find("blk.0.ffn_down.weight")->sum_sq.size(), 768u);
  EXPECT_EQ(m.Find("blk.0.ffn_down.weight")->counts, std::vector<float>{256.0f});  // 4 x 64 tokens
  EXPECT_EQ(m.chunks_count, 4);
  const auto q = Qforge("-q quantize " + kTestbed + " -r Q4_K_M -o " + Path("q.gguf") +
                        " --imatrix " + imatrix);
  ASSERT_EQ(q.code, 0) << q.out;
  EXPECT_EQ(io::LoadCheckpoint(Path("q.gguf")).metadata.count("quantize.imatrix.file"), 1u);
  EXPECT_NE(Qforge("-q calib imatrix " + kTestbed + " -o " + imatrix + kSmall).code, 0);  // exists
}

TEST_F(CalibratedCli, GptqExportReadsBack) {
  const std::string dir = Path("gptq-dir");
  const auto r = Qforge("-q quantize " + kTestbed + " -r gptq-w4g128 --format gptq -o " + dir + kSmall);
  ASSERT_EQ(r.code, 0) << r.out;
  const Checkpoint ckpt = io::LoadCheckpoint(dir);
  EXPECT_EQ(ckpt.Get("blk.1.attn_v.weight").type, QType::kINT4_G128);
}

}  // namespace
}  // namespace qforge
