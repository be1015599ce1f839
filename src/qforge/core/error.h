// Typed errors thrown at input boundaries, and checks for internal invariants.
//
// Code that reads user input (files, recipes, flags) throws qforge::Error with a message that names
// the offending file and value; cli/main.cc catches it once and maps the kind to an exit code.
// QF_CHECK guards invariants that only a bug can break; it stays on in release builds.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace qforge {

enum class ErrorKind {
  kInvalidInput,  // malformed or inconsistent file, bad flag value: exit code 2
  kIo,            // cannot open, read or write a file: exit code 2
  kUnsupported,   // a valid input that qforge does not handle (yet): exit code 2
  kInternal,      // a broken invariant: a bug in qforge, exit code 3
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

template <typename... Args>
[[noreturn]] void Fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);

}  // namespace qforge

#define QF_CHECK(cond) ((cond) ? (void)0 : ::qforge::CheckFailed(#cond, __FILE__, __LINE__))
#ifdef NDEBUG
#define QF_DCHECK(cond) ((void)0)
#else
#define QF_DCHECK(cond) QF_CHECK(cond)
#endif
