// A fixed pool of worker threads for data-parallel loops.
//
// ParallelFor splits [0, n) into one contiguous range per thread; the calling thread takes the
// first range. Results never depend on the thread count as long as each output element is
// computed by exactly one index with a fixed order of arithmetic, which is how every kernel uses
// it. Workers spin briefly before sleeping so that the many small loops of a small model do not
// pay a futex wake-up each.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace qforge {

class ThreadPool {
 public:
  // threads <= 0 means one per hardware thread.
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Calls fn(begin, end) on disjoint ranges covering [0, n); returns when all are done.
  // `min_per_thread` keeps tiny loops on fewer threads.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                   int64_t min_per_thread = 1);

  static int DefaultThreads();

 private:
  void WorkerLoop(int index);
  void RunRange(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  // The current job, valid while pending_ > 0.
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int job_threads_ = 0;
};

}  // namespace qforge
