// SentencePieceTokenizer: libsentencepiece for encoding, the piece table for decoding and ToVocab.
#include "qforge/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "qforge/core/error.h"
#include "qforge/io/mapped_file.h"
#include "qforge/tokenizer/spm_piece.h"

namespace qforge::tokenizer {
namespace {

// A minimal protobuf wire-format cursor. Debian's libsentencepiece-dev ships no generated
// sentencepiece_model.pb.h, so model_proto() cannot be read; the few fields we need (normalizer
// flags, user-defined piece types) are found by walking the serialized ModelProto instead.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  std::optional<uint64_t> Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const auto byte = uint8_t(data_[pos_++]);
      value |= uint64_t(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }

  // Reads the value of a field with this wire type; for length-delimited fields returns the bytes.
  std::optional<std::string_view> Field(int wire_type, uint64_t* varint) {
    switch (wire_type) {
      case 0: {
        auto v = Varint();
        if (!v) return std::nullopt;
        *varint = *v;
        return std::string_view();
      }
      case 1:
        return Take(8);
      case 5:
        return Take(4);
      case 2: {
        auto len = Varint();
        if (!len) return std::nullopt;
        return Take(*len);
      }
      default:
        return std::nullopt;  // groups (3, 4) are not used by sentencepiece_model.proto
    }
  }

 private:
  std::optional<std::string_view> Take(uint64_t n) {
    if (n > data_.size() - pos_) return std::nullopt;
    auto s = data_.substr(pos_, size_t(n));
    pos_ += size_t(n);
    return s;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

// Calls fn(field_number, wire_type, bytes, varint) for each top-level field; false if malformed.
template <typename Fn>
bool ForEachField(std::string_view message, Fn fn) {
  WireReader reader(message);
  while (!reader.done()) {
    const auto tag = reader.Varint();
    if (!tag) return false;
    uint64_t varint = 0;
    const auto bytes = reader.Field(int(*tag & 7), &varint);
    if (!bytes) return false;
    fn(*tag >> 3, int(*tag & 7), *bytes, varint);
  }
  return true;
}

// What the processor API of 0.1.97 does not expose. ModelProto field 1 is the repeated
// SentencePiece (its field 3 the type: USER_DEFINED = 4), field 3 the NormalizerSpec.
struct ProtoFacts {
  SpmNormalization normalization;  // NormalizerSpec fields 3 and 4, both default true
  std::vector<bool> user_defined;  // per piece
};

ProtoFacts ReadProtoFacts(std::string_view model_proto) {
  ProtoFacts facts;
  ForEachField(model_proto, [&](uint64_t field, int wire, std::string_view bytes, uint64_t) {
    if (wire != 2) return;
    if (field == 1) {
      bool user_defined = false;
      ForEachField(bytes, [&](uint64_t f, int w, std::string_view, uint64_t value) {
        if (f == 3 && w == 0) user_defined = value == 4;
      });
      facts.user_defined.push_back(user_defined);
    } else if (field == 3) {
      ForEachField(bytes, [&](uint64_t f, int w, std::string_view, uint64_t value) {
        if (f == 3 && w == 0) facts.normalization.add_dummy_prefix = value != 0;
        if (f == 4 && w == 0) facts.normalization.remove_extra_whitespaces = value != 0;
      });
    }
  });
  return facts;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& path)
    : path_(path), processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  // Reading the bytes ourselves separates "cannot read" (kIo) from "not a model" (kInvalidInput).
  const std::string bytes = io::ReadTextFile(path, size_t(1) << 28);
  const auto status = processor_->LoadFromSerializedProto(bytes);
  if (!status.ok())
    Fail(ErrorKind::kInvalidInput, "{}: not a SentencePiece model: {}", path, status.ToString());
  if (processor_->GetPieceSize() <= 0)
    Fail(ErrorKind::kInvalidInput, "{}: SentencePiece model has no pieces", path);
  ProtoFacts facts = ReadProtoFacts(bytes);
  normalization_ = facts.normalization;
  user_defined_ = std::move(facts.user_defined);
  user_defined_.resize(size_t(processor_->GetPieceSize()), false);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int> SentencePieceTokenizer::Encode(std::string_view text, bool add_bos) const {
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  if (!status.ok())
    Fail(ErrorKind::kInvalidInput, "{}: cannot encode text: {}", path_, status.ToString());
  if (add_bos && bos_id() >= 0) ids.insert(ids.begin(), bos_id());
  return ids;
}

TokenType SentencePieceTokenizer::TypeOf(int id) const {
  if (processor_->IsUnknown(id)) return TokenType::kUnknown;
  if (processor_->IsControl(id)) return TokenType::kControl;
  if (processor_->IsByte(id)) return TokenType::kByte;
  if (user_defined_[size_t(id)]) return TokenType::kUserDefined;
  if (processor_->IsUnused(id)) return TokenType::kUnused;
  return TokenType::kNormal;
}

std::string SentencePieceTokenizer::DecodeToken(int id) const {
  if (id < 0 || id >= vocab_size())
    Fail(ErrorKind::kInvalidInput, "{}: token id {} is outside the vocabulary of {}", path_, id,
         vocab_size());
  return PieceToText(processor_->IdToPiece(id), TypeOf(id));
}

bool SentencePieceTokenizer::is_control(int id) const {
  return id >= 0 && id < vocab_size() && processor_->IsControl(id);
}

int SentencePieceTokenizer::bos_id() const { return processor_->bos_id(); }
int SentencePieceTokenizer::eos_id() const { return processor_->eos_id(); }
int SentencePieceTokenizer::vocab_size() const { return processor_->GetPieceSize(); }

Vocab SentencePieceTokenizer::ToVocab() const {
  Vocab vocab;
  vocab.kind = VocabKind::kSentencePiece;
  const int n = vocab_size();
  vocab.tokens.reserve(size_t(n));
  vocab.scores.reserve(size_t(n));
  vocab.types.reserve(size_t(n));
  for (int id = 0; id < n; ++id) {
    vocab.tokens.push_back(processor_->IdToPiece(id));
    vocab.scores.push_back(processor_->GetScore(id));
    vocab.types.push_back(TypeOf(id));
  }
  vocab.bos_id = processor_->bos_id();
  vocab.eos_id = processor_->eos_id();
  vocab.unk_id = processor_->unk_id();
  vocab.pad_id = processor_->pad_id();
  vocab.add_bos = true;
  vocab.add_space_prefix = normalization_.add_dummy_prefix;
  return vocab;
}

}  // namespace qforge::tokenizer
