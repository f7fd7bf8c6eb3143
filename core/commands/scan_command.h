// `scan`: an inventory of the store and a look-up by mailbox. Writes nothing.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "file_analysis.h"
#include "manifest_check.h"
#include "ordered_pipeline.h"
#include "outcome.h"
#include "run_control.h"
#include "run_result.h"
#include "summary_spool.h"

namespace kms::core {

struct ScanOptions {
  std::filesystem::path source;
  std::optional<std::string> mailbox;  ///< a DN or an alias, case-insensitive
  OrderedOptions workers;              ///< the threads that read and parse the store
  std::int64_t max_record_bytes = 1 << 20;
  std::optional<std::filesystem::path> manifest;  ///< the list of the server's files the copy must match
};

struct MailboxMatch {
  FileSummary summary;
  std::optional<ClientRecord> record;  ///< when the file holds a valid record; as shown (shown_record)
  FileDates dates;                     ///< when it does not: its Created and Modified as the file says them
};

struct ScanResult {
  ExitCode exit_code = ExitCode::Internal;  ///< 0 done; 1 --mailbox found nothing; 2 no store
  std::string message;
  std::string clients;
  /// The content_digest a rehearsal and an upgrade of this store record (over
  /// the records that would be written, after the cross-file rules).
  std::string content_digest;
  /// The store_digest they record (every entry: name, kind, size, SHA-256, outcome).
  std::string store_digest;
  Counts counts;  ///< files by outcome (no verification)
  /// Record files by legacy State: "1" to "4", "unknown" when unreadable.
  std::map<std::string, int> legacy_states;
  /// Every file's summary, in path order, kept in a temporary file (none when the scan failed).
  std::shared_ptr<SummarySpool> files;
  std::vector<MailboxMatch> matches;
  std::optional<ManifestResult> manifest;  ///< with --manifest

  /// Calls `f` with every file's summary, in path order.
  void each_file(const std::function<void(const FileSummary&)>& f) const;
};

ScanResult run_scan(const ScanOptions& options, const CancelFlag* cancel, const ProgressFn& progress);

}  // namespace kms::core
