// Calibration inputs: plain text, JSONL text and chat messages through the templates; window
// sampling is deterministic, BOS-first and bounded; malformed files give errors naming the line.
#include "qforge/calib/calibration_data.h"

#include <gtest/gtest.h>

#include <fstream>

#include "qforge/core/error.h"
#include "qforge/io/load_checkpoint.h"
#include "qforge/tokenizer/load.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace qforge::calib {
namespace {

class CalibrationData : public test::TempDirTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
};

TEST_F(CalibrationData, PlainTextIsOneDocument) {
  const auto docs = LoadCalibrationDocuments(Write("a.txt", "one\n\ntwo\n"), std::nullopt);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0], "one\n\ntwo\n");
}

TEST_F(CalibrationData, JsonlTextAndChat) {
  const std::string path = Write(
      "c.jsonl",
      "{\"text\": \"hello\"}\n\n"
      "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", "
      "\"content\": \"yo\"}]}\n");
  const auto docs = LoadCalibrationDocuments(path, ChatTemplate::kChatMl);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], "hello");
  EXPECT_EQ(docs[1], "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n");
  // Without a template the chat line is an error naming it.
  try {
    LoadCalibrationDocuments(path, std::nullopt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.jsonl:3"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplates, RenderAndDetect) {
  const std::vector<ChatMessage> m = {{"system", "S"}, {"user", "U"}, {"assistant", "A"}};
  EXPECT_EQ(RenderChat(m, ChatTemplate::kLlama2), "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST] A </s>");
  EXPECT_EQ(RenderChat(m, ChatTemplate::kLlama3),
            "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_"
            "header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA<|eot_id|>");
  EXPECT_EQ(DetectChatTemplate("{% for m in messages %}<|im_start|>{{ m.role }}"), ChatTemplate::kChatMl);
  EXPECT_EQ(DetectChatTemplate("{{ '[INST] ' + content }}"), ChatTemplate::kLlama2);
  EXPECT_FALSE(DetectChatTemplate("{{ content }}"));
  EXPECT_EQ(ChatTemplateFromName("zephyr"), ChatTemplate::kZephyr);
  EXPECT_FALSE(ChatTemplateFromName("vicuna"));
}

TEST_F(CalibrationData, MalformedFiles) {
  EXPECT_THROW(LoadCalibrationDocuments(Write("e.txt", "  \n"), std::nullopt), Error);
  EXPECT_THROW(LoadCalibrationDocuments(Write("b.jsonl", "{\"text\": 3}\n"), std::nullopt), Error);
  EXPECT_THROW(LoadCalibrationDocuments(Write("n.jsonl", "not json\n"), std::nullopt), Error);
  EXPECT_THROW(LoadCalibrationDocuments(Write("m.jsonl", "{\"messages\": [{\"role\": 1}]}\n"),
                                        ChatTemplate::kChatMl),
               Error);
  EXPECT_THROW(LoadCalibrationDocuments((dir_ / "missing.txt").string(), std::nullopt), Error);
}

TEST(SampleWindows, DeterministicBosFirstAndBounded) {
  const Checkpoint ckpt = io::LoadCheckpoint(test::Shared("models/testbed/testbed.bin"));
  const auto tok = tokenizer::LoadTokenizer(test::Shared("models/testbed/tokenizer.model"));
  const auto docs = LoadCalibrationDocuments(test::Shared("models/testbed/calib.txt"), std::nullopt);
  const CalibrationSet a = SampleWindows(docs, *tok, {8, 64, 1});
  const CalibrationSet b = SampleWindows(docs, *tok, {8, 64, 1});
  const CalibrationSet c = SampleWindows(docs, *tok, {8, 64, 2});
  ASSERT_EQ(a.windows.size(), 8u);
  EXPECT_EQ(a.windows, b.windows);
  EXPECT_NE(a.windows, c.windows);
  for (const auto& w : a.windows) {
    ASSERT_EQ(w.size(), 64u);
    EXPECT_EQ(w[0], tok->bos_id());
  }
  EXPECT_GT(a.source_tokens, 10000);
  EXPECT_FALSE(a.overlapping);
  // A text shorter than a window: one window of the whole text, flagged as overlapping.
  const CalibrationSet s = SampleWindows({"Once upon a time"}, *tok, {4, 512, 0});
  EXPECT_EQ(s.windows.front().size(), size_t(s.source_tokens));
  EXPECT_TRUE(s.overlapping);
  EXPECT_THROW(SampleWindows(docs, *tok, {0, 64, 0}), Error);
}

}  // namespace
}  // namespace qforge::calib
