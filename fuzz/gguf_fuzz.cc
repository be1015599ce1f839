// libFuzzer target: arbitrary bytes as a GGUF file. Only qforge::Error may escape the loader; every
// tensor view it returns must lie inside the map, and whatever loads must survive a write + reload.
// Built a second time with QFORGE_GGUF_SEED_WRITER, it writes the small seed files the fuzzer
// starts from (the shared reference GGUFs are far larger than a useful fuzz input).
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_input.h"
#include "qforge/core/error.h"
#include "qforge/io/gguf_checkpoint.h"
#include "qforge/io/gguf_writer.h"

#ifdef QFORGE_GGUF_SEED_WRITER

#include <fmt/format.h>

// A tiny but complete llama checkpoint: one layer, dim 8, 2 heads, 1 kv head, tied embeddings,
// a 4-token vocabulary, and one metadata value of every GGUF type.
void WriteSeed(const std::string& path, bool gpt2) {
  using qforge::io::GgufArray;
  using qforge::io::GgufType;
  qforge::io::GgufWriter w;
  w.Add("general.architecture", "llama");
  w.Add("llama.embedding_length", uint32_t{8});
  w.Add("llama.feed_forward_length", uint32_t{8});
  w.Add("llama.block_count", uint32_t{1});
  w.Add("llama.attention.head_count", uint32_t{2});
  w.Add("llama.attention.head_count_kv", uint32_t{1});
  w.Add("llama.context_length", uint64_t{16});
  w.Add("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.Add("llama.rope.freq_base", 10000.0f);
  w.Add("seed.i8", int8_t{-1});
  w.Add("seed.u16", uint16_t{2});
  w.Add("seed.i16", int16_t{-3});
  w.Add("seed.i64", int64_t{-4});
  w.Add("seed.f64", 0.5);
  w.Add("seed.nested", GgufArray{GgufType::kArray, {GgufArray{GgufType::kU8, {uint8_t{1}}}}});
  w.Add("tokenizer.ggml.model", gpt2 ? "gpt2" : "llama");
  w.AddStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"});
  w.AddF32Array("tokenizer.ggml.scores", {0, 0, 0, -1});
  w.AddI32Array("tokenizer.ggml.token_type", {2, 3, 3, 1});
  if (gpt2) w.AddStringArray("tokenizer.ggml.merges", {"a a"});
  w.Add("tokenizer.ggml.bos_token_id", uint32_t{1});
  w.Add("tokenizer.ggml.eos_token_id", uint32_t{2});
  w.Add("tokenizer.ggml.padding_token_id", uint32_t{0xffffffff});
  w.Add("tokenizer.ggml.add_bos_token", true);
  static const float values[64] = {1.0f, -2.0f, 0.25f};
  const auto bytes = std::as_bytes(std::span(values));
  w.AddTensor("token_embd.weight", qforge::QType::kF32, {4, 8}, bytes.first(128));
  w.AddTensor("output_norm.weight", qforge::QType::kF32, {8}, bytes.first(32));
  const char* matrices[] = {"attn_q", "attn_output", "ffn_gate", "ffn_down", "ffn_up"};
  for (const char* m : matrices)
    w.AddTensor(qforge::LayerTensorName(0, m), qforge::QType::kF32, {8, 8}, bytes);
  w.AddTensor(qforge::LayerTensorName(0, "attn_k"), qforge::QType::kF16, {4, 8}, bytes.first(64));
  w.AddTensor(qforge::LayerTensorName(0, "attn_v"), qforge::QType::kBF16, {4, 8}, bytes.first(64));
  w.AddTensor(qforge::LayerTensorName(0, "attn_norm"), qforge::QType::kF32, {8}, bytes.first(32));
  w.AddTensor(qforge::LayerTensorName(0, "ffn_norm"), qforge::QType::kF32, {8}, bytes.first(32));
  w.Write(path);
}

// Usage: gguf_seed_writer DIR
int main(int argc, char** argv) {
  if (argc != 2) return 2;
  WriteSeed(fmt::format("{}/small-spm.gguf", argv[1]), false);
  WriteSeed(fmt::format("{}/small-gpt2.gguf", argv[1]), true);
  return 0;
}

#else

namespace {

// Writing exercises the header writer and the row converters on whatever the reader accepted.
void WriteAndReload(const qforge::Checkpoint& ckpt, const std::string& out_path) {
  qforge::io::GgufWriteOptions opts;
  opts.matrix_type = qforge::QType::kF16;
  try {
    qforge::io::WriteGgufCheckpoint(ckpt, ckpt.vocab.value_or(qforge::Vocab{}), out_path, opts);
    qforge::io::LoadGgufCheckpoint(out_path);
  } catch (const qforge::Error&) {
  }
  std::remove(out_path.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const qforge::fuzz::InputFile input(data, size, ".gguf");
  try {
    const qforge::Checkpoint ckpt = qforge::io::LoadGgufCheckpoint(input.path());
    qforge::fuzz::TouchViews(ckpt.tensors);
    WriteAndReload(ckpt, input.path() + ".out.gguf");
  } catch (const qforge::Error&) {
  }
  return 0;
}

#endif  // QFORGE_GGUF_SEED_WRITER
