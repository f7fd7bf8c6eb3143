// What every command returns to the command layer: an exit code (contract.md
// section 1), the report model, and notes for the operator.
#pragma once
#include <string>
#include <vector>

#include "report.h"

namespace kms::core {

enum class ExitCode : int { Ok = 0, DataProblem = 1, Usage = 2, Internal = 3, Cancelled = 130 };

struct RunResult {
  ExitCode exit_code = ExitCode::Internal;
  RunReport report;
  std::vector<std::string> notes;  ///< things the operator should know (stale temporary files removed, ...)
};

/// A run that stops early: the exit code and the operator's message.
struct RunStop {
  ExitCode code;
  std::string message;
};

}  // namespace kms::core
