// llama.cpp importance-matrix files (what llama-imatrix writes and llama-quantize --imatrix
// reads), in both of its formats:
//
//  - GGUF (current): keys general.type = "imatrix", imatrix.datasets (string array),
//    imatrix.chunk_count (u32), imatrix.chunk_size (u32); per weight two F32 tensors,
//    "<name>.in_sum2" with ne = {columns, experts} (sums of x^2) and "<name>.counts" with
//    ne = {1, experts} (tokens seen). Importance = in_sum2 / counts per expert row, or 1 where the
//    count is 0 (as llama-quantize's load_imatrix). Other tensors (".in_sum") are ignored.
//  - legacy binary ".dat", little-endian: i32 n_entries; per entry i32 name length, the name,
//    i32 ncall, i32 nval, f32 values[nval] (means times ncall, so importance = value / ncall when
//    ncall > 0, the value itself otherwise); then optionally i32 chunk count, i32 dataset name
//    length, the dataset name. Read as sum_sq = values, counts = {ncall} (or {1}).
//
// The format is told by the "GGUF" magic. Everything is untrusted: lengths are checked against
// the bytes left before anything is allocated, and a malformed file is Error{kInvalidInput}
// naming the file and the entry.
#pragma once

#include <span>
#include <string>

#include "qforge/core/importance.h"

namespace qforge::io {

// Reads either format; `path` also becomes the matrix's `file`.
ImportanceMatrix ReadImatrix(const std::string& path);
// The same from bytes already in memory (`path` only names them in errors).
ImportanceMatrix ParseImatrix(std::span<const std::byte> bytes, const std::string& path);

// Writes the GGUF format as llama-imatrix does (sorted names; in_sum2 = sum_sq, counts = counts),
// so llama-quantize and ReadImatrix derive exactly the same importance. Atomic (temporary file,
// then rename). An entry whose counts do not divide its sums is Error{kInvalidInput}.
void WriteImatrixGguf(const ImportanceMatrix& matrix, const std::string& path);

}  // namespace qforge::io
