// Hugging Face directory export: tensor names and layouts, config.json, tokenizer files, and the
// atomic directory swap.
#include "qforge/io/hf_export.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "qforge/core/error.h"
#include "qforge/io/atomic_file.h"
#include "qforge/io/awq_layout.h"
#include "qforge/io/bnb_nf4_layout.h"
#include "qforge/io/fp8_layout.h"
#include "qforge/io/gptq_layout.h"
#include "qforge/io/hf_names.h"
#include "qforge/io/int_weights.h"
#include "qforge/io/safetensors_writer.h"

namespace qforge::io {
namespace fs = std::filesystem;
namespace {

const char* TorchDtype(QType type) {
  return type == QType::kBF16 ? "bfloat16" : type == QType::kF32 ? "float32" : "float16";
}

// The dtype of the model's unquantized weights (the embedding's), as transformers names it.
const char* ModelDtype(const Checkpoint& ckpt) {
  const TensorView* embd = ckpt.Find(kTokenEmbeddingName);
  return TorchDtype(embd != nullptr ? embd->type : QType::kF16);
}

template <typename T>
std::span<const std::byte> Bytes(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

// Collects the safetensors entries; buffers made here (packed codes, scales) live in `owned`.
class TensorList {
 public:
  template <typename T>
  void Own(std::string name, StDtype dtype, std::vector<int64_t> shape, std::vector<T> data) {
    owned_.push_back(std::make_shared<std::vector<T>>(std::move(data)));
    const auto& v = *std::static_pointer_cast<std::vector<T>>(owned_.back());
    tensors_.push_back({std::move(name), dtype, std::move(shape), Bytes(v)});
  }
  void Borrow(std::string name, StDtype dtype, std::vector<int64_t> shape,
              std::span<const std::byte> data) {
    tensors_.push_back({std::move(name), dtype, std::move(shape), data});
  }
  const std::vector<StTensor>& tensors() const { return tensors_; }

 private:
  std::deque<std::shared_ptr<void>> owned_;
  std::vector<StTensor> tensors_;
};

void AddBnbNf4(TensorList& out, const std::string& name, const TensorView& t,
               const HfExportOptions& opts, const char* dtype) {
  BnbNf4Weight w = PackBnbNf4(t, opts.nf4_double_quant, dtype);
  // Sizes first: the vectors are moved into the list (argument order is unspecified).
  const int64_t bytes = int64_t(w.packed.size()), blocks = bytes / 32;
  const int64_t groups = int64_t(w.dq.absmax2.size());
  out.Own(name, StDtype::kU8, {bytes, 1}, std::move(w.packed));
  out.Own(name + ".quant_map", StDtype::kF32, {16},
          std::vector<float>(kNF4Levels, kNF4Levels + 16));
  if (w.double_quant) {
    out.Own(name + ".absmax", StDtype::kU8, {blocks}, std::move(w.dq.codes));
    out.Own(name + ".nested_absmax", StDtype::kF32, {groups}, std::move(w.dq.absmax2));
    out.Own(name + ".nested_quant_map", StDtype::kF32, {256},
            std::vector<float>(DynamicMap8(), DynamicMap8() + 256));
  } else {
    out.Own(name + ".absmax", StDtype::kF32, {blocks}, std::move(w.absmax));
  }
  std::vector<uint8_t> blob(w.quant_state.begin(), w.quant_state.end());
  const int64_t len = int64_t(blob.size());
  out.Own(name + std::string(kBnbQuantStatePrefix) + "nf4", StDtype::kU8, {len}, std::move(blob));
}

void AddFp8(TensorList& out, const std::string& name, const TensorView& t) {
  Fp8Weight w = PackFp8(t);
  const std::vector<int64_t> shape = w.shape;
  out.Own(name, w.e5m2 ? StDtype::kF8_E5M2 : StDtype::kF8_E4M3, shape, std::move(w.codes));
  out.Own(Fp8ScaleName(name), StDtype::kF32, {}, std::vector<float>{w.scale});
}

bool IsLinear(const TensorView& t) { return t.name.starts_with("blk.") && t.shape.size() == 2; }
bool IsDense(QType type) {
  return type == QType::kF32 || type == QType::kF16 || type == QType::kBF16;
}
bool IsIntFormat(HfQuantFormat format) {
  return format == HfQuantFormat::kGptq || format == HfQuantFormat::kAwq;
}
const char* FormatName(HfQuantFormat format) {
  switch (format) {
    case HfQuantFormat::kBnbNf4:
      return "bnb-nf4";
    case HfQuantFormat::kFp8:
      return "fp8";
    case HfQuantFormat::kGptq:
      return "gptq";
    case HfQuantFormat::kAwq:
      return "awq";
  }
  return "?";
}
// The quantized types a format holds for linear weights, for error messages.
const char* FormatHolds(HfQuantFormat format) {
  switch (format) {
    case HfQuantFormat::kBnbNf4:
      return "NF4";
    case HfQuantFormat::kFp8:
      return "FP8_E4M3_T/FP8_E5M2_T";
    case HfQuantFormat::kGptq:
      return "INTb_Gg/INTb_Gg_Z/INTb_ROW/INTb_ROW_Z (b = 2, 3, 4) and INT8";
    case HfQuantFormat::kAwq:
      return "INT4_Gg/INT4_Gg_Z (g = 32, 64, 128)";
  }
  return "?";
}

// The one bits / group size of a GPTQ or AWQ checkpoint (quantization_config applies to every
// layer), and whether every layer is symmetric. Errors name the tensors that disagree.
struct IntParams {
  int bits = 0;
  int group_size = 0;  // -1: one group per row
  bool sym = true;
};
IntParams IntExportParams(const Checkpoint& ckpt, HfQuantFormat format) {
  IntParams p;
  const TensorView* first = nullptr;
  for (const TensorView& t : ckpt.tensors) {
    const auto info = IntTypeOf(t.type);
    if (!info || !IsLinear(t)) continue;
    const int group = info->group == 0 ? -1 : info->group;
    if (first == nullptr) {
      first = &t;
      p.bits = info->bits;
      p.group_size = group;
    } else if (info->bits != p.bits || group != p.group_size) {
      Fail(ErrorKind::kInvalidInput,
           "tensor '{}' is {} but '{}' is {}: a {} checkpoint has one bits and group_size for "
           "every layer",
           t.name, Traits(t.type).name, first->name, Traits(first->type).name, FormatName(format));
    }
    p.sym &= !info->zero;
  }
  if (first == nullptr)
    Fail(ErrorKind::kInvalidInput,
         "the {} format needs linear weights of an INT type ({}), e.g. recipe int4-g128; the "
         "checkpoint has none",
         FormatName(format), FormatHolds(format));
  if (format == HfQuantFormat::kAwq && (p.bits != 4 || p.group_size == -1))
    Fail(ErrorKind::kInvalidInput, "tensor '{}' is {}: the awq format holds {} linear weights",
         first->name, Traits(first->type).name, FormatHolds(format));
  return p;
}

// "<layer>.weight" as GPTQ's or AWQ's "<layer>.qweight", ".qzeros", ".scales" (, ".g_idx").
void AddIntWeight(TensorList& out, const std::string& name, const TensorView& t,
                  HfQuantFormat format) {
  const std::string layer = name.substr(0, name.size() - std::string_view(".weight").size());
  const IntWeights w = IntWeightsFromTensor(t);
  const int64_t groups = w.groups();
  if (format == HfQuantFormat::kGptq) {
    GptqWeight g = PackGptq(w, t.name);
    out.Own(layer + ".qweight", StDtype::kI32, {w.in * w.bits / 32, w.out}, std::move(g.qweight));
    out.Own(layer + ".qzeros", StDtype::kI32, {groups, w.out * w.bits / 32}, std::move(g.qzeros));
    out.Own(layer + ".scales", StDtype::kF16, {groups, w.out}, std::move(g.scales));
    out.Own(layer + ".g_idx", StDtype::kI32, {w.in}, std::move(g.g_idx));
  } else {
    AwqWeight a = PackAwq(w, t.name);
    out.Own(layer + ".qweight", StDtype::kI32, {w.in, w.out / 8}, std::move(a.qweight));
    out.Own(layer + ".qzeros", StDtype::kI32, {groups, w.out / 8}, std::move(a.qzeros));
    out.Own(layer + ".scales", StDtype::kF16, {groups, w.out}, std::move(a.scales));
  }
}

// HF module names ("model.layers.0.mlp.down_proj") of the linear layers left in 16/32 bits.
std::vector<std::string> DenseLinearModules(const Checkpoint& ckpt) {
  std::vector<std::string> modules;
  for (const TensorView& t : ckpt.tensors) {
    const auto name = HfNameFromGguf(t.name);
    if (name && IsDense(t.type) && IsLinear(t))
      modules.push_back(name->substr(0, name->size() - std::string_view(".weight").size()));
  }
  return modules;
}

void WriteText(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  file.Write(text.data(), text.size());
  file.Commit();
}

void AddTensor(TensorList& out, const Checkpoint& ckpt, const TensorView& t,
               const HfExportOptions& opts) {
  const auto name = HfNameFromGguf(t.name);
  if (!name)
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' has no Hugging Face Llama name", ckpt.path,
         t.name);
  const bool bnb = opts.format == HfQuantFormat::kBnbNf4;
  const bool linear = IsLinear(t);
  if (IsIntFormat(opts.format) && linear && IntTypeOf(t.type))
    return AddIntWeight(out, *name, t, opts.format);
  // GPTQ loaders expect qweight for every linear layer of the decoder blocks.
  if (opts.format == HfQuantFormat::kGptq && linear && IsDense(t.type))
    Fail(ErrorKind::kInvalidInput,
         "tensor '{}' is {}: the gptq format quantizes every linear layer of the decoder blocks",
         t.name, Traits(t.type).name);
  switch (t.type) {
    case QType::kF32:
      return out.Borrow(*name, StDtype::kF32, t.shape, {t.data, t.nbytes});
    case QType::kF16:
      return out.Borrow(*name, StDtype::kF16, t.shape, {t.data, t.nbytes});
    case QType::kBF16:
      return out.Borrow(*name, StDtype::kBF16, t.shape, {t.data, t.nbytes});
    case QType::kNF4:
      if (bnb && linear) return AddBnbNf4(out, *name, t, opts, ModelDtype(ckpt));
      break;
    case QType::kFP8_E4M3_T:
    case QType::kFP8_E5M2_T:
      if (opts.format == HfQuantFormat::kFp8 && linear) return AddFp8(out, *name, t);
      break;
    default:
      break;
  }
  Fail(ErrorKind::kInvalidInput,
       "tensor '{}' is {}: the {} format holds F32/F16/BF16 tensors and {} linear-layer weights{}",
       t.name, Traits(t.type).name, FormatName(opts.format), FormatHolds(opts.format),
       t.type == QType::kNF4_DQ ? " (for NF4_DQ, export NF4 with double quantization: its exact "
                                  "absmax values are needed)"
                                : "");
}

// Refuses a destination that would destroy the input or someone's directory.
void CheckDestination(const Checkpoint& ckpt, const fs::path& dir, bool force) {
  std::error_code ec;
  if (!ckpt.path.empty() && fs::exists(ckpt.path, ec)) {
    // Refused when the input is the directory or anywhere inside it (even with force).
    const fs::path in = fs::weakly_canonical(ckpt.path), out = fs::weakly_canonical(dir);
    if (std::mismatch(out.begin(), out.end(), in.begin(), in.end()).first == out.end())
      Fail(ErrorKind::kInvalidInput, "{}: refusing to overwrite the input model {}", dir.string(),
           ckpt.path);
  }
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    Fail(ErrorKind::kInvalidInput, "{}: exists and is not a directory", dir.string());
  if (!force && !fs::is_empty(dir, ec))
    Fail(ErrorKind::kInvalidInput, "{}: directory exists and is not empty (--force replaces it)",
         dir.string());
}

// AutoGPTQ's BaseQuantizeConfig fields, as quantize_config.json and as config.json's
// quantization_config (transformers' GPTQConfig and vLLM's GPTQConfig read bits, group_size,
// desc_act, sym; checkpoint_format "gptq" marks the v1 zero-point convention).
nlohmann::ordered_json GptqConfig(const Checkpoint& ckpt, const HfExportOptions& opts) {
  const IntParams p = IntExportParams(ckpt, opts.format);
  return {{"quant_method", "gptq"},
          {"bits", p.bits},
          {"group_size", p.group_size},
          {"desc_act", opts.gptq.desc_act},
          {"sym", p.sym},
          {"damp_percent", opts.gptq.damp_percent},
          {"true_sequential", opts.gptq.true_sequential},
          {"static_groups", opts.gptq.static_groups},
          {"checkpoint_format", "gptq"}};
}

}  // namespace

std::string HfConfigJson(const Checkpoint& ckpt, const HfExportOptions& opts) {
  const ModelConfig& c = ckpt.config;
  nlohmann::ordered_json j = {{"architectures", {"LlamaForCausalLM"}},
                              {"model_type", "llama"},
                              {"hidden_size", c.dim},
                              {"intermediate_size", c.hidden_dim},
                              {"num_hidden_layers", c.n_layers},
                              {"num_attention_heads", c.n_heads},
                              {"num_key_value_heads", c.n_kv_heads},
                              {"vocab_size", c.vocab_size},
                              {"max_position_embeddings", c.max_seq_len},
                              {"rms_norm_eps", c.norm_eps},
                              {"rope_theta", c.rope_theta},
                              {"hidden_act", "silu"},
                              {"tie_word_embeddings", c.tied_embeddings},
                              {"torch_dtype", ModelDtype(ckpt)}};
  if (ckpt.vocab) {
    j["bos_token_id"] = ckpt.vocab->bos_id;
    j["eos_token_id"] = ckpt.vocab->eos_id;
  }
  if (opts.format == HfQuantFormat::kBnbNf4) {
    // BitsAndBytesConfig.to_dict() as transformers saves it.
    j["quantization_config"] = {{"_load_in_4bit", true},
                                {"_load_in_8bit", false},
                                {"bnb_4bit_compute_dtype", ModelDtype(ckpt)},
                                {"bnb_4bit_quant_storage", "uint8"},
                                {"bnb_4bit_quant_type", "nf4"},
                                {"bnb_4bit_use_double_quant", opts.nf4_double_quant},
                                {"llm_int8_enable_fp32_cpu_offload", false},
                                {"llm_int8_has_fp16_weight", false},
                                {"llm_int8_skip_modules", nullptr},
                                {"llm_int8_threshold", 6.0},
                                {"load_in_4bit", true},
                                {"load_in_8bit", false},
                                {"quant_method", "bitsandbytes"}};
  } else if (opts.format == HfQuantFormat::kGptq) {
    j["quantization_config"] = GptqConfig(ckpt, opts);
  } else if (opts.format == HfQuantFormat::kAwq) {
    // AutoAWQ's AwqConfig as transformers saves it; vLLM's AWQConfig reads bits, group_size,
    // zero_point and modules_to_not_convert (matched as substrings of module names).
    const IntParams p = IntExportParams(ckpt, opts.format);
    j["quantization_config"] = {{"quant_method", "awq"},
                                {"bits", p.bits},
                                {"group_size", p.group_size},
                                {"zero_point", true},
                                {"version", "gemm"}};
    if (const auto dense = DenseLinearModules(ckpt); !dense.empty())
      j["quantization_config"]["modules_to_not_convert"] = dense;
  } else {
    // vLLM's Fp8Config.from_config reads quant_method and activation_scheme; "dynamic": the
    // activations are scaled per token at run time, so the file has no input_scale.
    j["quantization_config"] = {{"quant_method", "fp8"}, {"activation_scheme", "dynamic"}};
    // Linear layers the recipe left in 16/32 bits: vLLM must not expect FP8 weights for them.
    std::vector<std::string> ignored;
    for (const TensorView& t : ckpt.tensors) {
      const auto name = HfNameFromGguf(t.name);
      const bool dense = t.type == QType::kF32 || t.type == QType::kF16 || t.type == QType::kBF16;
      if (name && dense && t.name.starts_with("blk.") && t.shape.size() == 2)
        ignored.push_back(name->substr(0, name->size() - std::string_view(".weight").size()));
    }
    if (!ignored.empty()) j["quantization_config"]["ignored_layers"] = ignored;
  }
  return j.dump(2) + "\n";
}

void ExportHfCheckpoint(const Checkpoint& ckpt, const std::string& dir,
                        const HfExportOptions& opts) {
  fs::path out = fs::path(dir).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "out/": the temporary is a sibling
  CheckDestination(ckpt, out, opts.force);
  if (IsIntFormat(opts.format)) IntExportParams(ckpt, opts.format);  // one bits / group size
  TensorList list;
  for (const TensorView& t : ckpt.tensors) AddTensor(list, ckpt, t, opts);

  fs::path tmp = out;
  tmp += ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  try {
    WriteSafetensors((tmp / "model.safetensors").string(), list.tensors(), opts.metadata);
    WriteText((tmp / "config.json").string(), HfConfigJson(ckpt, opts));
    if (opts.format == HfQuantFormat::kGptq) {  // AutoGPTQ's own copy, beside the weights
      nlohmann::ordered_json q = GptqConfig(ckpt, opts);
      q["model_name_or_path"] = nullptr;
      q["model_file_base_name"] = "model";
      WriteText((tmp / "quantize_config.json").string(), q.dump(2) + "\n");
    }
    for (const auto& [from, name] : opts.files)
      fs::copy_file(from, tmp / fs::path(name).filename(), fs::copy_options::overwrite_existing);
    if (fs::exists(out)) fs::remove_all(out);  // empty, or --force
    fs::rename(tmp, out);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    Fail(ErrorKind::kIo, "{}: {}", dir, e.what());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace qforge::io
