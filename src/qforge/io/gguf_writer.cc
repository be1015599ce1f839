// GgufWriter: header serialization, alignment padding, streamed tensor data.
#include "qforge/io/gguf_writer.h"

#include <cstring>
#include <map>
#include <string_view>
#include <utility>

#include "qforge/core/error.h"
#include "qforge/io/atomic_file.h"

namespace qforge::io {
namespace {

constexpr size_t kMaxTensorName = 64;  // GGML_MAX_NAME, including the terminating NUL

// Appends little-endian GGUF encodings to a byte buffer (the header is small next to the data).
class HeaderBuffer {
 public:
  template <typename T>
  void Put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &value, sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    const size_t at = bytes_.size();
    bytes_.resize(at + s.size());
    std::memcpy(bytes_.data() + at, s.data(), s.size());
  }
  // The value without its type tag (arrays carry their element type).
  void PutValue(const GgufValue& value) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::string>) {
            PutString(x);
          } else if constexpr (std::is_same_v<T, GgufArray>) {
            Put<uint32_t>(uint32_t(x.type));
            Put<uint64_t>(x.items.size());
            for (const GgufValue& item : x.items) {
              if (item.type() != x.type)
                Fail(ErrorKind::kInvalidInput, "GGUF array of {} holds a {}", GgufTypeName(x.type),
                     GgufTypeName(item.type()));
              PutValue(item);
            }
          } else if constexpr (std::is_same_v<T, bool>) {
            Put<uint8_t>(x ? 1 : 0);
          } else {
            Put<T>(x);
          }
        },
        value.variant());
  }
  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

uint64_t AlignUp(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

template <typename T>
GgufArray MakeArray(GgufType type, const std::vector<T>& values) {
  GgufArray a;
  a.type = type;
  a.items.reserve(values.size());
  for (const T& v : values) a.items.emplace_back(v);
  return a;
}

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    Fail(ErrorKind::kInvalidInput, "GGUF alignment {} is not a nonzero power of two", alignment);
}

void GgufWriter::Add(std::string key, GgufValue value) {
  if (key == "general.alignment")
    Fail(ErrorKind::kInvalidInput, "general.alignment is set by the GgufWriter constructor");
  for (const auto& kv : kvs_)
    if (kv.first == key) Fail(ErrorKind::kInvalidInput, "duplicate GGUF metadata key '{}'", key);
  kvs_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::AddStringArray(std::string key, const std::vector<std::string>& values) {
  Add(std::move(key), MakeArray(GgufType::kString, values));
}
void GgufWriter::AddF32Array(std::string key, const std::vector<float>& values) {
  Add(std::move(key), MakeArray(GgufType::kF32, values));
}
void GgufWriter::AddI32Array(std::string key, const std::vector<int32_t>& values) {
  Add(std::move(key), MakeArray(GgufType::kI32, values));
}

void GgufWriter::AddTensor(std::string name, QType type, std::vector<int64_t> shape,
                           Producer produce) {
  if (name.size() >= kMaxTensorName)
    Fail(ErrorKind::kInvalidInput, "GGUF tensor name '{}' is longer than {} bytes", name,
         kMaxTensorName - 1);
  for (const Tensor& t : tensors_)
    if (t.name == name) Fail(ErrorKind::kInvalidInput, "duplicate GGUF tensor name '{}'", name);
  if (Traits(type).ggml_type < 0)
    Fail(ErrorKind::kUnsupported,
         "GGUF tensor '{}': {} is not a ggml type, llama.cpp could not read it (write it as "
         "safetensors with --format)",
         name, Traits(type).name);
  if (shape.empty() || shape.size() > size_t(kGgufMaxDims))
    Fail(ErrorKind::kInvalidInput, "GGUF tensor '{}' has {} dimensions (1 to {} allowed)", name,
         shape.size(), kGgufMaxDims);
  int64_t elements = 1;
  for (int64_t d : shape)
    if (d <= 0 || __builtin_mul_overflow(elements, d, &elements))
      Fail(ErrorKind::kInvalidInput, "GGUF tensor '{}' has an invalid shape {}", name,
           ShapeString(shape));
  if (shape.back() % Traits(type).block_size != 0)
    Fail(ErrorKind::kInvalidInput,
         "GGUF tensor '{}': row length {} is not a multiple of the {} block size", name,
         shape.back(), Traits(type).name);
  const uint64_t nbytes = RowBytes(type, shape.back()) * uint64_t(elements / shape.back());
  tensors_.push_back(Tensor{std::move(name), type, std::move(shape), nbytes, std::move(produce)});
}

void GgufWriter::AddTensor(std::string name, QType type, std::vector<int64_t> shape,
                           std::span<const std::byte> bytes) {
  AddTensor(std::move(name), type, std::move(shape),
            [bytes](const ByteSink& sink) { sink(bytes); });
}

void GgufWriter::Write(const std::string& path) const {
  HeaderBuffer h;
  h.Put<uint32_t>(0x46554747);  // "GGUF"
  h.Put<uint32_t>(3);
  h.Put<uint64_t>(tensors_.size());
  h.Put<uint64_t>(kvs_.size() + 1);
  h.PutString("general.alignment");
  h.Put<uint32_t>(uint32_t(GgufType::kU32));
  h.Put<uint32_t>(alignment_);
  for (const auto& [key, value] : kvs_) {
    h.PutString(key);
    h.Put<uint32_t>(uint32_t(value.type()));
    h.PutValue(value);
  }
  std::vector<uint64_t> offsets;  // relative to the data section, each aligned
  uint64_t next = 0;
  for (const Tensor& t : tensors_) {
    h.PutString(t.name);
    h.Put<uint32_t>(uint32_t(t.shape.size()));
    for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d)
      h.Put<uint64_t>(uint64_t(*d));  // ne[0] innermost
    h.Put<uint32_t>(uint32_t(Traits(t.type).ggml_type));
    h.Put<uint64_t>(next);
    offsets.push_back(next);
    next = AlignUp(next + t.nbytes, alignment_);
  }

  AtomicFile out(path);
  out.Write(h.bytes());
  out.WritePadding(AlignUp(out.written(), alignment_) - out.written());
  const uint64_t data_start = out.written();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    out.WritePadding(data_start + offsets[i] - out.written());
    uint64_t emitted = 0;
    t.produce([&](std::span<const std::byte> chunk) {
      emitted += chunk.size();
      if (emitted > t.nbytes)
        Fail(ErrorKind::kInternal, "{}: tensor '{}' produced more than its {} bytes", path, t.name,
             t.nbytes);
      out.Write(chunk);
    });
    if (emitted != t.nbytes)
      Fail(ErrorKind::kInternal, "{}: tensor '{}' produced {} bytes, expected {}", path, t.name,
           emitted, t.nbytes);
  }
  out.Commit();
}

namespace {

// llama.cpp's general.file_type (enum llama_ftype) for a file whose weights are mostly `type`;
// the k-quants name their "_M" mixes. Quantized mixes pass the exact value in the options.
constexpr std::pair<std::string_view, uint32_t> kFileTypes[] = {
    {"F32", 0},   {"F16", 1},   {"Q4_0", 2},    {"Q4_1", 3},  {"Q8_0", 7},
    {"Q5_0", 8},  {"Q5_1", 9},  {"Q2_K", 10},   {"Q3_K", 12}, {"Q4_K", 15},
    {"Q5_K", 17}, {"Q6_K", 18}, {"IQ4_NL", 25}, {"BF16", 32},
};

uint32_t FileType(const Checkpoint& ckpt, const GgufWriteOptions& opts) {
  if (opts.file_type >= 0) return uint32_t(opts.file_type);
  // The most common type among the 2-D weights, by elements.
  std::map<QType, int64_t> elements;
  for (const TensorView& t : ckpt.tensors)
    if (t.shape.size() >= 2) elements[opts.matrix_type.value_or(t.type)] += t.NumElements();
  QType most = opts.matrix_type.value_or(QType::kF32);
  for (const auto& [type, n] : elements)
    if (n > elements[most]) most = type;
  for (const auto& [name, ftype] : kFileTypes)
    if (name == Traits(most).name) return ftype;
  return 0;
}

void AddConfig(GgufWriter& w, const Checkpoint& ckpt, const GgufWriteOptions& opts) {
  const ModelConfig& c = ckpt.config;
  std::string name = opts.name;
  if (name.empty()) {
    auto it = ckpt.metadata.find("general.name");
    name = it != ckpt.metadata.end() ? it->second : "llama";
  }
  w.Add("general.architecture", "llama");
  w.Add("general.name", name);
  w.Add("general.file_type", FileType(ckpt, opts));
  bool quantized = false;
  for (const TensorView& t : ckpt.tensors)
    quantized |= Traits(opts.matrix_type.value_or(t.type)).block_size > 1;
  if (quantized) w.Add("general.quantization_version", uint32_t(2));  // GGML_QNT_VERSION
  w.Add("llama.context_length", uint32_t(c.max_seq_len));
  w.Add("llama.embedding_length", uint32_t(c.dim));
  w.Add("llama.block_count", uint32_t(c.n_layers));
  w.Add("llama.feed_forward_length", uint32_t(c.hidden_dim));
  w.Add("llama.rope.dimension_count", uint32_t(c.head_dim()));
  w.Add("llama.attention.head_count", uint32_t(c.n_heads));
  w.Add("llama.attention.head_count_kv", uint32_t(c.n_kv_heads));
  w.Add("llama.attention.layer_norm_rms_epsilon", c.norm_eps);
  w.Add("llama.rope.freq_base", c.rope_theta);
  w.Add("llama.vocab_size", uint32_t(c.vocab_size));
}

void AddVocab(GgufWriter& w, const Vocab& v) {
  const size_t n = v.tokens.size();
  w.Add("tokenizer.ggml.model", v.kind == VocabKind::kGpt2Bpe ? "gpt2" : "llama");
  w.AddStringArray("tokenizer.ggml.tokens", v.tokens);
  w.AddF32Array("tokenizer.ggml.scores",
                v.scores.size() == n ? v.scores : std::vector<float>(n, 0.0f));
  std::vector<int32_t> types(n, int32_t(TokenType::kNormal));
  if (v.types.size() == n)
    for (size_t i = 0; i < n; ++i) types[i] = int32_t(v.types[i]);
  w.AddI32Array("tokenizer.ggml.token_type", types);
  if (v.kind == VocabKind::kGpt2Bpe) w.AddStringArray("tokenizer.ggml.merges", v.merges);
  const std::pair<const char*, int> ids[] = {{"tokenizer.ggml.bos_token_id", v.bos_id},
                                             {"tokenizer.ggml.eos_token_id", v.eos_id},
                                             {"tokenizer.ggml.unknown_token_id", v.unk_id},
                                             {"tokenizer.ggml.padding_token_id", v.pad_id}};
  for (const auto& [key, id] : ids)
    if (id >= 0) w.Add(key, uint32_t(id));
  w.Add("tokenizer.ggml.add_bos_token", v.add_bos);
  w.Add("tokenizer.ggml.add_space_prefix", v.add_space_prefix);
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Heads whose rows must be un-permuted for a rotate-half checkpoint, or 0 for other tensors.
int64_t PermutedHeads(const ModelConfig& c, std::string_view name) {
  if (c.rope_style != RopeStyle::kRotateHalf || !name.starts_with("blk.")) return 0;
  if (EndsWith(name, ".attn_q.weight")) return c.n_heads;
  if (EndsWith(name, ".attn_k.weight")) return c.n_kv_heads;
  return 0;
}

void AddConverted(GgufWriter& w, const Checkpoint& ckpt, const TensorView& t, QType out_type) {
  const QTypeTraits& src = Traits(t.type);
  const QTypeTraits& dst = Traits(out_type);
  if (src.dequantize_row == nullptr || (t.type != out_type && dst.quantize_row == nullptr))
    Fail(ErrorKind::kUnsupported, "{}: cannot convert tensor '{}' from {} to {}", ckpt.path, t.name,
         src.name, dst.name);
  if (t.data == nullptr || t.nbytes != t.RowStride() * size_t(t.Rows()))
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has {} bytes, its shape {} of {} needs {}",
         ckpt.path, t.name, t.nbytes, ShapeString(t.shape), src.name,
         t.RowStride() * size_t(t.Rows()));
  const int64_t heads = PermutedHeads(ckpt.config, t.name);
  const int64_t head_dim = ckpt.config.head_dim();
  if (heads > 0 && (t.shape.size() != 2 || t.Rows() != heads * head_dim || head_dim % 2 != 0))
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' of shape {} is not {} heads of {} rows",
         ckpt.path, t.name, ShapeString(t.shape), heads, head_dim);
  auto produce = [t, out_type, heads, head_dim](const GgufWriter::ByteSink& sink) {
    const int64_t cols = t.Cols();
    std::vector<float> row(static_cast<size_t>(cols));
    std::vector<std::byte> converted(RowBytes(out_type, cols));
    for (int64_t r = 0; r < t.Rows(); ++r) {
      const std::byte* src_row = t.Row(heads > 0 ? UnpermuteRopeRow(r, head_dim) : r);
      if (t.type == out_type) {
        sink({src_row, t.RowStride()});
        continue;
      }
      Traits(t.type).dequantize_row(src_row, row.data(), cols);
      Traits(out_type).quantize_row(row.data(), converted.data(), cols);
      sink(converted);
    }
  };
  try {
    w.AddTensor(t.name, out_type, t.shape, std::move(produce));
  } catch (const Error& e) {  // the writer's shape and name checks do not know the file
    Fail(e.kind(), "{}: {}", ckpt.path, e.what());
  }
}

}  // namespace

void WriteGgufCheckpoint(const Checkpoint& ckpt, const Vocab& vocab, const std::string& out_path,
                         const GgufWriteOptions& opts) {
  RefuseToOverwriteInput(ckpt.path, out_path);
  GgufWriter w;
  try {
    AddLlamaMetadata(w, ckpt, vocab, opts);
  } catch (const Error& e) {
    Fail(e.kind(), "{}: {}", out_path, e.what());
  }
  for (const TensorView& t : ckpt.tensors)
    AddConverted(w, ckpt, t,
                 !opts.matrix_type     ? t.type
                 : t.shape.size() >= 2 ? *opts.matrix_type
                                       : QType::kF32);
  w.Write(out_path);
}

void AddLlamaMetadata(GgufWriter& w, const Checkpoint& ckpt, const Vocab& vocab,
                      const GgufWriteOptions& opts) {
  AddConfig(w, ckpt, opts);
  AddVocab(w, vocab);
  for (const auto& [key, value] : opts.extra_kvs) w.Add(key, value);
}

int64_t UnpermuteRopeRow(int64_t row, int64_t head_dim) {
  const int64_t h = row / head_dim, j = row % head_dim;
  const int64_t i = j / 2, half = j % 2;
  return h * head_dim + half * (head_dim / 2) + i;
}

}  // namespace qforge::io
