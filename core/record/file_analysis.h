// One entry of Clients, from its bytes to an outcome with every issue.
#pragma once
#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "file_reader.h"
#include "issue.h"
#include "record.h"
#include "record_rules.h"
#include "shown_record.h"
#include "store_walker.h"

namespace kms::core {

/// What the run keeps about each file: small, no raw bytes, no secrets.
struct FileSummary {
  std::string path;       ///< relative to Clients
  std::string record_id;  ///< "" for skipped files
  RecordOutcome outcome = RecordOutcome::Rejected;
  Issues issues;
  std::optional<std::int64_t> size;  ///< bytes, when it could be examined
  std::string sha256;                ///< of the bytes read; "" when not read
  std::optional<FileStamp> stamp;    ///< as read, to detect later changes
  MailboxField mailbox_dn;           ///< shown form (the shown-field rule) and what matching needs
  MailboxField alias;
  MailboxField display_name;  ///< shown form only matters: reports show it, nothing matches on it
  int mailbox_line = 0;
  std::optional<int> legacy_state;
  std::optional<ClientState> state;  ///< the target state, for migrated/normalized
  /// SHA-256 of the canonical record parsed from the source, set when the upgrade
  /// writes it: the verification compares the record read back against it.
  std::optional<std::array<std::uint8_t, 32>> written_digest;
};

/// A file analysed in full: its summary, its bytes (when read) and its record (when valid).
struct AnalyzedFile {
  FileSummary summary;
  std::optional<std::string> raw;
  std::optional<ClientRecord> record;
};

/// Decode, parse and check the bytes of a record file. Pure: no file system.
AnalyzedFile analyze_record_bytes(const std::string& path, const std::string& record_id, std::string bytes,
                                  std::time_t now);

/// What the parser collects as secret in a record file's bytes
/// (ParsedProfile::secrets), for text made after the analysis from what the
/// file holds: a `scan --mailbox` view, verify's field-mismatch names.
std::vector<std::string> file_secrets(const std::string& bytes);

/// The [Client] section's Created and Modified as a file says them, for a
/// view of a file that holds no valid record (`scan --mailbox`): each value
/// under the message rule (a timestamp shown, anything else its length),
/// nullopt when absent.
struct FileDates {
  std::optional<std::string> created, modified;
};
FileDates file_dates(const std::string& bytes);

/// Analyse one entry of `clients`, reading it when it is a record file. A
/// failure of the system is a SystemError naming the entry's full path (the run
/// stops, exit 3); a file gone since the listing, a Stop (exit 1).
AnalyzedFile analyze_entry(const StoreDir& clients, const StoreEntry& entry, std::int64_t max_record_bytes,
                           std::time_t now, const CancelFlag* cancel = nullptr);

/// The verification of a file that has none of its own: not-applicable for rejected and skipped files.
std::optional<Verification> effective_verification(const FileSummary& f, std::optional<Verification> v);

}  // namespace kms::core
