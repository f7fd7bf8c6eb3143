// What verify reads beside the store, in path order: legacy_files (the
// archive: each row against the file as read now) and migration_report (each
// row against the row the upgrade must have written). A row that no file
// accounts for is a difference, never skipped.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "differences.h"
#include "file_analysis.h"
#include "sqlite_handle.h"
#include "verify_judged.h"

namespace kms::core::detail {

/// legacy_files in path order, beside the store.
class Archive {
 public:
  explicit Archive(Db& db);
  bool more() const { return more_; }
  std::string_view path() const { return rows_.text_view(0); }
  /// The current row as a file the store no longer has; then the next row.
  Judged take_gone();
  /// Compares the current row with the file as read now; then the next row.
  void take(const AnalyzedFile& a, Judged& j);

 private:
  Stmt rows_;
  bool more_ = false;
};

/// migration_report in path order, compared with the rows the upgrade would have written.
class ReportRows {
 public:
  ReportRows(Db& db, Differences& out);
  /// The same comparison for one row found by its path (a file the cross-file rules changed after the scan).
  std::vector<std::string> compare_again(const FileSummary& expected);
  /// Rows before `path` that no file accounts for: each a difference.
  void skip_to(std::string_view path);
  /// The columns of `path`'s row that differ from `expected` (["row"] if it has none); then the next row.
  std::vector<std::string> compare(const FileSummary& expected);
  /// A row for a file the store no longer has (reported on its own); then the next row.
  void pass(const std::string& path);
  /// The rows after the last file: each a difference.
  void rest();

 private:
  static std::vector<std::string> differences(const Stmt& row, const FileSummary& expected);
  void stray();

  Stmt rows_, one_;
  bool more_ = false;
  Differences& out_;
};

}  // namespace kms::core::detail
