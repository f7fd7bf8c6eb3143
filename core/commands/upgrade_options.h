// What `upgrade` and `rehearse` are given: options, hooks, and the plan shown before writing.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "db_tuning.h"
#include "ordered_pipeline.h"
#include "outcome.h"
#include "run_control.h"

namespace kms::core {

class Db;
class ReportSink;

enum class RunMode { Upgrade, Rehearse };
enum class AllowRejected { No, Yes };
enum class Overwrite { No, Yes };

struct UpgradeOptions {
  RunMode mode = RunMode::Upgrade;
  std::filesystem::path source;
  std::filesystem::path target;                  ///< upgrade only
  std::optional<std::filesystem::path> keep_db;  ///< rehearse only
  AllowRejected allow_rejected = AllowRejected::No;
  Overwrite force = Overwrite::No;
  /// The threads that read and parse the store, at the process's own priority:
  /// the bounded window of the ordered pipeline keeps the writer (the run's one
  /// serial stage, on the caller's thread) fed; starving the workers with nice
  /// +19 made the upgrade crawl whenever anything else used the CPU
  /// (docs/performance.md). Scan and verify leave it alone too. The other
  /// fields keep OrderedOptions' defaults (jobs comes from --jobs).
  OrderedOptions workers;
  DbTuning db;  ///< how the temporary database is written
  std::int64_t max_record_bytes = 1 << 20;
  std::string tool_version = "0";
  std::string command_line;                       ///< as typed, for the report's facts
  std::optional<std::filesystem::path> manifest;  ///< the list of the server's files the copy must match
};

/// What the analysis found, shown to the operator before anything is written.
struct Plan {
  Counts counts;
  std::string source;
  std::string target;
  std::string content_digest;  ///< what the run will record
  std::string store_digest;    ///< over every entry of the store as read
  /// With --force over an existing file: what it is (existing_target.h), named in the prompt.
  std::string replacing;
};

/// The operator's answer at the confirmation prompt.
enum class Answer { Yes, No, EndOfInput };

struct UpgradeHooks {
  const CancelFlag* cancel = nullptr;
  ProgressFn progress;
  /// Asked once the plan is known (upgrade only); anything but Yes cancels. Unset: proceed.
  std::function<Answer(const Plan&)> confirm;
  /// Tests only: runs on the writing connection after the data is committed to
  /// the temporary file and before it is verified.
  std::function<void(Db&)> after_write;
  /// Where each file's record goes once final (the report file); none: counted only.
  ReportSink* report = nullptr;
};

}  // namespace kms::core
