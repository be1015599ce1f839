// Readers for byte-level BPE vocabularies on disk: GPT-2's vocab.json + merges.txt and Hugging Face
// tokenizer.json. Both give a Vocab of kind kGpt2Bpe (GGUF tokenizer.ggml.model "gpt2").
#pragma once

#include <string>

#include "qforge/core/checkpoint.h"

namespace qforge::tokenizer {

// vocab.json maps token -> id (ids must be 0..n-1, each once); merges.txt has one "a b" merge per
// line, highest priority first, optionally after a "#version" line. "<|endoftext|>", when present,
// is a control token and both BOS and EOS (GPT-2 uses it for both); add_bos is false.
// Throws Error{kIo} when a file cannot be read, Error{kInvalidInput} naming the file (and line)
// when it is malformed.
Vocab ReadGpt2VocabFiles(const std::string& vocab_json, const std::string& merges_txt);

// A tokenizer.json with model.type "BPE" and GPT-2's byte-level pre-tokenizer. Merges may be "a b"
// strings or ["a", "b"] pairs; added_tokens join the vocabulary (special -> kControl, else
// kUserDefined). Throws Error{kUnsupported} for other models, SentencePiece-style BPE
// (byte_fallback) and other pre-tokenizers or normalizers, which this tokenizer would get wrong.
Vocab ReadHfTokenizerJson(const std::string& path);

}  // namespace qforge::tokenizer
