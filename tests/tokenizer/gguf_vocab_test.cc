// The vocabulary embedded in GGUF files tokenizes exactly as SentencePiece does: the GGUF that
// llama.cpp wrote for stories260K, and the GGUF qforge writes from the SentencePiece model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "qforge/io/gguf_checkpoint.h"
#include "qforge/io/gguf_writer.h"
#include "qforge/io/llama2c_checkpoint.h"
#include "qforge/tokenizer/load.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "support/paths.h"

namespace qforge::tokenizer {
namespace {
namespace fs = std::filesystem;

// Ids must equal the reference; decoded text must equal what SentencePiece itself decodes (tok512
// folds extra whitespace, so " leading space" comes back without its leading space there too).
void ExpectReferenceIds(const Tokenizer& tok, const std::string& label) {
  const SentencePieceTokenizer oracle(test::Shared("models/stories260K/tok512.model"));
  std::ifstream in(test::Shared("reference/stories260K/tokens.json"));
  const auto ref = nlohmann::json::parse(in);
  ASSERT_FALSE(ref["cases"].empty());
  for (const auto& c : ref["cases"]) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(tok.Encode(text, false), c["ids"].get<std::vector<int>>()) << label << ": " << text;
    EXPECT_EQ(tok.Decode(tok.Encode(text, true)), oracle.Decode(oracle.Encode(text, true)))
        << label;
  }
}

TEST(GgufVocab, LlamaCppWrittenGgufMatchesSentencePiece) {
  const Checkpoint ckpt =
      io::LoadGgufCheckpoint(test::Shared("reference/stories260K/llamacpp/stories260K-f32.gguf"));
  ASSERT_TRUE(ckpt.vocab.has_value());
  const auto tok = TokenizerFromVocab(*ckpt.vocab);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  ExpectReferenceIds(*tok, "llama.cpp GGUF");
}

TEST(GgufVocab, QforgeWrittenGgufMatchesSentencePiece) {
  const Checkpoint src =
      io::LoadLlama2cCheckpoint(test::Shared("models/stories260K/stories260K.bin"));
  SentencePieceTokenizer spm(test::Shared("models/stories260K/tok512.model"));
  const std::string out =
      (fs::temp_directory_path() / ("qforge-vocab-" + std::to_string(::getpid()) + ".gguf"))
          .string();
  io::WriteGgufCheckpoint(src, spm.ToVocab(), out, io::GgufWriteOptions{});
  const Checkpoint written = io::LoadGgufCheckpoint(out);
  ASSERT_TRUE(written.vocab.has_value());
  ExpectReferenceIds(*TokenizerFromVocab(*written.vocab), "qforge GGUF");
  fs::remove(out);
}

}  // namespace
}  // namespace qforge::tokenizer
