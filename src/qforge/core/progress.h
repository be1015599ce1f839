// Progress of long work on stderr: a self-rewriting line with rate and ETA on a terminal, a line
// every 10% otherwise (so CI logs stay short). Never writes to stdout, which carries results.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace qforge {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "");
  ~Progress();
  void Update(int64_t done);  // throttled; cheap to call often
  void Finish();
  static void SetEnabled(bool enabled);  // --quiet
  static bool Enabled();

 private:
  void Print(bool final);
  std::string label_;
  std::string unit_;
  int64_t total_;
  int64_t done_ = 0;
  int last_decile_ = -1;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace qforge
