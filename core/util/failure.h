// The one error shape of the library (CONTRIBUTING.md):
//  - Error: an expected failure of a stage (a path that may not be used, no
//    store at a folder), with its kind, message and where;
//  - Result<T> / Status: what a stage that can fail that way returns;
//  - Stop: the exception that stops a run and tells the user why;
//  - SystemError: a system call that failed (the operation, the path, errno),
//    made where the call is; never a fault of the data, always exit 3;
//  - InternalError: a broken invariant (a bug, a temporary file damaged under
//    the run); exit 3.
//  They are caught in exactly one place, commands/run_end.cpp, which maps them
//  (and SQLite's DbError) to the exit codes of docs/commands.md.
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

/// A failed system call: "cannot open '/srv/kms/Clients/Mabc.ini': Too many open
/// files (raise the limit: ulimit -n)". The words name the operation, the path
/// and the cause, with what to do where there is something to do.
class SystemError : public std::exception {
 public:
  /// `operation`: "open", "read", "start a worker thread", ...; `path` may be empty.
  SystemError(std::string operation, std::string path, int error_number);
  int error_number() const { return errno_; }
  const std::string& operation() const { return operation_; }
  const std::string& path() const { return path_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string operation_;
  std::string path_;
  int errno_;
  std::string message_;
};

/// True when errno `e` says a path the operator named cannot be used as it is
/// (it does not exist, is not a folder, may not be used, is read-only, a link
/// where none may be, a name too long): the operator's to fix before any work,
/// exit 2. Any other errno (too many open files, an I/O error, no memory...) is
/// a failure of the machine: exit 3.
bool is_path_fault(int e);

/// Throws, for a path the operator named that failed with errno `e`: a Stop of
/// exit 2 when is_path_fault(e) (the message `usage_words` + the cause), else a
/// SystemError(operation, path, e).
[[noreturn]] void throw_path_failure(const std::string& operation, const std::string& path, int e,
                                     const std::string& usage_words = "");

/// What to do about errno `e`, in words ("raise the limit: ulimit -n"); "" when nothing general applies.
const char* errno_advice(int e);

/// An invariant of the program that does not hold: a bug, or a temporary file changed under the run.
class InternalError : public std::exception {
 public:
  explicit InternalError(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

/// Throws the error of a failed Status as a Stop.
inline void stop_unless(const Status& s) {
  if (!s.ok()) throw Stop(s.error());
}

}  // namespace kms::core
