// The report model and its views: JSON Lines and CSV (docs/reports.md).
#pragma once
#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "db_writer.h"
#include "file_analysis.h"

namespace kms::core {

enum class RunStatus { Succeeded, Failed, Cancelled };
const char* status_name(RunStatus s);

struct Counts {
  std::size_t files_seen = 0, migrated = 0, normalized = 0, rejected = 0, skipped = 0;
  std::size_t verified_passed = 0, verified_failed = 0;
};

/// What the terminal shows of the per-file report: the first lines of each list
/// (the report file always has every file).
struct TerminalLists {
  static constexpr std::size_t kLimit = 25;
  std::vector<std::string> normalized;  ///< "path  MailboxDN: message" of each KB Q198709 fix-up
  std::size_t normalized_more = 0;
  /// "path[:line]: code: message" of each error of a file whose verification failed: every one, never cut.
  std::vector<std::string> failures;
  std::vector<std::string> problems;  ///< "path[:line]: code: message" of each error of a rejected file
  std::size_t problems_more = 0;
  std::size_t with_warnings = 0;  ///< files not rejected that carry warnings
};

/// A run's outcome. The per-file records are not kept here: they stream to the
/// report file as they become final (ReportSink), so memory does not grow with the store.
struct RunReport {
  std::string command;  ///< "upgrade", "rehearse", ...
  RunStatus status = RunStatus::Failed;
  std::string message;  ///< why it failed or was cancelled; "" on success
  Counts totals;        ///< of the files reported so far
  TerminalLists lists;
  std::string source;
  std::optional<std::string> target;
  std::optional<std::string> content_digest;
  double elapsed_seconds = 0;
  bool blocked = false;  ///< rejected records would stop (or stopped) the upgrade
  std::vector<std::pair<std::string, double>> phases;  ///< seconds per phase of the run, in order

  Counts counts() const { return totals; }
};

/// Adds one file to the counts.
void count_file(Counts& c, RecordOutcome outcome, std::optional<Verification> v);

/// Files by outcome (no verification counts): for scan.
Counts count_outcomes(const std::vector<FileSummary>& files);

/// The verification of a file that has none of its own: not-applicable for rejected and skipped files.
std::optional<Verification> effective_verification(const FileSummary& f, std::optional<Verification> v);

std::string issues_json_text(const Issues& issues);
/// The inverse of issues_json_text. Throws on text it did not write.
Issues issues_from_json(const std::string& text);
nlohmann::ordered_json record_json(const FileSummary& f, std::optional<Verification> v);
nlohmann::ordered_json summary_json(const RunReport& r);

enum class ReportFormat { JsonLines, Csv };
/// By extension: ".jsonl" or ".csv"; nullopt for anything else.
std::optional<ReportFormat> report_format_for(const boost::filesystem::path& p);

/// One report record as text: a JSON line, or a CSV row (both with their line end).
std::string jsonl_record(const FileSummary& f, std::optional<Verification> v);
std::string csv_record(const FileSummary& f, std::optional<Verification> v);
/// What a report file starts and ends with (CSV header; JSON Lines summary).
std::string report_head(ReportFormat format);
std::string report_tail(ReportFormat format, const RunReport& r);

}  // namespace kms::core
