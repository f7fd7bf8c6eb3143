// The one place where an exception ends a run: its kind becomes the exit code
// (docs/commands.md) and its text the run's message.
#pragma once
#include <functional>
#include <string>

#include "run_control.h"
#include "run_result.h"

namespace kms::core {

/// How a command words the failures it did not foresee.
struct FailureWords {
  std::string cancelled;                        ///< the message of a cancelled run
  ExitCode database_kind = ExitCode::Internal;  ///< a database error that is not an interruption
  std::string database;                         ///< the start of its message
  /// Appended to a database error's message (the upgrade: a full disk, a file-size limit).
  std::function<std::string(int sqlite_code)> database_detail;
  std::string store;  ///< the start of a file-system error's message (exit 2); "" to treat it as any other
  std::string other;  ///< the start of any other exception's message (exit 3)
};

/// Ends `res` by the exception being handled: call it from `catch (...)`.
/// A Stop ends it with its kind and message; a cancellation (a Stop of kind
/// Cancelled, or SQLite interrupted after the operator cancelled) with
/// `words.cancelled`; anything else as `words` says.
void end_run_on_exception(RunResult& res, const CancelFlag* cancel, const FailureWords& words);

}  // namespace kms::core
