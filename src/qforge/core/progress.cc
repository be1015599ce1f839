// Progress: rendering and throttling.
#include "qforge/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace qforge {
namespace {
bool g_enabled = true;
}

void Progress::SetEnabled(bool enabled) { g_enabled = enabled; }
bool Progress::Enabled() { return g_enabled; }

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Update(int64_t done) {
  done_ = done;
  if (!g_enabled || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_print_ < std::chrono::milliseconds(100)) return;
  } else {
    if (done_ >= total_) return;  // Finish() prints the last line
    const int decile = total_ > 0 ? int(10 * done_ / total_) : 0;
    if (decile == last_decile_) return;
    last_decile_ = decile;
  }
  last_print_ = now;
  Print(false);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!g_enabled) return;
  done_ = total_;
  Print(true);
}

void Progress::Print(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? double(done_) / elapsed : 0.0;
  std::string line = fmt::format("{}: {}/{}", label_, done_, total_);
  if (!unit_.empty() && rate > 0) line += fmt::format(" ({:.0f} {}/s)", rate, unit_);
  if (final) {
    line += fmt::format(" in {:.2f} s", elapsed);
  } else if (rate > 0 && total_ > done_) {
    line += fmt::format(", ETA {:.1f} s", double(total_ - done_) / rate);
  }
  if (tty_) {
    fmt::print(stderr, "\r\033[K{}{}", line, final ? "\n" : "");
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

}  // namespace qforge
