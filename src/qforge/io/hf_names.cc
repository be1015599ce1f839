// The transformers <-> GGUF tensor name table of the Llama family.
#include "qforge/io/hf_names.h"

#include <regex>
#include <string_view>
#include <utility>

namespace qforge::io {
namespace {

constexpr std::pair<std::string_view, std::string_view> kGlobal[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"}};
// Per layer: "model.layers.<i>.<hf>.weight" <-> "blk.<i>.<gguf>.weight".
constexpr std::pair<std::string_view, std::string_view> kLayer[] = {
    {"input_layernorm", "attn_norm"}, {"post_attention_layernorm", "ffn_norm"},
    {"self_attn.q_proj", "attn_q"},   {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},   {"self_attn.o_proj", "attn_output"},
    {"mlp.gate_proj", "ffn_gate"},    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"}};

}  // namespace

std::optional<std::string> GgufNameFromHf(const std::string& hf) {
  for (const auto& [from, to] : kGlobal)
    if (hf == from) return std::string(to);
  static const std::regex kLayerName(R"(model\.layers\.(\d+)\.(.+)\.weight)");
  std::smatch m;
  if (std::regex_match(hf, m, kLayerName))
    for (const auto& [from, to] : kLayer)
      if (m[2].str() == from) return "blk." + m[1].str() + "." + std::string(to) + ".weight";
  return std::nullopt;
}

std::optional<std::string> HfNameFromGguf(const std::string& gguf) {
  for (const auto& [hf, name] : kGlobal)
    if (gguf == name) return std::string(hf);
  static const std::regex kLayerName(R"(blk\.(\d+)\.(.+)\.weight)");
  std::smatch m;
  if (std::regex_match(gguf, m, kLayerName))
    for (const auto& [hf, name] : kLayer)
      if (m[2].str() == name)
        return "model.layers." + m[1].str() + "." + std::string(hf) + ".weight";
  return std::nullopt;
}

}  // namespace qforge::io
