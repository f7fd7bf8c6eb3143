// The per-file report, streamed (docs/reports.md): each file's record is
// written to the report file once it is final, in path order, and only what the
// terminal shows is kept (counts, the first lines of each list). Memory does not
// grow with the store.
#pragma once
#include <cstdio>
#include <filesystem>
#include <optional>

#include "report.h"

namespace kms::core {

class ReportSink {
 public:
  /// `file`: the report to write (.jsonl or .csv), built in a new temporary file
  /// beside it (".FILE.kms-migrate-PID.partial", created O_EXCL | O_NOFOLLOW) until
  /// finish(); none: counts and lists only. Throws when the file cannot be created.
  explicit ReportSink(std::optional<std::filesystem::path> file = std::nullopt);
  ~ReportSink();  // an unfinished .partial file is removed
  ReportSink(const ReportSink&) = delete;
  ReportSink& operator=(const ReportSink&) = delete;

  /// The next file, in path order, with its final verification (nullopt: not known).
  void add(const FileSummary& f, std::optional<Verification> v);
  /// Whether every file's record is wanted (a report file), or only what the terminal lists.
  bool writes_file() const { return out_ != nullptr; }
  /// Counts and lists so far, into `r` (totals, lists).
  void fill(RunReport& r) const;
  /// Writes the summary and fsyncs the temporary file, so that nothing but a
  /// rename is left for after the commit of the database. Throws on I/O failure.
  void prepare(const RunReport& r);
  /// Ends the file with the summary (unless prepare() wrote this very one) and
  /// renames it into place. Throws on I/O failure.
  void finish(const RunReport& r);
  /// Where the report is built until finish().
  const std::filesystem::path& temporary_path() const { return partial_; }

 private:
  void write(const std::string& text);
  void write_tail(const RunReport& r);

  std::optional<std::filesystem::path> path_;
  std::filesystem::path partial_;
  std::FILE* out_ = nullptr;
  long tail_offset_ = -1;  ///< where prepare() wrote the summary
  std::string prepared_tail_;
  ReportFormat format_ = ReportFormat::JsonLines;
  Counts totals_;
  TerminalLists lists_;
};

}  // namespace kms::core
