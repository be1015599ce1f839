// Greedy pairwise merging with a priority queue: the core of both SentencePiece BPE and GPT-2 BPE.
//
// The input is a chain of symbols, each a span of one string and a token id. Repeatedly the
// adjacent pair with the highest priority is merged (ties: the leftmost pair), as llama.cpp's
// llm_tokenizer_spm and llm_tokenizer_bpe do. Candidates live in a heap and are checked for
// staleness when popped, so a text of n symbols costs O(n log n) rather than the O(n^2) of
// rescanning all pairs after each merge.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace qforge::tokenizer {

struct MergeSymbol {
  uint32_t begin = 0;  // byte offset in the text being tokenized
  uint32_t size = 0;   // 0 once merged into its left neighbour
  int id = -1;         // token id, -1 when the span is not a token (byte fallback later)
  int prev = -1;
  int next = -1;
};

// What a pair would merge into.
struct MergeCandidate {
  double priority = 0;  // higher merges first
  int id = -1;          // the token of the merged span
};

// Links `symbols` into a chain in order. Each needs begin, size and id set.
inline void LinkSymbols(std::vector<MergeSymbol>& symbols) {
  const int n = int(symbols.size());
  for (int i = 0; i < n; ++i) {
    symbols[size_t(i)].prev = i - 1;
    symbols[size_t(i)].next = i + 1 < n ? i + 1 : -1;
  }
}

// Merges until no adjacent pair is mergeable. pair(left, right) returns the candidate for merging
// two adjacent symbols, or nullopt. Afterwards follow `next` from index 0 for the surviving
// symbols.
template <typename PairFn>
void MergeGreedy(std::vector<MergeSymbol>& symbols, PairFn pair) {
  struct Entry {
    double priority;
    int left;
    uint32_t size;  // the merged size when queued; a mismatch later means a side already merged
    int id;
    bool operator<(const Entry& other) const {  // max-heap: highest priority, then leftmost
      return priority < other.priority || (priority == other.priority && left > other.left);
    }
  };
  std::priority_queue<Entry> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const MergeSymbol& l = symbols[size_t(left)];
    const MergeSymbol& r = symbols[size_t(right)];
    if (const std::optional<MergeCandidate> c = pair(l, r))
      queue.push(Entry{c->priority, left, l.size + r.size, c->id});
  };
  for (int i = 1; i < int(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Entry top = queue.top();
    queue.pop();
    MergeSymbol& left = symbols[size_t(top.left)];
    if (left.size == 0 || left.next < 0) continue;
    MergeSymbol& right = symbols[size_t(left.next)];
    // Spans are contiguous, so equal total size means neither side has changed since queuing.
    if (right.size == 0 || left.size + right.size != top.size) continue;
    left.size += right.size;
    left.id = top.id;
    right.size = 0;
    left.next = right.next;
    if (left.next >= 0) symbols[size_t(left.next)].prev = top.left;
    try_add(left.prev, top.left);
    try_add(top.left, left.next);
  }
}

}  // namespace qforge::tokenizer
