// --imatrix FILE, as llama-quantize's flag: the importance matrix a quantize run weights its
// k-quant searches with (io/imatrix_file.h, quant::QuantizeOptions::importance), and the
// provenance keys llama-quantize writes into the output GGUF.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "qforge/core/checkpoint.h"
#include "qforge/core/importance.h"
#include "qforge/core/thread_pool.h"
#include "qforge/quant/quantize_model.h"

namespace qforge::cli {

void AddImatrixFlag(CLI::App& verb, std::string& file);

// The matrix in `file` (either llama.cpp format), or nullopt when the flag was not given.
std::optional<ImportanceMatrix> LoadImatrixFlag(const std::string& file);

// Round-to-nearest quantization by `recipe` with the matrix's weighted searches, with progress.
quant::QuantizedModel QuantizeWithImatrix(const Checkpoint& source, const quant::Recipe& recipe,
                                          const ImportanceMatrix& imatrix, ThreadPool& pool);

// Says how many quantized tensors the matrix weighted, and warns when it weighted none (wrong
// model, or only types such as Q8_0 that ggml quantizes without it).
void NoteImatrixUse(const quant::QuantizedModel& q);

// quantize.imatrix.{file,dataset,entries_count,chunks_count} from the quantized checkpoint's
// metadata (quant::QuantizeCheckpoint sets them), for io::GgufWriteOptions::extra_kvs. llama.cpp
// writes the counts as u32; qforge's extra_kvs carry strings, so they are decimal strings here.
std::vector<std::pair<std::string, std::string>> ImatrixProvenance(const Checkpoint& q);

}  // namespace qforge::cli
