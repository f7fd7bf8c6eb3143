// `scan`: an inventory of the store and a look-up by mailbox. Writes nothing.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "file_analysis.h"
#include "ordered_pipeline.h"
#include "run_control.h"
#include "run_result.h"

namespace kms::core {

struct ScanOptions {
  std::filesystem::path source;
  std::optional<std::string> mailbox;  ///< a DN or an alias, case-insensitive
  OrderedOptions workers;              ///< the threads that read and parse the store
  std::int64_t max_record_bytes = 1 << 20;
};

struct MailboxMatch {
  FileSummary summary;
  std::optional<ClientRecord> record;  ///< when the file holds a valid record
};

struct ScanResult {
  ExitCode exit_code = ExitCode::Internal;  ///< 0 done; 1 --mailbox found nothing; 2 no store
  std::string message;
  std::string clients;
  /// The content_digest a rehearsal and an upgrade of this store record (over
  /// the records that would be written, after the cross-file rules).
  std::string content_digest;
  std::vector<FileSummary> files;
  std::vector<MailboxMatch> matches;
};

ScanResult run_scan(const ScanOptions& options, const CancelFlag* cancel, const ProgressFn& progress);

}  // namespace kms::core
