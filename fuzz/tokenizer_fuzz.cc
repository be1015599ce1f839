// libFuzzer target for the tokenizer's untrusted inputs. The first input byte picks the mode:
//   even: the rest is a llama2.c tokenizer.bin, written to a temp file and read by ReadLlama2cVocab
//         (with vocab_size 0 and 512), then tokenized with when it parses;
//   odd:  the rest is text for SpmVocabTokenizer::Encode over the tok512 vocabulary, and Decode.
// qforge::Error is the expected rejection of bad input; anything else (a crash, a sanitizer report,
// another exception) is a finding. The tok512 vocabulary is read from $QFORGE_SHARED_DIR, else from
// the QFORGE_SHARED_DIR compile definition, else ../shared.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "qforge/core/error.h"
#include "qforge/tokenizer/llama2c_vocab.h"
#include "qforge/tokenizer/spm_vocab_tokenizer.h"

#ifndef QFORGE_SHARED_DIR
#define QFORGE_SHARED_DIR "../shared"
#endif

namespace {

std::string SharedDir() {
  const char* env = std::getenv("QFORGE_SHARED_DIR");
  return env != nullptr ? env : QFORGE_SHARED_DIR;
}

const qforge::tokenizer::SpmVocabTokenizer& Tok512() {
  static const auto tok = std::make_unique<qforge::tokenizer::SpmVocabTokenizer>(
      qforge::tokenizer::ReadLlama2cVocab(SharedDir() + "/models/stories260K/tok512.bin", 512));
  return *tok;
}

// One temp file per process, rewritten for each input and removed at exit.
struct TempFile {
  std::string path = "/tmp/qforge_tokenizer_fuzz_" + std::to_string(::getpid()) + ".bin";
  ~TempFile() { std::remove(path.c_str()); }
};

const std::string& TempPath() {
  static const TempFile file;
  return file.path;
}

void FuzzVocabFile(const uint8_t* data, size_t size) {
  FILE* f = std::fopen(TempPath().c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  for (const int vocab_size : {0, 512}) {
    try {
      qforge::tokenizer::SpmVocabTokenizer tok(
          qforge::tokenizer::ReadLlama2cVocab(TempPath(), vocab_size));
      const std::vector<int> ids = tok.Encode("Once upon a time \xF0\x9F\x98\x80", true);
      (void)tok.Decode(ids);
    } catch (const qforge::Error&) {
    }
  }
}

void FuzzEncode(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const std::vector<int> ids = Tok512().Encode(text, true);
    for (const int id : ids)
      if (id < 0 || id >= Tok512().vocab_size()) std::abort();
    (void)Tok512().Decode(ids);
  } catch (const qforge::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0)
    FuzzVocabFile(data + 1, size - 1);
  else
    FuzzEncode(data + 1, size - 1);
  return 0;
}
