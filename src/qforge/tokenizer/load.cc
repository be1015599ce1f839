// LoadTokenizer / TokenizerFromVocab / FindTokenizerBeside: dispatch by file name and content.
#include "qforge/tokenizer/load.h"

#include <filesystem>
#include <fstream>

#include "qforge/core/error.h"
#include "qforge/tokenizer/gpt2_bpe_tokenizer.h"
#include "qforge/tokenizer/llama2c_vocab.h"
#include "qforge/tokenizer/sentencepiece_tokenizer.h"
#include "qforge/tokenizer/spm_vocab_tokenizer.h"

namespace qforge::tokenizer {
namespace {

namespace fs = std::filesystem;

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// merges.txt beside vocab.json; for prefixed names ("gpt2_vocab.json") the same prefix.
fs::path MergesBeside(const fs::path& vocab_json) {
  std::string name = vocab_json.filename().string();
  const fs::path plain = vocab_json.parent_path() / "merges.txt";
  if (const size_t at = name.rfind("vocab.json"); at != std::string::npos && at > 0) {
    const fs::path prefixed = vocab_json.parent_path() / name.replace(at, 10, "merges.txt");
    if (IsFile(prefixed) || !IsFile(plain)) return prefixed;
  }
  return plain;
}

// The first byte tells the formats apart when the name does not: JSON opens with '{', a serialized
// ModelProto with 0x0A (field 1, the pieces), tokenizer.bin with a small little-endian int32.
char FirstByte(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  if (!in.get(c)) Fail(ErrorKind::kIo, "{}: cannot read", path);
  return c;
}

std::unique_ptr<Tokenizer> Open(const fs::path& file, int expected_vocab_size) {
  const std::string path = file.string();
  const std::string name = file.filename().string();
  const std::string ext = file.extension().string();
  if (ext == ".model") return std::make_unique<SentencePieceTokenizer>(path);
  if (ext == ".bin")
    return std::make_unique<SpmVocabTokenizer>(ReadLlama2cVocab(path, expected_vocab_size));
  if (name.ends_with("vocab.json"))
    return Gpt2BpeTokenizer::FromVocabAndMerges(path, MergesBeside(file).string());
  if (ext == ".json") return Gpt2BpeTokenizer::FromTokenizerJson(path);
  switch (FirstByte(path)) {
    case '{':
      return Gpt2BpeTokenizer::FromTokenizerJson(path);
    case '\x0A':
      return std::make_unique<SentencePieceTokenizer>(path);
    default:
      return std::make_unique<SpmVocabTokenizer>(ReadLlama2cVocab(path, expected_vocab_size));
  }
}

}  // namespace

std::unique_ptr<Tokenizer> LoadTokenizer(const std::string& path, int expected_vocab_size) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) Fail(ErrorKind::kIo, "{}: tokenizer not found", path);
  fs::path file = path;
  if (fs::is_directory(status)) {
    file.clear();
    for (const char* name : {"tokenizer.model", "tokenizer.json", "vocab.json"})
      if (IsFile(fs::path(path) / name)) {
        file = fs::path(path) / name;
        break;
      }
    if (file.empty())
      Fail(ErrorKind::kInvalidInput,
           "{}: no tokenizer.model, tokenizer.json or vocab.json in this directory", path);
  }
  auto tokenizer = Open(file, expected_vocab_size);
  if (expected_vocab_size > 0 && tokenizer->vocab_size() != expected_vocab_size)
    Fail(ErrorKind::kInvalidInput,
         "{}: the tokenizer has {} tokens but the model's vocabulary has {}", file.string(),
         tokenizer->vocab_size(), expected_vocab_size);
  return tokenizer;
}

std::unique_ptr<Tokenizer> TokenizerFromVocab(const Vocab& vocab) {
  switch (vocab.kind) {
    case VocabKind::kSentencePiece:
      return std::make_unique<SpmVocabTokenizer>(vocab);
    case VocabKind::kGpt2Bpe:
      return std::make_unique<Gpt2BpeTokenizer>(vocab, "embedded vocabulary");
  }
  Fail(ErrorKind::kInternal, "unknown vocabulary kind {}", int(vocab.kind));
}

std::string FindTokenizerBeside(const std::string& model_path, int vocab_size) {
  std::error_code ec;
  const fs::path model(model_path);
  const fs::path dir = fs::is_directory(model, ec) ? model : model.parent_path();
  std::vector<std::string> names = {"tokenizer.model", "tokenizer.json", "tokenizer.bin"};
  if (vocab_size > 0) {
    names.insert(names.begin() + 1, fmt::format("tok{}.model", vocab_size));
    names.push_back(fmt::format("tok{}.bin", vocab_size));
  }
  for (const std::string& name : names) {
    const fs::path candidate = dir.empty() ? fs::path(name) : dir / name;
    if (IsFile(candidate)) return candidate.string();
  }
  return "";
}

}  // namespace qforge::tokenizer
