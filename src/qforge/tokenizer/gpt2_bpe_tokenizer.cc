// Gpt2BpeTokenizer: pre-tokenize, map bytes to tokens, merge by rank through the shared merge
// queue.
#include "qforge/tokenizer/gpt2_bpe_tokenizer.h"

#include <limits>

#include "qforge/core/error.h"
#include "qforge/tokenizer/gpt2_bpe_files.h"
#include "qforge/tokenizer/gpt2_pretokenizer.h"
#include "qforge/tokenizer/merge_queue.h"

namespace qforge::tokenizer {
namespace {

constexpr size_t kMaxCachedWords = size_t(1) << 16;

uint64_t PairKey(int left, int right) { return uint64_t(uint32_t(left)) << 32 | uint32_t(right); }

// Appends the bytes a byte-level token stands for: each code point through the inverse of
// bytes_to_unicode; a code point outside that table (not produced by GPT-2's encoder) is kept as
// is.
void AppendTokenBytes(std::string_view token, std::string& out) {
  for (size_t i = 0; i < token.size();) {
    const auto lead = uint8_t(token[i]);
    const size_t len = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xE  ? 3
                       : (lead >> 3) == 0x1E ? 4
                                             : 1;
    char32_t cp = len == 1 ? lead : lead & (0x7F >> len);
    bool valid = i + len <= token.size();
    for (size_t k = 1; valid && k < len; ++k) {
      valid = (uint8_t(token[i + k]) & 0xC0) == 0x80;
      cp = (cp << 6) | (uint8_t(token[i + k]) & 0x3F);
    }
    const int byte = valid ? UnicodeToByte(cp) : -1;
    if (byte >= 0) {
      out += char(byte);
      i += len;
    } else {
      const size_t n = valid ? len : 1;
      out.append(token.substr(i, n));
      i += n;
    }
  }
}

}  // namespace

Gpt2BpeTokenizer::Gpt2BpeTokenizer(Vocab vocab, std::string source)
    : VocabTokenizer(std::move(vocab)), source_(std::move(source)) {
  const size_t n = vocab_.tokens.size();
  if (vocab_.kind != VocabKind::kGpt2Bpe)
    Fail(ErrorKind::kInvalidInput, "{}: not a byte-level BPE vocabulary", source_);
  if (n == 0 || n > size_t(std::numeric_limits<int>::max()))
    Fail(ErrorKind::kInvalidInput, "{}: vocabulary has {} tokens", source_, n);
  if (!vocab_.types.empty() && vocab_.types.size() != n)
    Fail(ErrorKind::kInvalidInput, "{}: {} tokens but {} token types", source_, n,
         vocab_.types.size());
  for (const auto& [name, id] : {std::pair{"bos", vocab_.bos_id}, {"eos", vocab_.eos_id}})
    if (id >= int(n))
      Fail(ErrorKind::kInvalidInput, "{}: {} id {} >= {} tokens", source_, name, id, n);
  vocab_.types.resize(n, TokenType::kNormal);

  std::unordered_map<std::string_view, int> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) ids.try_emplace(vocab_.tokens[i], int(i));

  for (int b = 0; b < 256; ++b) {
    const auto it = ids.find(ByteToUnicode()[size_t(b)]);
    if (it == ids.end())
      Fail(ErrorKind::kInvalidInput, "{}: no token for byte 0x{:02X}: not a byte-level vocabulary",
           source_, b);
    byte_ids_[size_t(b)] = it->second;
  }

  merges_.reserve(vocab_.merges.size());
  for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
    const std::string& merge = vocab_.merges[rank];
    // Split at the first space after the first character, as llama.cpp does: a token may be " ".
    const size_t space = merge.find(' ', 1);
    if (space == std::string::npos)
      Fail(ErrorKind::kInvalidInput, "{}: merge {} \"{}\" is not two tokens separated by a space",
           source_, rank + 1, merge);
    const std::string left = merge.substr(0, space), right = merge.substr(space + 1);
    const auto l = ids.find(left), r = ids.find(right), m = ids.find(left + right);
    if (l == ids.end() || r == ids.end() || m == ids.end())
      Fail(ErrorKind::kInvalidInput,
           "{}: merge {} \"{}\" uses or makes a token that is not in the vocabulary", source_,
           rank + 1, merge);
    merges_.try_emplace(PairKey(l->second, r->second),
                        Merge{int(rank), m->second});  // first rank wins
  }
}

std::unique_ptr<Gpt2BpeTokenizer> Gpt2BpeTokenizer::FromVocabAndMerges(
    const std::string& vocab_json, const std::string& merges_txt) {
  return std::make_unique<Gpt2BpeTokenizer>(ReadGpt2VocabFiles(vocab_json, merges_txt), vocab_json);
}

std::unique_ptr<Gpt2BpeTokenizer> Gpt2BpeTokenizer::FromTokenizerJson(const std::string& path) {
  return std::make_unique<Gpt2BpeTokenizer>(ReadHfTokenizerJson(path), path);
}

std::vector<int> Gpt2BpeTokenizer::Encode(std::string_view text, bool add_bos) const {
  std::vector<int> ids;
  if (add_bos && vocab_.add_bos && vocab_.bos_id >= 0) ids.push_back(vocab_.bos_id);
  for (const std::string_view word : SplitGpt2Words(text)) EncodeWord(word, ids);
  return ids;
}

void Gpt2BpeTokenizer::EncodeWord(std::string_view word, std::vector<int>& out) const {
  {
    std::lock_guard lock(cache_mutex_);
    if (const auto it = cache_.find(std::string(word)); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<MergeSymbol> symbols(word.size());
  for (size_t i = 0; i < word.size(); ++i)
    symbols[i] = MergeSymbol{uint32_t(i), 1, byte_ids_[uint8_t(word[i])]};
  LinkSymbols(symbols);
  // Lower rank merges first: priority is the negated rank (exact in a double).
  MergeGreedy(symbols,
              [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<MergeCandidate> {
                const auto it = merges_.find(PairKey(l.id, r.id));
                if (it == merges_.end()) return std::nullopt;
                return MergeCandidate{-double(it->second.rank), it->second.id};
              });
  std::vector<int> ids;
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[size_t(i)].next)
    ids.push_back(symbols[size_t(i)].id);
  out.insert(out.end(), ids.begin(), ids.end());

  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= kMaxCachedWords) cache_.clear();
  cache_.try_emplace(std::string(word), std::move(ids));
}

std::string Gpt2BpeTokenizer::DecodeToken(int id) const {
  if (id < 0 || id >= vocab_size())
    Fail(ErrorKind::kInvalidInput, "{}: token id {} is outside the vocabulary of {}", source_, id,
         vocab_size());
  const TokenType type = vocab_.types[size_t(id)];
  if (type == TokenType::kControl) return "";
  // Added tokens are stored as plain text, not in byte-level form.
  if (type == TokenType::kUserDefined) return vocab_.tokens[size_t(id)];
  std::string out;
  AppendTokenBytes(vocab_.tokens[size_t(id)], out);
  return out;
}

bool Gpt2BpeTokenizer::is_control(int id) const {
  return id >= 0 && id < vocab_size() && vocab_.types[size_t(id)] == TokenType::kControl;
}

}  // namespace qforge::tokenizer
