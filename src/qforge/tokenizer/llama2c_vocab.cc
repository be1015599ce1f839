// ReadLlama2cVocab: every length is checked against the file before it is used.
#include "qforge/tokenizer/llama2c_vocab.h"

#include <cmath>

#include "qforge/core/error.h"
#include "qforge/io/byte_reader.h"
#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/spm_piece.h"

namespace qforge::tokenizer {
namespace {

// Undoes the export's piece.replace("▁", " ").
std::string RestoreSpaces(std::string_view text) {
  std::string piece;
  piece.reserve(text.size());
  for (const char c : text) {
    if (c == ' ')
      piece += kSpmSpace;
    else
      piece += c;
  }
  return piece;
}

TokenType TypeOf(int id, std::string_view piece) {
  if (id == 0) return TokenType::kUnknown;
  if (id == 1 || id == 2) return TokenType::kControl;
  return ByteTokenValue(piece) >= 0 ? TokenType::kByte : TokenType::kNormal;
}

}  // namespace

Vocab ReadLlama2cVocab(const std::string& path, int vocab_size) {
  const auto file = io::MappedFile::Open(path);
  io::ByteReader reader(file->bytes(), path);
  const auto max_token_length = reader.Read<int32_t>("max_token_length");
  if (max_token_length <= 0 || uint64_t(max_token_length) > file->size())
    Fail(ErrorKind::kInvalidInput, "{}: not a llama2.c tokenizer: max_token_length {}", path,
         max_token_length);

  Vocab vocab;
  vocab.kind = VocabKind::kSentencePiece;
  if (vocab_size > 0) {
    // Each token needs at least 8 bytes (score, length): refuse a count the file cannot hold before
    // reserving for it.
    reader.Require(uint64_t(vocab_size) * 8, "the token table");
    vocab.tokens.reserve(size_t(vocab_size));
  }
  for (int id = 0; vocab_size > 0 ? id < vocab_size : reader.remaining() > 0; ++id) {
    const auto what = [&](const char* field) { return fmt::format("{} of token {}", field, id); };
    const auto score = reader.Read<float>(what("score"));
    const auto length = reader.Read<int32_t>(what("length"));
    if (length < 0 || length > max_token_length)
      Fail(ErrorKind::kInvalidInput,
           "{}: corrupt: token {} has length {} (max_token_length {}) at offset {}", path, id,
           length, max_token_length, reader.offset() - 4);
    if (std::isnan(score))
      Fail(ErrorKind::kInvalidInput, "{}: corrupt: token {} has a NaN score", path, id);
    const auto bytes = reader.ReadBytes(uint64_t(length), what("text"));
    std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (id == 1 && text == "\n<s>\n") text = "<s>";
    if (id == 2 && text == "\n</s>\n") text = "</s>";
    std::string piece = RestoreSpaces(text);
    vocab.types.push_back(TypeOf(id, piece));
    vocab.tokens.push_back(std::move(piece));
    vocab.scores.push_back(score);
  }
  if (reader.remaining() > 0)
    Fail(ErrorKind::kInvalidInput,
         "{}: {} bytes left after {} tokens: the vocabulary size does not match the file", path,
         reader.remaining(), vocab_size);
  if (vocab.tokens.size() < 3)
    Fail(ErrorKind::kInvalidInput, "{}: {} tokens, fewer than <unk>, <s>, </s>", path,
         vocab.tokens.size());
  vocab.bos_id = 1;
  vocab.eos_id = 2;
  vocab.unk_id = 0;
  vocab.add_bos = true;
  vocab.add_space_prefix = true;  // llama2.c's encoder always adds the dummy prefix
  return vocab;
}

}  // namespace qforge::tokenizer
