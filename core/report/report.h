// The report model and its views: JSON Lines and CSV (docs/reports.md).
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "file_analysis.h"
#include "manifest_check.h"
#include "outcome.h"

namespace kms::core {

enum class RunStatus { Succeeded, Failed, Cancelled };
const char* status_name(RunStatus s);

/// "Warnings" in every command's counts and lists: a file that is (or would be)
/// migrated and carries a warning other than its KB Q198709 normalization,
/// which is counted as normalized. Notes (info) are not warnings.
bool carries_warnings(const FileSummary& f);

/// What the terminal shows of the per-file report: the first lines of each list
/// (the report file always has every file).
struct TerminalLists {
  static constexpr std::size_t kLimit = 25;
  /// The lines each list keeps (--all: every one, memory growing with the store).
  std::size_t limit = kLimit;
  std::vector<std::string> normalized;  ///< "path  MailboxDN" of each KB Q198709 fix-up (its reason said once)
  std::size_t normalized_more = 0;
  /// Differences listed before a count (100: a list an operator reads; every one is in the report file).
  static constexpr std::size_t kFailureLimit = 100;
  /// "path[:line]: code: message" of each error of a file whose verification failed, up to kFailureLimit.
  std::vector<std::string> failures;
  std::size_t failures_more = 0;
  std::vector<std::string> problems;  ///< "path[:line]: code: message" of each error of a rejected file
  std::size_t problems_more = 0;
  std::vector<std::string> skipped;  ///< "path  why" of each skipped entry (not a record file: never read)
  std::size_t skipped_more = 0;
  std::size_t with_warnings = 0;  ///< files not rejected that carry warnings
  /// Rejected files per error code (each code once a file): the recap's "rejected by code".
  std::map<std::string, std::size_t> rejects_by_code;
};

/// A run's outcome. The per-file records are not kept here: they stream to the
/// report file as they become final (ReportSink), so memory does not grow with the store.
struct RunReport {
  Command command = Command::Upgrade;
  RunStatus status = RunStatus::Failed;
  std::string message;  ///< why it failed or was cancelled; "" on success
  Counts totals;        ///< of the files reported so far
  TerminalLists lists;
  std::string source;
  std::optional<std::string> target;
  std::optional<std::string> content_digest;
  /// Over every entry of the store as the run saw it (store_digest.h).
  std::optional<std::string> store_digest;
  double elapsed_seconds = 0;
  bool blocked =
      false;  ///< the upgrade would be (or was) refused: files rejected without --allow-rejected, or a store failure
  /// Why the whole store fails, whatever --allow-rejected says (no record to migrate, a manifest difference).
  std::optional<std::string> store_failure;
  std::optional<ManifestResult> manifest;  ///< with --manifest: the check of the copy against it
  /// verify: what differs in the database beyond its files' rows (at most 100
  /// of each kind in words, then how many more).
  std::vector<std::string> table_differences;
  /// verify: the database and the store disagree wholesale (another store, or
  /// the wrong --source): the one line that says so, first everywhere.
  std::optional<std::string> wrong_store;
  /// verify: the entries of the database that no file of the store accounts
  /// for (in `totals` too, as every reported file is): the recap and the
  /// summary show the store's side and the database's apart.
  Counts database_only;
  /// verify --expect-digest: neither digest is the one expected (what it
  /// says), whatever else differs.
  std::optional<std::string> digest_not_expected;
  /// verify: the database and the store agree, and only --expect-digest
  /// differs: the pair is whole, but not the one the sign-off named.
  bool only_the_expected_digest_differs() const {
    return digest_not_expected && !wrong_store && totals.verified_failed == 0 && database_only.files_seen == 0 &&
           table_difference_count == 1;
  }
  std::uint64_t table_difference_count = 0;  ///< all of them
  /// The files the report files list (set by ReportSink as it ends them):
  /// fewer than totals.files_seen when the run stopped before it had
  /// reported every file it counted (a cancel, a failure mid-way).
  std::optional<std::size_t> files_listed;
  /// Whether the per-file lists are short of the counts (see files_listed).
  bool lists_are_partial() const { return files_listed && *files_listed < totals.files_seen; }
  std::vector<std::pair<std::string, double>> phases;  ///< seconds per phase of the run, in order
  // What the sign-off needs (docs/reports.md): who ran what, where and when.
  std::string tool_version;
  std::string started_at;   ///< ISO 8601 UTC
  std::string finished_at;  ///< ISO 8601 UTC; set when the run ends
  std::string host;
  std::string operator_name;
  std::int64_t max_record_size = 0;  ///< the size limit the files were read with
  /// The command as typed ("" when not known: "kms-migrate " + command is shown).
  std::string command_line;
  /// upgrade and rehearse: run with --allow-rejected, the rejected files
  /// accepted; verify: the database records that its upgrade was.
  bool allow_rejected = false;
  /// The rejected files a run accepts: with --allow-rejected, the rejects of an
  /// upgrade or rehearsal that was not otherwise refused.
  std::size_t accepted_rejects() const {
    if (!allow_rejected || store_failure) return 0;
    return command == Command::Verify ? totals.rejected - database_only.rejected : totals.rejected;
  }
  std::string command_shown() const {
    return command_line.empty() ? std::string("kms-migrate ") + command_name(command) : command_line;
  }
  /// The store's side of the counts: `totals` without the database's own
  /// entries (verify; for the other commands, `totals`).
  Counts store_side() const {
    Counts c = totals;
    const Counts& d = database_only;
    c.files_seen -= d.files_seen;
    c.migrated -= d.migrated;
    c.normalized -= d.normalized;
    c.rejected -= d.rejected;
    c.skipped -= d.skipped;
    c.verified_passed -= d.verified_passed;
    c.verified_failed -= d.verified_failed;
    return c;
  }
};

enum class ReportFormat { JsonLines, Csv, Html };
/// By extension: ".jsonl", ".csv" or ".html" (any case); nullopt for anything else.
std::optional<ReportFormat> report_format_for(const std::filesystem::path& p);

/// One report record as text: a JSON line, or a CSV row (both with their line end).
std::string jsonl_record(const FileSummary& f, std::optional<Verification> v);
std::string csv_record(const FileSummary& f, std::optional<Verification> v);
/// What a report file starts with (the CSV header; nothing for JSON Lines).
std::string report_head(ReportFormat format);

}  // namespace kms::core
