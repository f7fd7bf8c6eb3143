// One report file of a run (docs/reports.md), built in a private folder beside
// it (".FILE.kms-migrate-PID-XXXXXX/FILE", private_folder.h) and renamed into
// place from there, through the folder's descriptor, at the end. The format follows the extension: JSON Lines and CSV
// are streamed a line per file; the HTML sign-off report keeps what it lists in
// anonymous temporary files and is written whole at the end.
#pragma once
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "private_folder.h"
#include "report.h"

namespace kms::core {

class ReportFile {
 public:
  /// Throws SystemError when the file cannot be created.
  static std::unique_ptr<ReportFile> create(const std::filesystem::path& path);
  virtual ~ReportFile();  ///< an unfinished report is removed, with its private folder
  ReportFile(const ReportFile&) = delete;
  ReportFile& operator=(const ReportFile&) = delete;

  /// The next file, in path order, with its final verification.
  virtual void add(const FileSummary& f, std::optional<Verification> v) = 0;
  /// Writes the ending and fsyncs, so that only a rename is left for after the
  /// commit of the database. Throws on I/O failure.
  void prepare(const RunReport& r);
  /// The ending (again, if the run ended otherwise than prepared), then the
  /// rename into place. Throws on I/O failure.
  void finish(const RunReport& r);
  const std::filesystem::path& path() const { return path_; }
  /// Why the report could not be renamed to its name now ("" when it can: the
  /// name is free or a regular file), asked before any report is put in place.
  std::string obstacle() const;

 protected:
  explicit ReportFile(std::filesystem::path path);
  void write(std::string_view text);
  /// What follows the records: the JSON Lines summary, or (HTML) the whole page.
  virtual void write_ending(const RunReport& r) = 0;

 private:
  void write_ending_and_sync(const RunReport& r);
  /// Throws; and the report is never put in place after (finish() refuses).
  [[noreturn]] void fail(const char* what);

  std::filesystem::path path_;
  std::string name_;                       ///< of the file in the private folder
  std::unique_ptr<PrivateFolder> folder_;  ///< where it is built
  std::filesystem::path partial_;          ///< the file there, by name (for messages)
  std::FILE* out_ = nullptr;
  long ending_offset_ = -1;  ///< where prepare() wrote the ending
  std::string prepared_;     ///< the summary it was written for
  int failed_errno_ = 0;     ///< a write failed: what is in the file is not the report
};

}  // namespace kms::core
