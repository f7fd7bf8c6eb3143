// The one error shape of the library (CONTRIBUTING.md):
//  - Error: an expected failure of a stage (a path that may not be used, no
//    store at a folder), with its kind, message and where;
//  - Result<T> / Status: what a stage that can fail that way returns;
//  - Stop: the one exception that stops a run and tells the user why. It is
//    caught in exactly one place, commands/run_end.cpp, which maps its kind
//    (and any other exception) to the exit codes of docs/commands.md.
#pragma once
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace kms::core {

/// The contract's exit codes (docs/commands.md). An Error's kind is the exit
/// code it ends a run with.
enum class ExitCode : int { Ok = 0, DataProblem = 1, Usage = 2, Internal = 3, ReportIncomplete = 4, Cancelled = 130 };

struct Error {
  ExitCode kind = ExitCode::Internal;
  std::string message;  ///< complete, for the operator: names the path and the rule
  std::string path;     ///< the file or folder concerned, when there is one
  int line = 0;         ///< 1-based; 0 for none
};

/// A value, or why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit, as for std::optional
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Success, or why not.
class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT
  static Status success() { return Status(); }
  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

/// Stops the run: the operator is told `message`, and the run ends with `kind`.
class Stop : public std::exception {
 public:
  Stop(ExitCode kind, std::string message) : error_{kind, std::move(message), {}, 0} {}
  explicit Stop(Error error) : error_(std::move(error)) {}
  ExitCode kind() const { return error_.kind; }
  const std::string& message() const { return error_.message; }
  const char* what() const noexcept override { return error_.message.c_str(); }

 private:
  Error error_;
};

/// Throws the error of a failed Status as a Stop.
inline void stop_unless(const Status& s) {
  if (!s.ok()) throw Stop(s.error());
}

}  // namespace kms::core
