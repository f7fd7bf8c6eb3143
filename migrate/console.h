// The one way human output leaves kms-migrate (stdout and stderr): a printf
// whose format is the tool's own text and whose every string argument, which
// may come from a store, a database or the command line, is made inert
// (core::terminal_text). No other file of migrate/ writes to a stream; the test
// ConsoleBoundary.OnlyConsoleWritesToTheTerminal holds that.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <string>
#include <type_traits>

#include "console_format.h"
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
std::string format(const char* fmt, const W&... w) {
  if constexpr (sizeof...(W) == 0) {
    return fmt;
  } else {
    const int n = std::snprintf(nullptr, 0, fmt, w.get()...);
    if (n <= 0) return "";
    std::string out(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(out.data(), out.size(), fmt, w.get()...);
    out.pop_back();
    return out;
  }
}

}  // namespace console_detail

/// The one writer of stdout and stderr (migrate/console.cpp). Each write is
/// checked and the first failure's errno kept. Once a cancel is requested,
/// what stdio still holds for `out` is dropped and `text` is written straight
/// to the descriptor, all output after the cancel within one second: a full
/// pipe nobody reads never keeps a cancelled run alive.
void emit(std::FILE* out, const std::string& text);

/// Flushes `f` (stdout or stderr), keeping the errno of a failure; after a
/// cancel, as emit() does.
void flush_output(std::FILE* f);

/// At exit: flushes stdout and stderr (or, after a cancel, drops what they
/// still hold). 0 when every write to them succeeded, else the errno of the
/// first that failed (a full file system, /dev/full, a closed pipe); EINTR
/// or ETIMEDOUT when output was cut short by a cancel.
int finish_standard_streams();

/// printf to `out` with every string argument escaped for the terminal:
/// KMS_SAY(out, "format", args...). The format is a string literal, checked
/// against the arguments' types and count when the program is built
/// (console_format.h): a mismatch is a build error, not a garbled line.
#define KMS_SAY(out, ...) \
  ::kms::cli::say_checked<::kms::cli::format_check::conversions(KMS_FORMAT_OF(__VA_ARGS__))>(out, __VA_ARGS__)

/// The same, into a string (for the prompt, written to the terminal device).
#define KMS_SAY_TO_STRING(...) \
  ::kms::cli::say_to_string_checked<::kms::cli::format_check::conversions(KMS_FORMAT_OF(__VA_ARGS__))>(__VA_ARGS__)

template <std::uint64_t Conversions, typename... A>
std::string say_to_string_checked(const char* format, const A&... args) {
  static_assert(format_check::arguments_fit<Conversions, A...>(),
                "a printf conversion and its argument differ in type, or their counts differ");
  return console_detail::format(format, console_detail::inert(args)...);
}

template <std::uint64_t Conversions, typename... A>
void say_checked(std::FILE* out, const char* format, const A&... args) {
  emit(out, say_to_string_checked<Conversions>(format, args...));
}

/// Writes text made by KMS_SAY_TO_STRING() to a terminal device; false if it could not (a signal, a hang-up).
inline bool write_to_terminal(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

/// Text the tool wrote itself (help, usage): written as it is.
inline void say_own_text(std::FILE* out, const std::string& text) { emit(out, text); }

}  // namespace kms::cli
