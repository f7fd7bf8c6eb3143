// What every command returns to the command layer: an exit code (docs/commands.md), the report model, and notes for the
// operator.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "failure.h"
#include "report.h"

namespace kms::core {

struct RunResult {
  ExitCode exit_code = ExitCode::Internal;
  RunReport report;
  std::vector<std::string> notes;  ///< things the operator should know (stale temporary files removed, ...)
  /// Time spent waiting at the confirmation prompt: not part of the run's time.
  double prompt_seconds = 0;
  /// The --keep-db copy a rehearsal put in place (empty: none). It is removed
  /// again when the run's result cannot be told (a failed report or summary).
  std::filesystem::path kept_copy;
};

/// Records how a run ended early: status (cancelled for 130, failed otherwise), message, exit code.
inline void end_run(RunResult& result, ExitCode code, std::string message) {
  result.report.status = code == ExitCode::Cancelled ? RunStatus::Cancelled : RunStatus::Failed;
  result.report.message = std::move(message);
  result.exit_code = code;
}

}  // namespace kms::core
