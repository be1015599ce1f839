// Running the built qforge binary (or any shell command) from a test and capturing its output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "support/paths.h"

namespace qforge::test {

struct CommandResult {
  int code;         // exit code, or 128 when killed by a signal, -1 when it could not start
  std::string out;  // what the command wrote to stdout
};

// Runs `cmd` through /bin/sh (redirections such as 2>&1 belong in `cmd`).
inline CommandResult RunCommand(const std::string& cmd) {
  CommandResult r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

// `qforge ARGS` with stdout and stderr interleaved in `out`.
inline CommandResult Qforge(const std::string& args) {
  return RunCommand(Binary() + " " + args + " 2>&1");
}

}  // namespace qforge::test
