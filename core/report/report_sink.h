// The per-file report, streamed (docs/reports.md): each file's record goes to
// every report file of the run once it is final, in path order, and only what
// the terminal shows is kept (counts, the first lines of each list). Memory does
// not grow with the store.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "report.h"

namespace kms::core {

class ReportFile;

class ReportSink {
 public:
  /// `files`: the reports to write (.jsonl, .csv, .html), each built in a new
  /// temporary file beside it until finish(); none: counts and lists only.
  /// Throws when a file cannot be created.
  explicit ReportSink(std::vector<std::filesystem::path> files = {});
  explicit ReportSink(const std::filesystem::path& file) : ReportSink(std::vector<std::filesystem::path>{file}) {}
  explicit ReportSink(const std::optional<std::filesystem::path>& file)
      : ReportSink(file ? std::vector<std::filesystem::path>{*file} : std::vector<std::filesystem::path>{}) {}
  ~ReportSink();  // unfinished .partial files are removed
  ReportSink(const ReportSink&) = delete;
  ReportSink& operator=(const ReportSink&) = delete;

  /// The next file, in path order, with its final verification (nullopt: not known).
  void add(const FileSummary& f, std::optional<Verification> v);
  /// --all: the terminal's lists keep every line (not the first TerminalLists::kLimit).
  void list_everything() { lists_.limit = static_cast<std::size_t>(-1); }
  /// Whether every file's record is wanted (a report file), or only what the terminal lists.
  bool writes_file() const { return !files_.empty(); }
  /// Counts and lists so far, into `r` (totals, lists).
  void fill(RunReport& r) const;
  /// Writes each file's ending (the summary) and fsyncs it, so that nothing but
  /// renames is left for after the commit of the database. Throws on I/O failure.
  void prepare(const RunReport& r);
  /// Ends every file (unless prepare() wrote this very ending) and renames it
  /// into place. Tries every file; then throws the first failure, if any.
  void finish(const RunReport& r);
  /// The report files, in the order given.
  std::vector<std::filesystem::path> paths() const;

 private:
  std::vector<std::unique_ptr<ReportFile>> files_;
  Counts totals_;
  TerminalLists lists_;
};

}  // namespace kms::core
