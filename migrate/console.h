// The one way human output leaves kms-migrate (stdout and stderr): a printf
// whose format is the tool's own text and whose every string argument, which
// may come from a store, a database or the command line, is made inert
// (core::terminal_text). No other file of migrate/ writes to a stream; the test
// ConsoleBoundary.OnlyConsoleWritesToTheTerminal holds that.
#pragma once
#include <cstdio>
#include <string>
#include <type_traits>

#include "safe_text.h"

namespace kms::cli {
namespace console_detail {

struct Text {
  std::string s;
  const char* get() const { return s.c_str(); }
};
template <typename T>
struct Number {
  T v;
  T get() const { return v; }
};

inline Text inert(const std::string& s) { return {core::terminal_text(s)}; }
inline Text inert(const char* s) { return {core::terminal_text(s ? s : "")}; }
template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
Number<T> inert(T v) {
  return {v};
}

template <typename... W>
void print(std::FILE* out, const char* format, const W&... w) {
  if constexpr (sizeof...(W) == 0) {
    std::fputs(format, out);
  } else {
    std::fprintf(out, format, w.get()...);
  }
}

}  // namespace console_detail

/// printf to `out` with every string argument escaped for the terminal.
template <typename... A>
void say(std::FILE* out, const char* format, const A&... args) {
  console_detail::print(out, format, console_detail::inert(args)...);
}

/// Text the tool wrote itself (help, usage): written as it is.
inline void say_own_text(std::FILE* out, const std::string& text) { std::fputs(text.c_str(), out); }

}  // namespace kms::cli
