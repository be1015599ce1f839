#include "qforge/cli/imatrix_flag.h"

#include "qforge/cli/common.h"
#include "qforge/io/imatrix_file.h"

namespace qforge::cli {

void AddImatrixFlag(CLI::App& verb, std::string& file) {
  verb.add_option("--imatrix", file,
                  "llama.cpp importance matrix (GGUF or legacy .dat from llama-imatrix): k-quant, "
                  "Q4_0/Q4_1/Q5_0/Q5_1 and IQ4_NL tensors with an entry use ggml's weighted "
                  "search, as llama-quantize --imatrix")
      ->check(CLI::ExistingFile);
}

std::optional<ImportanceMatrix> LoadImatrixFlag(const std::string& file) {
  if (file.empty()) return std::nullopt;
  ImportanceMatrix m = io::ReadImatrix(file);
  Note("imatrix: {} entries from {} ({} chunks of {})", m.entries.size(), file, m.chunks_count,
       m.datasets.empty() ? std::string("an unnamed dataset") : m.datasets.front());
  return m;
}

quant::QuantizedModel QuantizeWithImatrix(const Checkpoint& source, const quant::Recipe& recipe,
                                          const ImportanceMatrix& imatrix, ThreadPool& pool) {
  Progress progress("quantize " + recipe.name, int64_t(source.tensors.size()), "tensors");
  quant::QuantizeOptions options;
  options.measure_error = false;
  options.importance = &imatrix;
  options.on_tensor = [&](size_t done, size_t) { progress.Update(int64_t(done)); };
  quant::QuantizedModel q = quant::QuantizeCheckpoint(source, recipe, pool, options);
  progress.Finish();
  NoteImatrixUse(q);
  return q;
}

void NoteImatrixUse(const quant::QuantizedModel& q) {
  size_t quantized = 0, weighted = 0;
  for (const quant::TensorResult& t : q.tensors) {
    quantized += t.choice.quantized;
    weighted += t.weighted;
  }
  if (weighted == 0)
    Note(
        "warning: the imatrix weighted none of the {} quantized tensors (no entry matches, or "
        "their types ignore it)",
        quantized);
  else
    Note("imatrix: {} of {} quantized tensors used importance weights", weighted, quantized);
}

std::vector<std::pair<std::string, std::string>> ImatrixProvenance(const Checkpoint& q) {
  std::vector<std::pair<std::string, std::string>> kvs;
  for (const char* key : {"quantize.imatrix.file", "quantize.imatrix.dataset",
                          "quantize.imatrix.entries_count", "quantize.imatrix.chunks_count"})
    if (const auto it = q.metadata.find(key); it != q.metadata.end())
      kvs.emplace_back(key, it->second);
  return kvs;
}

}  // namespace qforge::cli
