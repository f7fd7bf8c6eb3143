// `verify`: a 5.5 database checked against the store as it is now, record by
// record, without writing to either (docs/commands.md).
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "ordered_pipeline.h"
#include "run_control.h"
#include "run_result.h"

namespace kms::core {

class ReportSink;

struct VerifyOptions {
  std::filesystem::path source;
  std::filesystem::path target;
  OrderedOptions workers;  ///< the threads that read and parse the store
  /// nullopt: the default limit (the database's own is only compared with it).
  std::optional<std::int64_t> max_record_bytes;
  std::string tool_version;                       ///< for the report's facts
  std::string command_line;                       ///< as typed, for the report's facts
  std::optional<std::filesystem::path> manifest;  ///< the list of the server's files the store must match
  /// --expect-digest: the content_digest or store_digest the run must find (hex).
  std::optional<std::string> expect_digest;
};

/// Exit 0 when everything passes, 1 when anything differs, 2 when the target
/// is not a kms-migrate database (or the store is missing), 130 when cancelled.
/// Each file's record goes to `report` (none: counted only).
RunResult run_verify(const VerifyOptions& options, const CancelFlag* cancel, const ProgressFn& progress,
                     ReportSink* report = nullptr);

}  // namespace kms::core
