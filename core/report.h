// The report model and its views: JSON Lines and CSV (contract.md section 3).
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

struct RunReport {
  std::string command;  ///< "upgrade", "rehearse", ...
  RunStatus status = RunStatus::Failed;
  std::string message;  ///< why it failed or was cancelled; "" on success
  std::vector<FileSummary> files;
  std::vector<std::optional<Verification>> verification;  ///< parallel to files; nullopt = not known
  std::string source;
  std::optional<std::string> target;
  std::optional<std::string> content_digest;
  double elapsed_seconds = 0;
  bool blocked = false;  ///< rejected records would stop (or stopped) the upgrade
  std::vector<std::pair<std::string, double>> phases;  ///< seconds per phase of the run, in order

  Counts counts() const;
  std::optional<Verification> verification_of(std::size_t i) const;
};

std::string issues_json_text(const Issues& issues);
nlohmann::ordered_json record_json(const FileSummary& f, std::optional<Verification> v);
nlohmann::ordered_json summary_json(const RunReport& r);

enum class ReportFormat { JsonLines, Csv };
/// By extension: ".jsonl" or ".csv"; nullopt for anything else.
std::optional<ReportFormat> report_format_for(const boost::filesystem::path& p);

/// Write the report atomically (temporary file, then rename). Throws on I/O failure.
void write_report_file(const boost::filesystem::path& p, const RunReport& r);
std::string csv_text(const RunReport& r);
std::string jsonl_text(const RunReport& r);

}  // namespace kms::core
