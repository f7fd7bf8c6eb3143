// Rows of one table inserted several at a time: one `INSERT ... VALUES (...),
// (...), ...` statement for `rows` rows shares SQLite's per-statement work
// (virtual machine start, cursors opened, b-trees descended) among them
// (docs/performance.md). Rows keep their order; the values are copied into
// buffers that are reused, so the caller's objects may go at once.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite_handle.h"

namespace kms::core {

class RowBatch {
 public:
  /// `head`: "INSERT [OR IGNORE] INTO table (col, ...)" naming `columns` columns;
  /// `rows` rows per statement (DbTuning::rows_per_insert).
  RowBatch(Db& db, const std::string& head, int columns, int rows);

  RowBatch& text(std::string_view v);
  RowBatch& text(const std::string& v) { return text(std::string_view(v)); }
  RowBatch& text(const char* v) { return text(std::string_view(v)); }
  RowBatch& text(const std::optional<std::string>& v) { return v ? text(std::string_view(*v)) : null(); }
  RowBatch& integer(std::int64_t v);
  RowBatch& blob(const void* data, std::size_t n);
  RowBatch& null();
  /// Ends the row; inserts the buffered rows once there are `rows`.
  void end_row();
  /// Inserts the rows still buffered (one statement each).
  void flush();

 private:
  enum class Kind : std::uint8_t { Null, Integer, Text, Blob };
  struct Value {
    Kind kind = Kind::Null;
    std::int64_t integer = 0;
    std::string bytes;  // reused: keeps its capacity from row to row
  };
  Value& next();
  void bind_row(Stmt& s, int row, int first_param);

  int columns_;
  int rows_per_insert_;
  std::vector<Value> values_;  // rows_per_insert_ * columns_
  int rows_ = 0, column_ = 0;
  Stmt many_, one_;
};

}  // namespace kms::core
