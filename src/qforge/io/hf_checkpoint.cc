// Hugging Face Llama checkpoint reader: config.json, single or sharded safetensors, name mapping.
#include "qforge/io/hf_checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "qforge/core/error.h"
#include "qforge/io/bnb_nf4_layout.h"
#include "qforge/io/fp8_layout.h"
#include "qforge/io/hf_names.h"
#include "qforge/io/hf_quantized_reader.h"
#include "qforge/io/mapped_file.h"
#include "qforge/io/safetensors_file.h"

namespace qforge::io {
namespace fs = std::filesystem;
namespace {

int RequireInt(const nlohmann::json& j, const char* key, const std::string& path,
               std::optional<int> fallback = {}) {
  if (!j.contains(key) || j[key].is_null()) {
    if (fallback) return *fallback;
    Fail(ErrorKind::kInvalidInput, "{}: config.json lacks '{}'", path, key);
  }
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0 ||
      j[key].get<int64_t>() > (int64_t(1) << 24))
    Fail(ErrorKind::kInvalidInput, "{}: config.json '{}' = {} is not a positive integer in range",
         path, key, j[key].dump());
  return j[key].get<int>();
}

double OptionalNumber(const nlohmann::json& j, const char* key, double fallback,
                      const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number())
    Fail(ErrorKind::kInvalidInput, "{}: config.json '{}' is not a number", path, key);
  return j[key].get<double>();
}

struct Layout {
  fs::path dir;
  std::vector<fs::path> shards;
};

Layout FindFiles(const std::string& path) {
  fs::path p(path);
  Layout layout;
  layout.dir = fs::is_directory(p) ? p : p.parent_path();
  if (layout.dir.empty()) layout.dir = ".";
  if (!fs::is_directory(p) && p.extension() == ".safetensors") {
    layout.shards.push_back(p);
    return layout;
  }
  const fs::path index = layout.dir / "model.safetensors.index.json";
  const fs::path single = layout.dir / "model.safetensors";
  if (fs::exists(single)) {
    layout.shards.push_back(single);
  } else if (fs::exists(index)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(ReadTextFile(index.string(), 64u << 20));
    } catch (const nlohmann::json::exception& e) {
      Fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", index.string(), e.what());
    }
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      Fail(ErrorKind::kInvalidInput, "{}: lacks a weight_map object", index.string());
    std::set<std::string> files;
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string() || file.get<std::string>().find('/') != std::string::npos)
        Fail(ErrorKind::kInvalidInput, "{}: weight_map entry for '{}' is not a file name",
             index.string(), name);
      files.insert(file.get<std::string>());
    }
    for (const auto& f : files) layout.shards.push_back(layout.dir / f);
  } else {
    Fail(ErrorKind::kInvalidInput, "{}: no model.safetensors or model.safetensors.index.json",
         layout.dir.string());
  }
  return layout;
}

// Keeps the tensor's bytes zero-copy when they are aligned for their element type, and copies them
// into an owned buffer otherwise (safetensors does not promise alignment).
void AlignOrCopy(TensorView& t, Checkpoint& ckpt) {
  // Element alignment; quantized blocks need that of their widest field (an f32 scale) at most.
  const size_t align = std::min<size_t>(Traits(t.type).block_bytes, alignof(float));
  if (reinterpret_cast<uintptr_t>(t.data) % align == 0) return;
  auto copy = std::make_shared<std::vector<std::byte>>(t.data, t.data + t.nbytes);
  t.data = copy->data();
  ckpt.storage.push_back(copy);
}

// Adds a tensor under its GGUF name (dropping unused ones and a tied classifier).
void AddTensor(TensorView& t, Checkpoint& ckpt) {
  const auto name = GgufNameFromHf(t.name);
  if (!name) return;  // rotary_emb.inv_freq and the like: recomputed, not loaded
  if (*name == kOutputName && ckpt.config.tied_embeddings) return;
  if (ckpt.Find(*name))
    Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' appears twice", ckpt.path, t.name);
  t.name = *name;
  AlignOrCopy(t, ckpt);
  ckpt.tensors.push_back(std::move(t));
}

// Weights stored in a quantized layout (bitsandbytes 4-bit, FP8 with weight_scale), rebuilt as
// qforge tensors under their HF names; their parts are removed from `all`.
std::vector<TensorView> QuantizedWeights(std::map<std::string, StRawTensor>& all,
                                         const std::string& path, Checkpoint& ckpt) {
  std::vector<TensorView> out;
  std::vector<std::string> weights;
  for (const auto& [name, raw] : all) {
    if (const size_t at = name.find(kBnbQuantStatePrefix); at != std::string::npos)
      weights.push_back(name.substr(0, at));
    else if (raw.dtype == "F8_E4M3" || raw.dtype == "F8_E5M2")
      weights.push_back(name);
  }
  for (const std::string& weight : weights) {
    std::shared_ptr<const void> owner;
    const auto it = all.find(weight);
    if (it == all.end())
      Fail(ErrorKind::kInvalidInput, "{}: quantization state for '{}' but no such tensor", path,
           weight);
    const bool fp8 = it->second.dtype.starts_with("F8_");
    TensorView t = fp8 ? UnpackFp8(all, weight, Fp8ScaleName(weight), path, owner)
                       : UnpackBnbNf4(all, weight, path, owner);
    t.name = weight;
    ckpt.storage.push_back(owner);
    out.push_back(std::move(t));
    // The parts: bnb's "<weight>.*", FP8's "<weight>_scale" and vLLM's activation "input_scale".
    const std::string layer = weight.substr(0, weight.size() - std::string_view(".weight").size());
    for (auto it = all.lower_bound(weight); it != all.end() && it->first.starts_with(weight);)
      it = all.erase(it);
    all.erase(layer + ".input_scale");
  }
  return out;
}

}  // namespace

ModelConfig ParseHfConfig(const std::string& json_text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    Fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", path, e.what());
  }
  if (!j.is_object()) Fail(ErrorKind::kInvalidInput, "{}: not a JSON object", path);
  const std::string model_type = j.value("model_type", "");
  if (model_type != "llama" && model_type != "mistral")
    Fail(ErrorKind::kUnsupported,
         "{}: model_type '{}' is not supported (qforge runs the Llama family)", path, model_type);
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    Fail(ErrorKind::kUnsupported, "{}: rope_scaling is not supported yet", path);
  ModelConfig c;
  c.dim = RequireInt(j, "hidden_size", path);
  c.hidden_dim = RequireInt(j, "intermediate_size", path);
  c.n_layers = RequireInt(j, "num_hidden_layers", path);
  c.n_heads = RequireInt(j, "num_attention_heads", path);
  c.n_kv_heads = RequireInt(j, "num_key_value_heads", path, c.n_heads);
  c.vocab_size = RequireInt(j, "vocab_size", path);
  c.max_seq_len = RequireInt(j, "max_position_embeddings", path, 2048);
  c.norm_eps = float(OptionalNumber(j, "rms_norm_eps", 1e-6, path));
  c.rope_theta = float(OptionalNumber(j, "rope_theta", 10000.0, path));
  c.tied_embeddings = j.value("tie_word_embeddings", false);
  c.rope_style = RopeStyle::kRotateHalf;
  if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 || c.head_dim() % 2 != 0)
    Fail(ErrorKind::kInvalidInput,
         "{}: hidden_size {} does not split into {} heads over {} kv heads", path, c.dim, c.n_heads,
         c.n_kv_heads);
  if (j.contains("head_dim") && !j["head_dim"].is_null() &&
      RequireInt(j, "head_dim", path) != c.head_dim())
    Fail(ErrorKind::kUnsupported, "{}: head_dim {} differs from hidden_size / num_attention_heads",
         path, j["head_dim"].dump());
  return c;
}

Checkpoint LoadHfCheckpoint(const std::string& path) {
  const Layout layout = FindFiles(path);
  const fs::path config_path = layout.dir / "config.json";
  if (!fs::exists(config_path))
    Fail(ErrorKind::kInvalidInput, "{}: no config.json beside the safetensors files",
         layout.dir.string());
  Checkpoint ckpt;
  ckpt.path = path;
  ckpt.format = "safetensors";
  const std::string config_text = ReadTextFile(config_path.string(), 16u << 20);
  ckpt.config = ParseHfConfig(config_text, config_path.string());
  const auto int_quant = ParseHfIntQuantConfig(config_text, config_path.string());
  // Every shard's tensors by name first: a quantized weight's parts may sit in different shards.
  std::map<std::string, StRawTensor> all;
  for (const fs::path& shard : layout.shards) {
    SafetensorsFile st = ReadSafetensorsAllDtypes(shard.string());
    for (const TensorView& t : st.tensors)
      st.others.push_back({t.name, std::string(Traits(t.type).name), t.shape, {t.data, t.nbytes}});
    for (StRawTensor& t : st.others) {
      const std::string name = t.name;
      if (!all.emplace(name, std::move(t)).second)
        Fail(ErrorKind::kInvalidInput, "{}: tensor '{}' appears twice", shard.string(), name);
    }
    for (const auto& [k, v] : st.metadata) ckpt.metadata["safetensors." + k] = v;
    ckpt.storage.push_back(st.file);
  }
  if (int_quant)  // GPTQ / AWQ: "<layer>.qweight" and its parts become "<layer>.weight"
    for (TensorView& t : ReadHfIntQuantWeights(all, *int_quant, layout.dir.string(), ckpt))
      AddTensor(t, ckpt);
  for (TensorView& t : QuantizedWeights(all, layout.dir.string(), ckpt)) AddTensor(t, ckpt);
  for (const auto& [hf_name, raw] : all) {
    const auto type = QTypeFromName(raw.dtype);
    if (!type || (*type != QType::kF32 && *type != QType::kF16 && *type != QType::kBF16)) {
      if (GgufNameFromHf(hf_name))
        Fail(ErrorKind::kUnsupported, "{}: tensor '{}' has dtype {} in no layout qforge reads",
             layout.dir.string(), hf_name, raw.dtype);
      continue;  // a part of a quantized weight, or a tensor the forward pass does not use
    }
    TensorView t{hf_name, *type, raw.shape, raw.bytes.data(), raw.bytes.size()};
    AddTensor(t, ckpt);
  }
  return ckpt;
}

}  // namespace qforge::io
