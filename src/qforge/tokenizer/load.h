// Finding and opening the tokenizer of a model, whatever form it comes in.
#pragma once

#include <memory>
#include <string>

#include "qforge/core/checkpoint.h"
#include "qforge/tokenizer/tokenizer.h"

namespace qforge::tokenizer {

// Opens a tokenizer file, choosing the reader by name, then by content:
//   *.model                      SentencePiece model (libsentencepiece)
//   *.bin                        llama2.c tokenizer.bin
//   *vocab.json                  GPT-2 vocab.json, with merges.txt (or *merges.txt) beside it
//   other *.json                 Hugging Face tokenizer.json (byte-level BPE)
//   a directory                  the first of tokenizer.model, tokenizer.json, vocab.json inside
// expected_vocab_size > 0 is the model's vocabulary size; a tokenizer of another size is an error
// (for tokenizer.bin it is also the token count to read; 0 reads to the end of the file).
// Throws Error{kIo} when the file is missing or unreadable, Error{kInvalidInput} when it is
// malformed or its size does not match; every message names the path.
std::unique_ptr<Tokenizer> LoadTokenizer(const std::string& path, int expected_vocab_size = 0);

// The tokenizer for a vocabulary embedded in a model file (GGUF, or read from tokenizer.bin).
std::unique_ptr<Tokenizer> TokenizerFromVocab(const Vocab& vocab);

// The first existing of tokenizer.model, tok<vocab_size>.model, tokenizer.json, tokenizer.bin,
// tok<vocab_size>.bin in the model file's directory (inside model_path when it is a directory), or
// "" when there is none. llama2.c ships tok512.bin-style names next to its checkpoints.
std::string FindTokenizerBeside(const std::string& model_path, int vocab_size);

}  // namespace qforge::tokenizer
