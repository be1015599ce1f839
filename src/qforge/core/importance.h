// An importance matrix (llama.cpp's "imatrix"): for each weight matrix, one importance per input
// column, the mean of x^2 of the activations that column multiplies over the calibration tokens,
// with where it came from. io/imatrix_file reads and writes llama.cpp's files; calib/ computes
// one; quant/ hands each entry to QuantizeRowWeighted (core/qblocks_weighted.h).
//
// It lives in core because both io (files) and quant (quantization) use it and neither may see
// the other.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qforge {

// One weight's statistics as llama.cpp stores them, so that a file written from it makes
// llama-quantize compute exactly the importance qforge uses.
struct ImportanceEntry {
  std::vector<float> sum_sq;  // sum of x^2 per input column, expert after expert (in_sum2)
  std::vector<float> counts;  // tokens seen per expert; sum_sq.size() is a multiple of its size

  // The importance per column as llama-quantize derives it: sum_sq / count of the column's
  // expert, or 1 where that count is 0 (a weight no calibration token reached).
  std::vector<float> Importance() const {
    std::vector<float> out(sum_sq.size(), 1.0f);
    const size_t row = counts.empty() ? 0 : sum_sq.size() / counts.size();
    for (size_t e = 0; e < counts.size(); ++e)
      if (counts[e] > 0.0f)
        for (size_t i = e * row; i < (e + 1) * row; ++i) out[i] = sum_sq[i] / counts[e];
    return out;
  }
  // An entry whose importance is exactly `means` (one expert, count 1).
  static ImportanceEntry FromMeans(std::vector<float> means) {
    return ImportanceEntry{std::move(means), {1.0f}};
  }
};

struct ImportanceMatrix {
  // By weight tensor name as in GGUF ("blk.0.attn_q.weight"); sorted, like llama.cpp's files.
  std::map<std::string, ImportanceEntry, std::less<>> entries;
  std::string file;                   // the file it was read from, if any
  std::vector<std::string> datasets;  // calibration data names (imatrix.datasets)
  int64_t chunks_count = 0;           // calibration chunks (imatrix.chunk_count; 0 if unknown)
  int64_t chunk_size = 0;             // tokens per chunk (imatrix.chunk_size; 0 if unknown)

  const ImportanceEntry* Find(std::string_view name) const {
    const auto it = entries.find(name);
    return it == entries.end() ? nullptr : &it->second;
  }
};

}  // namespace qforge
