// Reader for llama2.c's tokenizer.bin: the SentencePiece vocabulary that llama2.c's export wrote.
#pragma once

#include <string>

#include "qforge/core/checkpoint.h"

namespace qforge::tokenizer {

// Layout (little-endian): int32 max_token_length, then per token: float32 score, int32 length,
// `length` bytes of UTF-8. The file does not store the token count: the model's vocab_size says it;
// vocab_size <= 0 reads tokens until the end of the file.
//
// The export replaced "▁" by a plain space and wrote BOS/EOS as "\n<s>\n" / "\n</s>\n"; this maps
// both back, so the result equals the vocabulary of the .model it came from: tokens 0/1/2 are
// <unk>/<s>/</s> (kUnknown/kControl/kControl), "<0xXX>" tokens kByte, the rest kNormal.
//
// Throws Error{kIo} when the file cannot be read and Error{kInvalidInput} naming the file when it
// is truncated, a length is negative or beyond the file, or bytes are left after vocab_size tokens.
Vocab ReadLlama2cVocab(const std::string& path, int vocab_size);

}  // namespace qforge::tokenizer
